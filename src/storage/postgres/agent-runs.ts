import { conflict } from '../../core/errors.js'
import type {
  AgentRunEvent,
  AgentRunExpectation,
  AgentRunPatch,
  AgentRunRecord,
  AgentRunStore,
  ListAgentRunsQuery,
  RunCost,
} from '../agent-runs.js'
import {
  AGENT_RUN_COLUMNS,
  agentRunEventsOf,
  agentRunLogValues,
  agentRunMetricsJson,
  agentRunPatchValues,
  agentRunRecordOf,
  agentRunValues,
  type AgentRunLogRow,
  type AgentRunRow,
} from '../agent-run-rows.js'
import { query, sqlState, UNIQUE_VIOLATION, type PgContext } from './sql.js'

const asDate = (date: Date) => date

/** The `agent_runs` and `agent_run_log` tables in PostgreSQL; a create, with its first events, and an append are one statement each. */
export class PgAgentRuns implements AgentRunStore {
  readonly #pg: PgContext
  readonly #sql: ReturnType<typeof statements>

  constructor(pg: PgContext) {
    this.#pg = pg
    this.#sql = statements(pg.schema)
  }

  async create(record: AgentRunRecord, events: AgentRunEvent[] = [], leaseMs?: number): Promise<void> {
    const values = [...agentRunValues(record, asDate), leaseMs ?? null]
    try {
      if (events.length === 0) await query(this.#pg, this.#sql.insert, values)
      else {
        const log = agentRunLogValues(events)
        await query(this.#pg, this.#sql.insertWithLog, [...values, log.firstSeq, log.lastSeq, log.events])
      }
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) throw conflict(`Agent run ${record.runId} already exists`)
      throw err
    }
  }

  async get(runId: string): Promise<AgentRunRecord | null> {
    const { rows } = await query<AgentRunRow>(this.#pg, this.#sql.get, [runId])
    return rows.length === 1 ? agentRunRecordOf(rows[0]) : null
  }

  async list(q: ListAgentRunsQuery): Promise<{ runs: AgentRunRecord[]; total: number }> {
    const values: unknown[] = []
    const clauses: string[] = []
    const filter = (column: string, op: string, value: unknown) => clauses.push(`${column} ${op} $${values.push(value)}`)
    if (q.agentId !== undefined) filter('agent_id', '=', q.agentId)
    if (q.resourceId !== undefined) filter('resource_id', '=', q.resourceId)
    if (q.threadId !== undefined) filter('thread_id', '=', q.threadId)
    if (q.status !== undefined) filter('status', '=', q.status)
    if (q.from !== undefined) filter('created_at', '>=', q.from)
    if (q.to !== undefined) filter('created_at', '<=', q.to)
    const where = clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`
    const n = values.length
    const table = `${this.#pg.schema}.agent_runs`
    const [page, count] = await Promise.all([
      query<AgentRunRow>(this.#pg, `SELECT ${AGENT_RUN_COLUMNS} FROM ${table} ${where} ORDER BY created_at DESC, seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`, [
        ...values, q.perPage, q.page * q.perPage,
      ]),
      query<{ total: number }>(this.#pg, `SELECT COUNT(*)::int AS total FROM ${table} ${where}`, values),
    ])
    return { runs: page.rows.map(agentRunRecordOf), total: count.rows[0].total }
  }

  async transition(runId: string, expect: AgentRunExpectation, patch: AgentRunPatch): Promise<boolean> {
    const values = [...agentRunPatchValues(patch, asDate), new Date(), runId, expect.status, patch.leaseMs ?? null]
    let text = this.#sql.transition
    if (expect.owner !== undefined) text += ` AND resource_id = $${values.push(expect.owner)}`
    if (expect.version !== undefined) text += ` AND version = $${values.push(expect.version)}`
    return (await query(this.#pg, text, values)).rowCount === 1
  }

  async append(runId: string, events: AgentRunEvent[]): Promise<boolean> {
    if (events.length === 0) return (await this.get(runId))?.status === 'running'
    const log = agentRunLogValues(events)
    // The guard and the insert are one statement: nothing is appended to a run that stopped running.
    const { rowCount } = await query(this.#pg, this.#sql.append, [runId, log.lastSeq, new Date(), log.firstSeq, log.events])
    return rowCount > 0
  }

  async events(runId: string, after: number, limit?: number): Promise<AgentRunEvent[]> {
    const { rows } = await query<AgentRunLogRow>(this.#pg, this.#sql.events, [runId, after])
    return agentRunEventsOf(rows, after, limit ?? -1)
  }

  async prune(before: Date): Promise<number> {
    return (await query(this.#pg, this.#sql.prune, [before])).rowCount
  }

  async renew(runIds: readonly string[], leaseMs: number): Promise<number> {
    if (runIds.length === 0) return 0
    return (await query(this.#pg, this.#sql.renew, [leaseMs, runIds])).rowCount
  }

  async closeExpired(error: { message: string }, limit: number, price?: (record: AgentRunRecord) => RunCost | null): Promise<AgentRunRecord[]> {
    const { rows } = await query<AgentRunRow>(this.#pg, this.#sql.expired, [limit])
    const message = JSON.stringify(error)
    const closed: AgentRunRecord[] = []
    // One guarded write per run: of the instances sweeping at once, the first to write closes it.
    for (const row of rows) {
      const record = agentRunRecordOf(row)
      const metrics = agentRunMetricsJson({ cost: price?.(record) ?? null, timeToFirstTokenMs: record.timeToFirstTokenMs })
      const updated = await query<AgentRunRow>(this.#pg, this.#sql.close, [message, metrics, record.runId, record.version])
      if (updated.rows.length === 1) closed.push(agentRunRecordOf(updated.rows[0]))
    }
    return closed
  }
}

function statements(S: string) {
  const columns = AGENT_RUN_COLUMNS.split(',').length
  // The last parameter is the lease in ms from now (null: none), by the database's clock.
  const insert = `INSERT INTO ${S}.agent_runs (${AGENT_RUN_COLUMNS}, lease_expires_at)
    VALUES (${Array.from({ length: columns }, (_, i) => `$${i + 1}`).join(', ')}, now() + $${columns + 1}::double precision * interval '1 millisecond')`
  const n = columns + 1
  return {
    insert,
    insertWithLog: `WITH run AS (${insert} RETURNING run_id)
      INSERT INTO ${S}.agent_run_log (run_id, first_seq, last_seq, events) SELECT run_id, $${n + 1}, $${n + 2}, $${n + 3}::json FROM run`,
    get: `SELECT ${AGENT_RUN_COLUMNS} FROM ${S}.agent_runs WHERE run_id = $1`,
    transition: `UPDATE ${S}.agent_runs SET status = $1, model = COALESCE($2::json, model), steps = COALESCE($3::json, steps),
      usage = COALESCE($4::json, usage), finish_reason = COALESCE($5, finish_reason), error = COALESCE($6::json, error),
      pending = COALESCE($7::json, pending), state = COALESCE($8::json, state), finished_at = COALESCE($9, finished_at),
      metrics = COALESCE($10::json, metrics), version = version + 1, updated_at = $11,
      lease_expires_at = COALESCE(now() + $14::double precision * interval '1 millisecond', lease_expires_at)
      WHERE run_id = $12 AND status = $13`,
    append: `WITH run AS (
        UPDATE ${S}.agent_runs SET last_seq = $2, updated_at = $3 WHERE run_id = $1 AND status = 'running' RETURNING run_id)
      INSERT INTO ${S}.agent_run_log (run_id, first_seq, last_seq, events) SELECT run_id, $4, $2, $5::json FROM run`,
    events: `SELECT first_seq, events FROM ${S}.agent_run_log WHERE run_id = $1 AND last_seq > $2 ORDER BY first_seq`,
    prune: `DELETE FROM ${S}.agent_runs WHERE finished_at < $1 AND status IN ('success', 'failed', 'canceled')`,
    renew: `UPDATE ${S}.agent_runs SET lease_expires_at = now() + $1::double precision * interval '1 millisecond'
      WHERE status = 'running' AND run_id = ANY($2::text[])`,
    expired: `SELECT ${AGENT_RUN_COLUMNS} FROM ${S}.agent_runs WHERE status = 'running' AND lease_expires_at <= now()
      ORDER BY lease_expires_at LIMIT $1`,
    close: `UPDATE ${S}.agent_runs SET status = 'failed', error = $1::json, finished_at = now(), metrics = COALESCE($2::json, metrics),
        version = version + 1, updated_at = now()
      WHERE run_id = $3 AND status = 'running' AND version = $4 AND lease_expires_at <= now() RETURNING ${AGENT_RUN_COLUMNS}`,
  }
}
