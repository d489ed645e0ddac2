import type Database from 'better-sqlite3'
import { conflict, notFound } from '../core/errors.js'
import type {
  DeleteRunOutcome,
  ListWorkflowRunsQuery,
  WorkflowRunCount,
  WorkflowRunRecord,
  WorkflowRunStatus,
  WorkflowRunStore,
} from './workflow-runs.js'
import { GroupCommit, isPrimaryKeyViolation } from './group-commit.js'

interface RunRow {
  workflow_id: string
  run_id: string
  resource_id: string | null
  status: WorkflowRunStatus
  snapshot: string
  created_at: number
  updated_at: number
}

const COLUMNS = 'workflow_id, run_id, resource_id, status, snapshot, created_at, updated_at'

function toRecord(row: RunRow): WorkflowRunRecord {
  return {
    workflowId: row.workflow_id,
    runId: row.run_id,
    resourceId: row.resource_id,
    status: row.status,
    snapshot: JSON.parse(row.snapshot),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

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
  readonly #lists = new Map<string, { page: Database.Statement; count: Database.Statement }>()
  readonly #writes: GroupCommit

  /** @internal */
  constructor(db: Database.Database, writes: GroupCommit = new GroupCommit(db)) {
    this.#db = db
    this.#writes = writes
    this.#insert = db.prepare(`INSERT INTO workflow_runs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM workflow_runs WHERE workflow_id = ? AND run_id = ?`)
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
    this.#byStatus = db.prepare(`SELECT ${COLUMNS} FROM workflow_runs WHERE status = ? ORDER BY created_at`)
    this.#byStatusOfWorkflow = db.prepare(
      `SELECT ${COLUMNS} FROM workflow_runs WHERE status = ? AND workflow_id = ? ORDER BY created_at`,
    )
    const counts = 'SELECT workflow_id AS workflowId, status, COUNT(*) AS count FROM workflow_runs'
    this.#countAll = db.prepare(`${counts} GROUP BY workflow_id, status`)
    this.#countOwned = db.prepare(`${counts} WHERE resource_id = ? GROUP BY workflow_id, status`)
    this.#delete = db.prepare(
      "DELETE FROM workflow_runs WHERE workflow_id = ? AND run_id = ? AND status <> 'running' AND (? IS NULL OR resource_id = ?)",
    )
  }

  async create(record: WorkflowRunRecord): Promise<void> {
    const snapshot = JSON.stringify(record.snapshot)
    const { workflowId, runId, resourceId, status } = record
    const created = record.createdAt.getTime()
    const updated = record.updatedAt.getTime()
    try {
      await this.#writes.run(() => this.#insert.run(workflowId, runId, resourceId, status, snapshot, created, updated))
    } catch (err) {
      if (isPrimaryKeyViolation(err)) throw conflict(`Workflow run ${record.runId} already exists`)
      throw err
    }
  }

  async get(workflowId: string, runId: string): Promise<WorkflowRunRecord | null> {
    const row = this.#get.get(workflowId, runId) as RunRow | undefined
    return row ? toRecord(row) : null
  }

  async list(query: ListWorkflowRunsQuery): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    const { page, count } = this.#listStatements(query.resourceId !== undefined, query.status !== undefined)
    const filters: unknown[] = [query.workflowId]
    if (query.resourceId !== undefined) filters.push(query.resourceId)
    if (query.status !== undefined) filters.push(query.status)
    const rows = page.all(...filters, query.perPage, query.page * query.perPage) as RunRow[]
    const { total } = count.get(...filters) as { total: number }
    return { runs: rows.map(toRecord), total }
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

  async listByStatus(status: WorkflowRunStatus, workflowId?: string): Promise<WorkflowRunRecord[]> {
    const rows = (workflowId === undefined ? this.#byStatus.all(status) : this.#byStatusOfWorkflow.all(status, workflowId)) as RunRow[]
    return rows.map(toRecord)
  }

  async countRuns(resourceId?: string): Promise<WorkflowRunCount[]> {
    return (resourceId === undefined ? this.#countAll.all() : this.#countOwned.all(resourceId)) as WorkflowRunCount[]
  }

  async deleteRun(workflowId: string, runId: string, owner?: string): Promise<DeleteRunOutcome> {
    const scope = owner ?? null
    const { changes } = await this.#writes.run(() => this.#delete.run(workflowId, runId, scope, scope))
    if (changes === 1) return 'deleted'
    // Nothing deleted: say why, without telling a caller about another resource's run.
    const row = this.#get.get(workflowId, runId) as RunRow | undefined
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
        page: this.#db.prepare(`SELECT ${COLUMNS} FROM workflow_runs WHERE ${where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`),
        count: this.#db.prepare(`SELECT COUNT(*) AS total FROM workflow_runs WHERE ${where}`),
      }
      this.#lists.set(key, statements)
    }
    return statements
  }
}
