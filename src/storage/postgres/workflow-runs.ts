import { conflict, notFound } from '../../core/errors.js'
import { oldestFirst, RUN_COLUMNS, runRecordOf, type WorkflowRunRow } from '../workflow-run-rows.js'
import type {
  ClaimOptions,
  DeleteRunOutcome,
  HeldRun,
  LeaseRequest,
  ListWorkflowRunsQuery,
  RunRef,
  WorkflowRunCount,
  WorkflowRunRecord,
  WorkflowRunStatus,
  WorkflowRunStore,
} from '../workflow-runs.js'
import { query, type PgContext } from './sql.js'
import type { PgCancelListener } from './notifications.js'
import { PgRunWrites } from './run-writes.js'

/** The `workflow_runs` table in PostgreSQL; every status race is one guarded UPDATE. */
export class PgWorkflowRuns implements WorkflowRunStore {
  readonly #pg: PgContext
  readonly #sql: ReturnType<typeof statements>
  readonly #cancels: PgCancelListener
  /** Inserts, checkpoints and finishes: the writes every run makes, grouped into one statement per turn. */
  readonly #writes: PgRunWrites

  constructor(pg: PgContext, cancels: PgCancelListener) {
    this.#pg = pg
    this.#sql = statements(pg.schema)
    this.#cancels = cancels
    this.#writes = new PgRunWrites(pg)
  }

  async create(record: WorkflowRunRecord, lease?: LeaseRequest): Promise<void> {
    const { workflowId, runId, resourceId, status, snapshot, createdAt, updatedAt } = record
    const leased = lease !== undefined && status === 'running'
    const write = { kind: 'insert', workflowId, runId, resourceId, status, snapshot, createdAt, updatedAt } as const
    const inserted = await this.#writes.apply({ ...write, leaseOwner: leased ? lease.instanceId : null, leaseMs: leased ? lease.leaseMs : null })
    if (!inserted) throw conflict(`Workflow run ${runId} already exists`)
  }

  async get(workflowId: string, runId: string): Promise<WorkflowRunRecord | null> {
    const { rows } = await query<WorkflowRunRow>(this.#pg, this.#sql.get, [workflowId, runId])
    return rows.length === 1 ? runRecordOf(rows[0]) : null
  }

  async list(q: ListWorkflowRunsQuery): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    const filters: unknown[] = [q.workflowId]
    let where = 'workflow_id = $1'
    if (q.resourceId !== undefined) where += ` AND resource_id = $${filters.push(q.resourceId)}`
    if (q.status !== undefined) where += ` AND status = $${filters.push(q.status)}`
    const n = filters.length
    const pageSql = `SELECT ${RUN_COLUMNS} FROM ${this.#pg.schema}.workflow_runs WHERE ${where}
      ORDER BY created_at DESC, seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`
    const countSql = `SELECT COUNT(*)::int AS total FROM ${this.#pg.schema}.workflow_runs WHERE ${where}`
    const [page, count] = await Promise.all([
      query<WorkflowRunRow>(this.#pg, pageSql, [...filters, q.perPage, q.page * q.perPage]),
      query<{ total: number }>(this.#pg, countSql, filters),
    ])
    return { runs: page.rows.map(runRecordOf), total: count.rows[0].total }
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
    // Moving a running run (a cancel) tells the instance running it at once, from the same statement.
    if (from === 'running') {
      const notifying = [...values, owner ?? null, this.#cancels.channel]
      return (await query(this.#pg, this.#sql.compareAndSetNotifying, notifying)).rowCount === 1
    }
    if (owner === undefined) return (await query(this.#pg, this.#sql.compareAndSet, values)).rowCount === 1
    return (await query(this.#pg, this.#sql.compareAndSetOwned, [...values, owner])).rowCount === 1
  }

  async claim(
    workflowId: string,
    runId: string,
    from: WorkflowRunStatus,
    lease: LeaseRequest,
    options: ClaimOptions = {},
  ): Promise<number | null> {
    const snapshot = options.snapshot === undefined ? null : JSON.stringify(options.snapshot)
    const values = [snapshot, new Date(), lease.instanceId, lease.leaseMs, workflowId, runId, from, options.owner ?? null]
    const { rows } = await query<{ lease_token: string }>(this.#pg, this.#sql.claim, values)
    return rows.length === 1 ? Number(rows[0].lease_token) : null
  }

  checkpoint(workflowId: string, runId: string, token: number, snapshot: WorkflowRunRecord['snapshot'], leaseMs: number): Promise<boolean> {
    return this.#writes.apply({ kind: 'checkpoint', workflowId, runId, token, snapshot, updatedAt: new Date(), leaseMs })
  }

  finish(workflowId: string, runId: string, token: number, status: WorkflowRunStatus, snapshot: WorkflowRunRecord['snapshot']): Promise<boolean> {
    return this.#writes.apply({ kind: 'finish', workflowId, runId, token, status, snapshot, updatedAt: new Date() })
  }

  async release(workflowId: string, runId: string, token: number): Promise<boolean> {
    return (await query(this.#pg, this.#sql.release, [workflowId, runId, token])).rowCount === 1
  }

  async renew(runs: readonly HeldRun[], leaseMs: number): Promise<HeldRun[]> {
    if (runs.length === 0) return []
    const values = [leaseMs, runs.map((r) => r.workflowId), runs.map((r) => r.runId), runs.map((r) => r.token)]
    const { rows } = await query<{ workflow_id: string; run_id: string; lease_token: string }>(this.#pg, this.#sql.renew, values)
    return rows.map((row) => ({ workflowId: row.workflow_id, runId: row.run_id, token: Number(row.lease_token) }))
  }

  async claimExpired(
    workflowIds: readonly string[],
    lease: LeaseRequest,
    limit: number,
  ): Promise<Array<{ record: WorkflowRunRecord; token: number }>> {
    if (workflowIds.length === 0 || limit <= 0) return []
    const values = [lease.instanceId, lease.leaseMs, new Date(), workflowIds, limit]
    const { rows } = await query<WorkflowRunRow & { lease_token: string }>(this.#pg, this.#sql.claimExpired, values)
    // RETURNING follows no ORDER BY: put the oldest first again.
    oldestFirst(rows)
    return rows.map((row) => ({ record: runRecordOf(row), token: Number(row.lease_token) }))
  }

  async listExpired(workflowId: string): Promise<WorkflowRunRecord[]> {
    return (await query<WorkflowRunRow>(this.#pg, this.#sql.expired, [workflowId])).rows.map(runRecordOf)
  }

  watchCancels(listener: (run: RunRef) => void): Promise<() => Promise<void>> {
    return this.#cancels.subscribe(listener)
  }

  async listByStatus(status: WorkflowRunStatus, workflowId?: string): Promise<WorkflowRunRecord[]> {
    const { rows } =
      workflowId === undefined
        ? await query<WorkflowRunRow>(this.#pg, this.#sql.byStatus, [status])
        : await query<WorkflowRunRow>(this.#pg, this.#sql.byStatusOfWorkflow, [status, workflowId])
    return rows.map(runRecordOf)
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
    get: `SELECT ${RUN_COLUMNS} FROM ${S}.workflow_runs WHERE workflow_id = $1 AND run_id = $2`,
    update: `UPDATE ${S}.workflow_runs SET resource_id = $1, status = $2, snapshot = $3, updated_at = $4
      WHERE workflow_id = $5 AND run_id = $6`,
    compareAndSet: `UPDATE ${S}.workflow_runs SET status = $1, snapshot = COALESCE($2::json, snapshot), updated_at = $3
      WHERE workflow_id = $4 AND run_id = $5 AND status = $6`,
    compareAndSetNotifying: `WITH changed AS (
        UPDATE ${S}.workflow_runs SET status = $1, snapshot = COALESCE($2::json, snapshot), updated_at = $3
        WHERE workflow_id = $4 AND run_id = $5 AND status = $6 AND ($7::text IS NULL OR resource_id = $7)
        RETURNING workflow_id, run_id)
      SELECT pg_notify($8, json_build_array(workflow_id, run_id)::text) FROM changed`,
    compareAndSetOwned: `UPDATE ${S}.workflow_runs SET status = $1, snapshot = COALESCE($2::json, snapshot), updated_at = $3
      WHERE workflow_id = $4 AND run_id = $5 AND status = $6 AND resource_id = $7`,
    // From 'running' only once the lease expired; the owner check is skipped when $8 is null.
    claim: `UPDATE ${S}.workflow_runs SET status = 'running', snapshot = COALESCE($1::json, snapshot), updated_at = $2,
        lease_owner = $3, lease_expires_at = now() + $4 * interval '1 millisecond', lease_token = lease_token + 1
      WHERE workflow_id = $5 AND run_id = $6 AND status = $7 AND ($8::text IS NULL OR resource_id = $8)
        AND ($7 <> 'running' OR lease_expires_at IS NULL OR lease_expires_at <= now())
      RETURNING lease_token`,
    release: `UPDATE ${S}.workflow_runs SET lease_owner = NULL, lease_expires_at = NULL, lease_token = lease_token + 1
      WHERE workflow_id = $1 AND run_id = $2 AND status = 'running' AND lease_token = $3`,
    // Locks in key order, as grouped checkpoints do, so the two never deadlock.
    renew: `UPDATE ${S}.workflow_runs r SET lease_expires_at = now() + $1 * interval '1 millisecond'
      FROM (SELECT x.workflow_id, x.run_id, held.token FROM ${S}.workflow_runs x
          JOIN unnest($2::text[], $3::text[], $4::bigint[]) AS held (workflow_id, run_id, token)
            ON x.workflow_id = held.workflow_id AND x.run_id = held.run_id
          ORDER BY x.workflow_id, x.run_id FOR UPDATE OF x) locked
      WHERE r.workflow_id = locked.workflow_id AND r.run_id = locked.run_id AND r.lease_token = locked.token AND r.status = 'running'
      RETURNING r.workflow_id, r.run_id, r.lease_token`,
    // SKIP LOCKED: instances sweeping at once each take different runs, none waits for another.
    claimExpired: `UPDATE ${S}.workflow_runs r SET lease_owner = $1, lease_expires_at = now() + $2 * interval '1 millisecond',
        lease_token = r.lease_token + 1, updated_at = $3
      FROM (SELECT workflow_id, run_id FROM ${S}.workflow_runs
        WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= now()) AND workflow_id = ANY($4::text[])
        ORDER BY created_at, seq LIMIT $5 FOR UPDATE SKIP LOCKED) due
      WHERE r.workflow_id = due.workflow_id AND r.run_id = due.run_id
      RETURNING ${RUN_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')}, r.lease_token`,
    expired: `SELECT ${RUN_COLUMNS} FROM ${S}.workflow_runs WHERE status = 'running' AND workflow_id = $1
      AND (lease_expires_at IS NULL OR lease_expires_at <= now()) ORDER BY created_at, seq`,
    byStatus: `SELECT ${RUN_COLUMNS} FROM ${S}.workflow_runs WHERE status = $1 ORDER BY created_at, seq`,
    byStatusOfWorkflow: `SELECT ${RUN_COLUMNS} FROM ${S}.workflow_runs WHERE status = $1 AND workflow_id = $2 ORDER BY created_at, seq`,
    countRuns: `SELECT workflow_id AS "workflowId", status, COUNT(*)::int AS count FROM ${S}.workflow_runs
      WHERE $1::text IS NULL OR resource_id = $1 GROUP BY workflow_id, status`,
    delete: `DELETE FROM ${S}.workflow_runs
      WHERE workflow_id = $1 AND run_id = $2 AND status <> 'running' AND ($3::text IS NULL OR resource_id = $3)`,
  }
}
