import { conflict } from '../../core/errors.js'
import type {
  AgentRunEvent,
  AgentRunExpectation,
  AgentRunPatch,
  AgentRunRecord,
  AgentRunStore,
  ListAgentRunsQuery,
} from '../agent-runs.js'
import {
  AGENT_RUN_COLUMNS,
  agentRunEventsOf,
  agentRunLogValues,
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

  async create(record: AgentRunRecord, events: AgentRunEvent[] = []): Promise<void> {
    const values = agentRunValues(record, asDate)
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
    const values = [...agentRunPatchValues(patch, asDate), new Date(), runId, expect.status]
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
}

function statements(S: string) {
  const columns = AGENT_RUN_COLUMNS.split(',').length
  const insert = `INSERT INTO ${S}.agent_runs (${AGENT_RUN_COLUMNS}) VALUES (${Array.from({ length: columns }, (_, i) => `$${i + 1}`).join(', ')})`
  const n = columns
  return {
    insert,
    insertWithLog: `WITH run AS (${insert} RETURNING run_id)
      INSERT INTO ${S}.agent_run_log (run_id, first_seq, last_seq, events) SELECT run_id, $${n + 1}, $${n + 2}, $${n + 3}::json FROM run`,
    get: `SELECT ${AGENT_RUN_COLUMNS} FROM ${S}.agent_runs WHERE run_id = $1`,
    transition: `UPDATE ${S}.agent_runs SET status = $1, model = COALESCE($2::json, model), steps = COALESCE($3::json, steps),
      usage = COALESCE($4::json, usage), finish_reason = COALESCE($5, finish_reason), error = COALESCE($6::json, error),
      pending = COALESCE($7::json, pending), state = COALESCE($8::json, state), finished_at = COALESCE($9, finished_at),
      metrics = COALESCE($10::json, metrics), version = version + 1, updated_at = $11
      WHERE run_id = $12 AND status = $13`,
    append: `WITH run AS (
        UPDATE ${S}.agent_runs SET last_seq = $2, updated_at = $3 WHERE run_id = $1 AND status = 'running' RETURNING run_id)
      INSERT INTO ${S}.agent_run_log (run_id, first_seq, last_seq, events) SELECT run_id, $4, $2, $5::json FROM run`,
    events: `SELECT first_seq, events FROM ${S}.agent_run_log WHERE run_id = $1 AND last_seq > $2 ORDER BY first_seq`,
    prune: `DELETE FROM ${S}.agent_runs WHERE finished_at < $1 AND status IN ('success', 'failed', 'canceled')`,
  }
}
