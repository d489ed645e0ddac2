import type Database from 'better-sqlite3'
import { conflict, notFound } from '../core/errors.js'
import { oldestFirst, RUN_COLUMNS, runRecordOf, type WorkflowRunRow } from './workflow-run-rows.js'
import type {
  DeleteRunOutcome,
  ClaimOptions,
  HeldRun,
  LeaseRequest,
  ListWorkflowRunsQuery,
  WorkflowRunCount,
  WorkflowRunRecord,
  WorkflowRunStatus,
  WorkflowRunStore,
} from './workflow-runs.js'
import { GroupCommit, isPrimaryKeyViolation } from './group-commit.js'


/** The `workflow_runs` table (created by the store's migrations). Statements are prepared once. */
export class SqliteWorkflowRuns implements WorkflowRunStore {
  readonly #db: Database.Database
  readonly #insert: Database.Statement
  readonly #get: Database.Statement
  readonly #update: Database.Statement
  /** Compare-and-set statements, indexed by [with snapshot][with owner]. */
  readonly #setStatus: Database.Statement[][]
  readonly #byStatus: Database.Statement
  readonly #byStatusOfWorkflow: Database.Statement
  readonly #countAll: Database.Statement
  readonly #countOwned: Database.Statement
  readonly #delete: Database.Statement
  readonly #insertLeased: Database.Statement
  /** Claim statements, indexed by [with snapshot][with owner][from running]. */
  readonly #claim: Database.Statement[][][]
  readonly #checkpoint: Database.Statement
  readonly #finish: Database.Statement
  readonly #release: Database.Statement
  readonly #renew: Database.Statement
  readonly #claimExpired: Database.Statement
  readonly #expired: Database.Statement
  readonly #lists = new Map<string, { page: Database.Statement; count: Database.Statement }>()
  readonly #writes: GroupCommit

  /** @internal */
  constructor(db: Database.Database, writes: GroupCommit = new GroupCommit(db)) {
    this.#db = db
    this.#writes = writes
    this.#insert = db.prepare(`INSERT INTO workflow_runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    this.#get = db.prepare(`SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE workflow_id = ? AND run_id = ?`)
    this.#update = db.prepare(
      'UPDATE workflow_runs SET resource_id = ?, status = ?, snapshot = ?, updated_at = ? WHERE workflow_id = ? AND run_id = ?',
    )
    const setStatus = (snapshot: boolean, owner: boolean) =>
      db.prepare(
        `UPDATE workflow_runs SET status = ?${snapshot ? ', snapshot = ?' : ''}, updated_at = ? ` +
          `WHERE workflow_id = ? AND run_id = ? AND status = ?${owner ? ' AND resource_id = ?' : ''}`,
      )
    this.#setStatus = [
      [setStatus(false, false), setStatus(false, true)],
      [setStatus(true, false), setStatus(true, true)],
    ]
    this.#byStatus = db.prepare(`SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE status = ? ORDER BY created_at`)
    this.#byStatusOfWorkflow = db.prepare(
      `SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE status = ? AND workflow_id = ? ORDER BY created_at`,
    )
    const counts = 'SELECT workflow_id AS workflowId, status, COUNT(*) AS count FROM workflow_runs'
    this.#countAll = db.prepare(`${counts} GROUP BY workflow_id, status`)
    this.#countOwned = db.prepare(`${counts} WHERE resource_id = ? GROUP BY workflow_id, status`)
    this.#delete = db.prepare(
      "DELETE FROM workflow_runs WHERE workflow_id = ? AND run_id = ? AND status <> 'running' AND (? IS NULL OR resource_id = ?)",
    )
    this.#insertLeased = db.prepare(
      `INSERT INTO workflow_runs (${RUN_COLUMNS}, lease_owner, lease_expires_at, lease_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    )
    const claim = (snapshot: boolean, owner: boolean, expired: boolean) =>
      db.prepare(
        `UPDATE workflow_runs SET status = 'running'${snapshot ? ', snapshot = ?' : ''}, updated_at = ?, ` +
          'lease_owner = ?, lease_expires_at = ?, lease_token = lease_token + 1 ' +
          `WHERE workflow_id = ? AND run_id = ? AND status = ?${owner ? ' AND resource_id = ?' : ''}` +
          `${expired ? ' AND (lease_expires_at IS NULL OR lease_expires_at <= ?)' : ''} RETURNING lease_token`,
      )
    this.#claim = [false, true].map((snapshot) => [false, true].map((owner) => [false, true].map((expired) => claim(snapshot, owner, expired))))
    this.#checkpoint = db.prepare(
      'UPDATE workflow_runs SET snapshot = ?, updated_at = ?, lease_expires_at = ? ' +
        "WHERE workflow_id = ? AND run_id = ? AND status = 'running' AND lease_token = ?",
    )
    this.#finish = db.prepare(
      'UPDATE workflow_runs SET status = ?, snapshot = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL ' +
        "WHERE workflow_id = ? AND run_id = ? AND status = 'running' AND lease_token = ?",
    )
    this.#release = db.prepare(
      'UPDATE workflow_runs SET lease_owner = NULL, lease_expires_at = NULL, lease_token = lease_token + 1 ' +
        "WHERE workflow_id = ? AND run_id = ? AND status = 'running' AND lease_token = ?",
    )
    // The held runs arrive as one JSON array of [workflowId, runId, token], looked up by primary key.
    this.#renew = db.prepare(
      "UPDATE workflow_runs SET lease_expires_at = ? WHERE status = 'running' AND (workflow_id, run_id, lease_token) IN " +
        "(SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)) RETURNING workflow_id, run_id, lease_token",
    )
    // One statement under SQLite's write lock: of several sweeping instances, one takes each run.
    this.#claimExpired = db.prepare(
      'UPDATE workflow_runs SET lease_owner = ?, lease_expires_at = ?, lease_token = lease_token + 1, updated_at = ? ' +
        "WHERE rowid IN (SELECT rowid FROM workflow_runs WHERE status = 'running' " +
        'AND (lease_expires_at IS NULL OR lease_expires_at <= ?) AND workflow_id IN (SELECT value FROM json_each(?)) ' +
        `ORDER BY created_at LIMIT ?) RETURNING ${RUN_COLUMNS}, lease_token`,
    )
    this.#expired = db.prepare(
      `SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE status = 'running' AND workflow_id = ? ` +
        'AND (lease_expires_at IS NULL OR lease_expires_at <= ?) ORDER BY created_at',
    )
  }

  async create(record: WorkflowRunRecord, lease?: LeaseRequest): Promise<void> {
    const snapshot = JSON.stringify(record.snapshot)
    const { workflowId, runId, resourceId, status } = record
    const values: unknown[] = [workflowId, runId, resourceId, status, snapshot, record.createdAt.getTime(), record.updatedAt.getTime()]
    const leased = lease !== undefined && status === 'running'
    try {
      await this.#writes.run(() =>
        leased ? this.#insertLeased.run(...values, lease.instanceId, Date.now() + lease.leaseMs) : this.#insert.run(values),
      )
    } catch (err) {
      if (isPrimaryKeyViolation(err)) throw conflict(`Workflow run ${record.runId} already exists`)
      throw err
    }
  }

  async get(workflowId: string, runId: string): Promise<WorkflowRunRecord | null> {
    const row = this.#get.get(workflowId, runId) as WorkflowRunRow | undefined
    return row ? runRecordOf(row) : null
  }

  async list(query: ListWorkflowRunsQuery): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    const { page, count } = this.#listStatements(query.resourceId !== undefined, query.status !== undefined)
    const filters: unknown[] = [query.workflowId]
    if (query.resourceId !== undefined) filters.push(query.resourceId)
    if (query.status !== undefined) filters.push(query.status)
    const rows = page.all(...filters, query.perPage, query.page * query.perPage) as WorkflowRunRow[]
    const { total } = count.get(...filters) as { total: number }
    return { runs: rows.map(runRecordOf), total }
  }

  async update(record: WorkflowRunRecord): Promise<void> {
    const { workflowId, runId, resourceId, status } = record
    const snapshot = JSON.stringify(record.snapshot)
    const { changes } = await this.#writes.run(() =>
      this.#update.run(resourceId, status, snapshot, Date.now(), workflowId, runId),
    )
    if (changes === 0) throw notFound(`Workflow run ${record.runId} not found`)
  }

  async compareAndSetStatus(
    workflowId: string,
    runId: string,
    from: WorkflowRunStatus,
    to: WorkflowRunStatus,
    snapshot?: WorkflowRunRecord['snapshot'],
    owner?: string,
  ): Promise<boolean> {
    // One UPDATE guarded by the old status (and owner): SQLite runs it atomically, so of two racers one changes a row.
    // The snapshot is serialised now: the caller keeps mutating its object while the write waits.
    const values: unknown[] = [to]
    if (snapshot) values.push(JSON.stringify(snapshot))
    values.push(Date.now(), workflowId, runId, from)
    if (owner !== undefined) values.push(owner)
    const statement = this.#setStatus[snapshot ? 1 : 0][owner === undefined ? 0 : 1]
    const { changes } = await this.#writes.run(() => statement.run(values))
    return changes === 1
  }

  async claim(
    workflowId: string,
    runId: string,
    from: WorkflowRunStatus,
    lease: LeaseRequest,
    options: ClaimOptions = {},
  ): Promise<number | null> {
    const { snapshot, owner } = options
    const serialized = snapshot === undefined ? undefined : JSON.stringify(snapshot)
    const statement = this.#claim[serialized === undefined ? 0 : 1][owner === undefined ? 0 : 1][from === 'running' ? 1 : 0]
    const row = await this.#writes.run(() => {
      const now = Date.now()
      const values: unknown[] = serialized === undefined ? [] : [serialized]
      values.push(now, lease.instanceId, now + lease.leaseMs, workflowId, runId, from)
      if (owner !== undefined) values.push(owner)
      if (from === 'running') values.push(now)
      return statement.get(values) as { lease_token: number } | undefined
    })
    return row ? row.lease_token : null
  }

  async checkpoint(workflowId: string, runId: string, token: number, snapshot: WorkflowRunRecord['snapshot'], leaseMs: number): Promise<boolean> {
    const serialized = JSON.stringify(snapshot)
    const { changes } = await this.#writes.run(() => {
      const now = Date.now()
      return this.#checkpoint.run(serialized, now, now + leaseMs, workflowId, runId, token)
    })
    return changes === 1
  }

  async finish(workflowId: string, runId: string, token: number, status: WorkflowRunStatus, snapshot: WorkflowRunRecord['snapshot']): Promise<boolean> {
    const serialized = JSON.stringify(snapshot)
    const { changes } = await this.#writes.run(() => this.#finish.run(status, serialized, Date.now(), workflowId, runId, token))
    return changes === 1
  }

  async release(workflowId: string, runId: string, token: number): Promise<boolean> {
    const { changes } = await this.#writes.run(() => this.#release.run(workflowId, runId, token))
    return changes === 1
  }

  async renew(runs: readonly HeldRun[], leaseMs: number): Promise<HeldRun[]> {
    if (runs.length === 0) return []
    const held = JSON.stringify(runs.map((run) => [run.workflowId, run.runId, run.token]))
    const rows = await this.#writes.run(
      () => this.#renew.all(Date.now() + leaseMs, held) as Array<{ workflow_id: string; run_id: string; lease_token: number }>,
    )
    return rows.map((row) => ({ workflowId: row.workflow_id, runId: row.run_id, token: row.lease_token }))
  }

  async claimExpired(
    workflowIds: readonly string[],
    lease: LeaseRequest,
    limit: number,
  ): Promise<Array<{ record: WorkflowRunRecord; token: number }>> {
    if (workflowIds.length === 0 || limit <= 0) return []
    const ids = JSON.stringify(workflowIds)
    const rows = await this.#writes.run(() => {
      const now = Date.now()
      return this.#claimExpired.all(lease.instanceId, now + lease.leaseMs, now, now, ids, limit) as Array<WorkflowRunRow & { lease_token: number }>
    })
    // RETURNING follows no ORDER BY: put the oldest first again.
    oldestFirst(rows)
    return rows.map((row) => ({ record: runRecordOf(row), token: row.lease_token }))
  }

  async listExpired(workflowId: string): Promise<WorkflowRunRecord[]> {
    return (this.#expired.all(workflowId, Date.now()) as WorkflowRunRow[]).map(runRecordOf)
  }

  async listByStatus(status: WorkflowRunStatus, workflowId?: string): Promise<WorkflowRunRecord[]> {
    const rows = (workflowId === undefined ? this.#byStatus.all(status) : this.#byStatusOfWorkflow.all(status, workflowId)) as WorkflowRunRow[]
    return rows.map(runRecordOf)
  }

  async countRuns(resourceId?: string): Promise<WorkflowRunCount[]> {
    return (resourceId === undefined ? this.#countAll.all() : this.#countOwned.all(resourceId)) as WorkflowRunCount[]
  }

  async deleteRun(workflowId: string, runId: string, owner?: string): Promise<DeleteRunOutcome> {
    const scope = owner ?? null
    const { changes } = await this.#writes.run(() => this.#delete.run(workflowId, runId, scope, scope))
    if (changes === 1) return 'deleted'
    // Nothing deleted: say why, without telling a caller about another resource's run.
    const row = this.#get.get(workflowId, runId) as WorkflowRunRow | undefined
    return row && (owner === undefined || row.resource_id === owner) && row.status === 'running' ? 'running' : 'missing'
  }

  /** One prepared pair per filter combination, made on first use. */
  #listStatements(byResource: boolean, byStatus: boolean): { page: Database.Statement; count: Database.Statement } {
    const key = `${byResource}:${byStatus}`
    let statements = this.#lists.get(key)
    if (!statements) {
      let where = 'workflow_id = ?'
      if (byResource) where += ' AND resource_id = ?'
      if (byStatus) where += ' AND status = ?'
      statements = {
        page: this.#db.prepare(`SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE ${where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`),
        count: this.#db.prepare(`SELECT COUNT(*) AS total FROM workflow_runs WHERE ${where}`),
      }
      this.#lists.set(key, statements)
    }
    return statements
  }
}
