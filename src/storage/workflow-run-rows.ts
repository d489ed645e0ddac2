import type { WorkflowRunRecord, WorkflowRunStatus } from './workflow-runs.js'
import type { WorkflowSnapshot } from './workflow-snapshot.js'

/** The columns of `workflow_runs` every read selects, in both stores. */
export const RUN_COLUMNS = 'workflow_id, run_id, resource_id, status, snapshot, created_at, updated_at'

/**
 * A `workflow_runs` row as a driver returns it: SQLite gives the snapshot as JSON text and
 * times as epoch ms, PostgreSQL a parsed snapshot and `Date`s.
 */
export interface WorkflowRunRow {
  workflow_id: string
  run_id: string
  resource_id: string | null
  status: WorkflowRunStatus
  snapshot: string | WorkflowSnapshot
  created_at: number | Date
  updated_at: number | Date
}

/** The record a row stores, whichever store read it. */
export function runRecordOf(row: WorkflowRunRow): WorkflowRunRecord {
  return {
    workflowId: row.workflow_id,
    runId: row.run_id,
    resourceId: row.resource_id,
    status: row.status,
    snapshot: typeof row.snapshot === 'string' ? (JSON.parse(row.snapshot) as WorkflowSnapshot) : row.snapshot,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

/** Rows oldest first (RETURNING follows no ORDER BY). */
export function oldestFirst<R extends Pick<WorkflowRunRow, 'created_at'>>(rows: R[]): R[] {
  return rows.sort((a, b) => Number(a.created_at) - Number(b.created_at))
}
