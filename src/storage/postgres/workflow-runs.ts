import { conflict, notFound } from '../../core/errors.js'
import type {
  DeleteRunOutcome,
  ListWorkflowRunsQuery,
  WorkflowRunCount,
  WorkflowRunRecord,
  WorkflowRunStatus,
  WorkflowRunStore,
} from '../workflow-runs.js'
import { query, sqlState, UNIQUE_VIOLATION, type PgContext } from './sql.js'

interface RunRow {
  workflow_id: string
  run_id: string
  resource_id: string | null
  status: WorkflowRunStatus
  snapshot: WorkflowRunRecord['snapshot']
  created_at: Date
  updated_at: Date
}

const COLUMNS = 'workflow_id, run_id, resource_id, status, snapshot, created_at, updated_at'

function toRecord(row: RunRow): WorkflowRunRecord {
  return {
    workflowId: row.workflow_id,
    runId: row.run_id,
    resourceId: row.resource_id,
    status: row.status,
    snapshot: row.snapshot,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The `workflow_runs` table in PostgreSQL; every status race is one guarded UPDATE. */
export class PgWorkflowRuns implements WorkflowRunStore {
  readonly #pg: PgContext
  readonly #sql: ReturnType<typeof statements>

  constructor(pg: PgContext) {
    this.#pg = pg
    this.#sql = statements(pg.schema)
  }

  async create(record: WorkflowRunRecord): Promise<void> {
    const { workflowId, runId, resourceId, status } = record
    try {
      const values = [workflowId, runId, resourceId, status, JSON.stringify(record.snapshot), record.createdAt, record.updatedAt]
      await query(this.#pg, this.#sql.insert, values)
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) throw conflict(`Workflow run ${runId} already exists`)
      throw err
    }
  }

  async get(workflowId: string, runId: string): Promise<WorkflowRunRecord | null> {
    const { rows } = await query<RunRow>(this.#pg, this.#sql.get, [workflowId, runId])
    return rows.length === 1 ? toRecord(rows[0]) : null
  }

  async list(q: ListWorkflowRunsQuery): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    const filters: unknown[] = [q.workflowId]
    let where = 'workflow_id = $1'
    if (q.resourceId !== undefined) where += ` AND resource_id = $${filters.push(q.resourceId)}`
    if (q.status !== undefined) where += ` AND status = $${filters.push(q.status)}`
    const n = filters.length
    const pageSql = `SELECT ${COLUMNS} FROM ${this.#pg.schema}.workflow_runs WHERE ${where}
      ORDER BY created_at DESC, seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`
    const countSql = `SELECT COUNT(*)::int AS total FROM ${this.#pg.schema}.workflow_runs WHERE ${where}`
    const [page, count] = await Promise.all([
      query<RunRow>(this.#pg, pageSql, [...filters, q.perPage, q.page * q.perPage]),
      query<{ total: number }>(this.#pg, countSql, filters),
    ])
    return { runs: page.rows.map(toRecord), total: count.rows[0].total }
  }

  async update(record: WorkflowRunRecord): Promise<void> {
    const { workflowId, runId, resourceId, status } = record
    const values = [resourceId, status, JSON.stringify(record.snapshot), new Date(), workflowId, runId]
    if ((await query(this.#pg, this.#sql.update, values)).rowCount === 0) throw notFound(`Workflow run ${runId} not found`)
  }

  async compareAndSetStatus(
    workflowId: string,
    runId: string,
    from: WorkflowRunStatus,
    to: WorkflowRunStatus,
    snapshot?: WorkflowRunRecord['snapshot'],
    owner?: string,
  ): Promise<boolean> {
    // One guarded UPDATE (status and, when given, owner): of two racers, the second finds the row changed and updates nothing.
    const values = [to, snapshot === undefined ? null : JSON.stringify(snapshot), new Date(), workflowId, runId, from]
    if (owner === undefined) return (await query(this.#pg, this.#sql.compareAndSet, values)).rowCount === 1
    return (await query(this.#pg, this.#sql.compareAndSetOwned, [...values, owner])).rowCount === 1
  }

  async listByStatus(status: WorkflowRunStatus, workflowId?: string): Promise<WorkflowRunRecord[]> {
    const { rows } =
      workflowId === undefined
        ? await query<RunRow>(this.#pg, this.#sql.byStatus, [status])
        : await query<RunRow>(this.#pg, this.#sql.byStatusOfWorkflow, [status, workflowId])
    return rows.map(toRecord)
  }

  async countRuns(resourceId?: string): Promise<WorkflowRunCount[]> {
    const { rows } = await query<WorkflowRunCount>(this.#pg, this.#sql.countRuns, [resourceId ?? null])
    return rows
  }

  async deleteRun(workflowId: string, runId: string, owner?: string): Promise<DeleteRunOutcome> {
    if ((await query(this.#pg, this.#sql.delete, [workflowId, runId, owner ?? null])).rowCount === 1) return 'deleted'
    // Nothing deleted: say why, without telling a caller about another resource's run.
    const record = await this.get(workflowId, runId)
    return record && (owner === undefined || record.resourceId === owner) && record.status === 'running' ? 'running' : 'missing'
  }
}

function statements(S: string) {
  return {
    insert: `INSERT INTO ${S}.workflow_runs (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    get: `SELECT ${COLUMNS} FROM ${S}.workflow_runs WHERE workflow_id = $1 AND run_id = $2`,
    update: `UPDATE ${S}.workflow_runs SET resource_id = $1, status = $2, snapshot = $3, updated_at = $4
      WHERE workflow_id = $5 AND run_id = $6`,
    compareAndSet: `UPDATE ${S}.workflow_runs SET status = $1, snapshot = COALESCE($2::json, snapshot), updated_at = $3
      WHERE workflow_id = $4 AND run_id = $5 AND status = $6`,
    compareAndSetOwned: `UPDATE ${S}.workflow_runs SET status = $1, snapshot = COALESCE($2::json, snapshot), updated_at = $3
      WHERE workflow_id = $4 AND run_id = $5 AND status = $6 AND resource_id = $7`,
    byStatus: `SELECT ${COLUMNS} FROM ${S}.workflow_runs WHERE status = $1 ORDER BY created_at, seq`,
    byStatusOfWorkflow: `SELECT ${COLUMNS} FROM ${S}.workflow_runs WHERE status = $1 AND workflow_id = $2 ORDER BY created_at, seq`,
    countRuns: `SELECT workflow_id AS "workflowId", status, COUNT(*)::int AS count FROM ${S}.workflow_runs
      WHERE $1::text IS NULL OR resource_id = $1 GROUP BY workflow_id, status`,
    delete: `DELETE FROM ${S}.workflow_runs
      WHERE workflow_id = $1 AND run_id = $2 AND status <> 'running' AND ($3::text IS NULL OR resource_id = $3)`,
  }
}
