import type { AgentRunEvent, AgentRunPatch, AgentRunRecord, RunCost } from './agent-runs.js'

/** The columns of `agent_runs` every read and insert uses, in both stores. */
export const AGENT_RUN_COLUMNS =
  'run_id, agent_id, kind, thread_id, resource_id, status, model, steps, usage, finish_reason, error, pending, state, ' +
  'last_seq, version, created_at, updated_at, finished_at, metrics'

type Json<T> = string | T

/**
 * An `agent_runs` row as a driver returns it: SQLite gives JSON columns as text and times as
 * epoch ms, PostgreSQL parsed JSON and `Date`s.
 */
export interface AgentRunRow {
  run_id: string
  agent_id: string
  kind: AgentRunRecord['kind']
  thread_id: string | null
  resource_id: string | null
  status: AgentRunRecord['status']
  model: Json<AgentRunRecord['model']>
  steps: Json<AgentRunRecord['steps']>
  usage: Json<AgentRunRecord['usage']>
  finish_reason: string | null
  error: Json<AgentRunRecord['error']>
  pending: Json<AgentRunRecord['pendingApprovals']>
  state: Json<AgentRunRecord['state']>
  last_seq: number
  version: number
  created_at: number | Date
  updated_at: number | Date
  finished_at: number | Date | null
  metrics: Json<{ cost?: RunCost | null; timeToFirstTokenMs?: number | null }> | null
}

/** The stored form of a run's metrics (one JSON value), or undefined when a patch sets none. */
function metricsPatch(fields: { cost?: RunCost | null; timeToFirstTokenMs?: number | null }): Record<string, unknown> | undefined {
  if (fields.cost == null && fields.timeToFirstTokenMs == null) return undefined
  return { cost: fields.cost ?? null, timeToFirstTokenMs: fields.timeToFirstTokenMs ?? null }
}

/** A run's metrics as a JSON parameter, or null to keep the stored ones. */
export function agentRunMetricsJson(fields: { cost?: RunCost | null; timeToFirstTokenMs?: number | null }): string | null {
  return jsonOrKeep(metricsPatch(fields))
}

/** A run's metrics read back from their stored form. */
function metricsOf(stored: { cost?: RunCost | null; timeToFirstTokenMs?: number | null } | null): Pick<AgentRunRecord, 'cost' | 'timeToFirstTokenMs'> {
  return { cost: stored?.cost ?? null, timeToFirstTokenMs: stored?.timeToFirstTokenMs ?? null }
}

function parsed<T>(value: Json<T>): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value
}

/** The record a row stores, whichever store read it. */
export function agentRunRecordOf(row: AgentRunRow): AgentRunRecord {
  return {
    runId: row.run_id,
    agentId: row.agent_id,
    kind: row.kind,
    threadId: row.thread_id,
    resourceId: row.resource_id,
    status: row.status,
    model: parsed(row.model),
    steps: parsed(row.steps),
    usage: parsed(row.usage),
    finishReason: row.finish_reason,
    error: parsed(row.error),
    pendingApprovals: parsed(row.pending),
    state: parsed(row.state),
    lastSeq: row.last_seq,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
    ...metricsOf(row.metrics === null ? null : parsed(row.metrics)),
  }
}

/** A value as a JSON column parameter, or null to keep the stored one (COALESCE). */
export function jsonOrKeep(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value)
}

/** The parameters of an insert, in `AGENT_RUN_COLUMNS` order; `time` turns a date into the driver's form. */
export function agentRunValues<T>(record: AgentRunRecord, time: (date: Date) => T): unknown[] {
  return [
    record.runId, record.agentId, record.kind, record.threadId, record.resourceId, record.status,
    JSON.stringify(record.model), JSON.stringify(record.steps), JSON.stringify(record.usage), record.finishReason,
    JSON.stringify(record.error), JSON.stringify(record.pendingApprovals), JSON.stringify(record.state),
    record.lastSeq, record.version, time(record.createdAt), time(record.updatedAt),
    record.finishedAt === null ? null : time(record.finishedAt), jsonOrKeep(metricsPatch(record)),
  ]
}

/** The SET parameters of a state change, in the order both stores' UPDATE statements take them. */
export function agentRunPatchValues<T>(patch: AgentRunPatch, time: (date: Date) => T): unknown[] {
  return [
    patch.status, jsonOrKeep(patch.model), jsonOrKeep(patch.steps), jsonOrKeep(patch.usage), patch.finishReason ?? null,
    jsonOrKeep(patch.error), jsonOrKeep(patch.pendingApprovals), jsonOrKeep(patch.state),
    patch.finishedAt == null ? null : time(patch.finishedAt), jsonOrKeep(metricsPatch(patch)),
  ]
}

/** One row of `agent_run_log`: the events `first_seq`..`last_seq` of one write, as a JSON array of their data. */
export interface AgentRunLogRow {
  first_seq: number
  events: Json<unknown[]>
}

/** The log row of one write: consecutive events, stored as one JSON array. */
export function agentRunLogValues(events: readonly AgentRunEvent[]): { firstSeq: number; lastSeq: number; events: string } {
  let text = '['
  for (let i = 0; i < events.length; i++) {
    const event = events[i]
    // Serialized once per event: a stream's frame already holds it.
    text += (i === 0 ? '' : ',') + (event.json ?? JSON.stringify(event.data) ?? 'null')
  }
  return { firstSeq: events[0].seq, lastSeq: events[events.length - 1].seq, events: text + ']' }
}

/** The events of log rows (oldest first) with `seq > after`, at most `limit` (negative: all). */
export function agentRunEventsOf(rows: readonly AgentRunLogRow[], after: number, limit: number): AgentRunEvent[] {
  const out: AgentRunEvent[] = []
  for (const row of rows) {
    const data = parsed(row.events)
    for (let i = Math.max(0, after + 1 - row.first_seq); i < data.length; i++) {
      if (limit >= 0 && out.length >= limit) return out
      out.push({ seq: row.first_seq + i, data: data[i] })
    }
  }
  return out
}
