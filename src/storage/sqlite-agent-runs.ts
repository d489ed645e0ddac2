import type Database from 'better-sqlite3'
import { conflict } from '../core/errors.js'
import type {
  AgentRunEvent,
  AgentRunExpectation,
  AgentRunPatch,
  AgentRunRecord,
  AgentRunStore,
  ListAgentRunsQuery,
  RunCost,
} from './agent-runs.js'
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
} from './agent-run-rows.js'
import { GroupCommit, isPrimaryKeyViolation } from './group-commit.js'

const NO_LIMIT = -1

const epochMs = (date: Date) => date.getTime()

/**
 * The `agent_runs` and `agent_run_log` tables; writes share the store's group commit. A run's
 * row holds the events it was inserted with, the log table those of each later write.
 */
export class SqliteAgentRuns implements AgentRunStore {
  readonly #db: Database.Database
  readonly #writes: GroupCommit
  readonly #insert: Database.Statement
  readonly #get: Database.Statement
  readonly #touch: Database.Statement
  readonly #insertLog: Database.Statement
  readonly #events: Database.Statement
  readonly #prune: Database.Statement
  readonly #renew: Database.Statement
  readonly #expired: Database.Statement
  readonly #close: Database.Statement
  readonly #transitions = new Map<string, Database.Statement>()
  readonly #lists = new Map<string, { page: Database.Statement; count: Database.Statement }>()

  /** @internal */
  constructor(db: Database.Database, writes: GroupCommit = new GroupCommit(db)) {
    this.#db = db
    this.#writes = writes
    // The events written with the run go in its row (log_first_seq, log): one row per run.
    this.#insert = db.prepare(
      `INSERT INTO agent_runs (${AGENT_RUN_COLUMNS}, lease_expires_at, log_first_seq, log) VALUES (${AGENT_RUN_COLUMNS.split(',').map(() => '?').join(', ')}, ?, ?, ?)`,
    )
    this.#get = db.prepare(`SELECT ${AGENT_RUN_COLUMNS} FROM agent_runs WHERE run_id = ?`)
    this.#touch = db.prepare("UPDATE agent_runs SET last_seq = ?, updated_at = ? WHERE run_id = ? AND status = 'running'")
    this.#insertLog = db.prepare('INSERT INTO agent_run_log (run_id, first_seq, last_seq, events) VALUES (?, ?, ?, ?)')
    this.#events = db.prepare(
      'SELECT log_first_seq AS first_seq, log AS events FROM agent_runs WHERE run_id = ? AND log IS NOT NULL ' +
        'UNION ALL SELECT first_seq, events FROM agent_run_log WHERE run_id = ? AND last_seq > ? ORDER BY first_seq',
    )
    this.#prune = db.prepare(
      "DELETE FROM agent_runs WHERE finished_at < ? AND status IN ('success', 'failed', 'canceled')",
    )
    this.#renew = db.prepare("UPDATE agent_runs SET lease_expires_at = ? WHERE status = 'running' AND run_id IN (SELECT value FROM json_each(?))")
    this.#expired = db.prepare(
      `SELECT ${AGENT_RUN_COLUMNS} FROM agent_runs WHERE status = 'running' AND lease_expires_at <= ? ORDER BY lease_expires_at LIMIT ?`,
    )
    this.#close = db.prepare(
      "UPDATE agent_runs SET status = 'failed', error = ?, finished_at = ?, metrics = COALESCE(?, metrics), version = version + 1, updated_at = ? " +
        `WHERE run_id = ? AND status = 'running' AND version = ? AND lease_expires_at <= ? RETURNING ${AGENT_RUN_COLUMNS}`,
    )
  }

  async create(record: AgentRunRecord, events: AgentRunEvent[] = [], leaseMs?: number): Promise<void> {
    const values = agentRunValues(record, epochMs)
    const log = events.length === 0 ? undefined : agentRunLogValues(events)
    values.push(leaseMs === undefined ? null : Date.now() + leaseMs, log ? log.firstSeq : null, log ? log.events : null)
    try {
      await this.#writes.run(() => this.#insert.run(values))
    } catch (err) {
      if (isPrimaryKeyViolation(err)) throw conflict(`Agent run ${record.runId} already exists`)
      throw err
    }
  }

  async get(runId: string): Promise<AgentRunRecord | null> {
    const row = this.#get.get(runId) as AgentRunRow | undefined
    return row ? agentRunRecordOf(row) : null
  }

  async list(query: ListAgentRunsQuery): Promise<{ runs: AgentRunRecord[]; total: number }> {
    const clauses: string[] = []
    const values: unknown[] = []
    const filter = (clause: string, value: unknown) => {
      clauses.push(clause)
      values.push(value)
    }
    if (query.agentId !== undefined) filter('agent_id = ?', query.agentId)
    if (query.resourceId !== undefined) filter('resource_id = ?', query.resourceId)
    if (query.threadId !== undefined) filter('thread_id = ?', query.threadId)
    if (query.status !== undefined) filter('status = ?', query.status)
    if (query.from !== undefined) filter('created_at >= ?', query.from.getTime())
    if (query.to !== undefined) filter('created_at <= ?', query.to.getTime())
    const { page, count } = this.#listStatements(clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`)
    const rows = page.all(...values, query.perPage, query.page * query.perPage) as AgentRunRow[]
    const { total } = count.get(...values) as { total: number }
    return { runs: rows.map(agentRunRecordOf), total }
  }

  async transition(runId: string, expect: AgentRunExpectation, patch: AgentRunPatch): Promise<boolean> {
    const now = Date.now()
    const values = [...agentRunPatchValues(patch, epochMs), patch.leaseMs === undefined ? null : now + patch.leaseMs, now, runId, expect.status]
    if (expect.owner !== undefined) values.push(expect.owner)
    if (expect.version !== undefined) values.push(expect.version)
    const statement = this.#transition(expect.owner !== undefined, expect.version !== undefined)
    const { changes } = await this.#writes.run(() => statement.run(values))
    return changes === 1
  }

  async append(runId: string, events: AgentRunEvent[]): Promise<boolean> {
    if (events.length === 0) return (await this.get(runId))?.status === 'running'
    const log = agentRunLogValues(events)
    return this.#writes.run(() => {
      if (this.#touch.run(log.lastSeq, Date.now(), runId).changes === 0) return false
      this.#insertLog.run(runId, log.firstSeq, log.lastSeq, log.events)
      return true
    })
  }

  async events(runId: string, after: number, limit = NO_LIMIT): Promise<AgentRunEvent[]> {
    return agentRunEventsOf(this.#events.all(runId, runId, after) as AgentRunLogRow[], after, limit)
  }

  async prune(before: Date): Promise<number> {
    const { changes } = await this.#writes.run(() => this.#prune.run(before.getTime()))
    return changes
  }

  async renew(runIds: readonly string[], leaseMs: number): Promise<number> {
    if (runIds.length === 0) return 0
    const ids = JSON.stringify(runIds)
    const { changes } = await this.#writes.run(() => this.#renew.run(Date.now() + leaseMs, ids))
    return changes
  }

  async closeExpired(error: { message: string }, limit: number, price?: (record: AgentRunRecord) => RunCost | null): Promise<AgentRunRecord[]> {
    const message = JSON.stringify(error)
    return this.#writes.run(() => {
      const now = Date.now()
      const closed: AgentRunRecord[] = []
      for (const row of this.#expired.all(now, limit) as AgentRunRow[]) {
        const record = agentRunRecordOf(row)
        const metrics = agentRunMetricsJson({ cost: price?.(record) ?? null, timeToFirstTokenMs: record.timeToFirstTokenMs })
        const updated = this.#close.get(message, now, metrics, now, record.runId, record.version, now) as AgentRunRow | undefined
        if (updated) closed.push(agentRunRecordOf(updated))
      }
      return closed
    })
  }

  /** One prepared pair per filter combination, made on first use. */
  #listStatements(where: string): { page: Database.Statement; count: Database.Statement } {
    let statements = this.#lists.get(where)
    if (!statements) {
      statements = {
        page: this.#db.prepare(`SELECT ${AGENT_RUN_COLUMNS} FROM agent_runs ${where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`),
        count: this.#db.prepare(`SELECT COUNT(*) AS total FROM agent_runs ${where}`),
      }
      this.#lists.set(where, statements)
    }
    return statements
  }

  /** One prepared statement per kind of expectation, made on first use. */
  #transition(byOwner: boolean, byVersion: boolean): Database.Statement {
    const key = `${byOwner}:${byVersion}`
    let statement = this.#transitions.get(key)
    if (!statement) {
      statement = this.#db.prepare(
        'UPDATE agent_runs SET status = ?, model = COALESCE(?, model), steps = COALESCE(?, steps), usage = COALESCE(?, usage), ' +
          'finish_reason = COALESCE(?, finish_reason), error = COALESCE(?, error), pending = COALESCE(?, pending), ' +
          'state = COALESCE(?, state), finished_at = COALESCE(?, finished_at), metrics = COALESCE(?, metrics), ' +
          'lease_expires_at = COALESCE(?, lease_expires_at), version = version + 1, updated_at = ? ' +
          `WHERE run_id = ? AND status = ?${byOwner ? ' AND resource_id = ?' : ''}${byVersion ? ' AND version = ?' : ''}`,
      )
      this.#transitions.set(key, statement)
    }
    return statement
  }
}
