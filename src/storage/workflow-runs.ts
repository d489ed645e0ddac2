import type { WorkflowSnapshot } from './workflow-snapshot.js'

/** `pending` is a created run not started yet; `running` may also be a run a dead process left behind. */
export type WorkflowRunStatus = 'pending' | 'running' | 'success' | 'failed' | 'suspended' | 'canceled'

export const TERMINAL_STATUSES: ReadonlySet<WorkflowRunStatus> = new Set(['success', 'failed', 'canceled'])

/** One stored run. The status lives beside the snapshot so it can be compared-and-set alone. */
export interface WorkflowRunRecord {
  workflowId: string
  runId: string
  resourceId: string | null
  status: WorkflowRunStatus
  snapshot: WorkflowSnapshot
  createdAt: Date
  updatedAt: Date
}

export interface ListWorkflowRunsQuery {
  workflowId: string
  resourceId?: string
  status?: WorkflowRunStatus
  /** Zero-based. */
  page: number
  perPage: number
}

/** How many runs of one workflow are in one status. */
export interface WorkflowRunCount {
  workflowId: string
  status: WorkflowRunStatus
  count: number
}

/** What `deleteRun` did: removed the run, refused because it is running, or found nothing (to the caller). */
export type DeleteRunOutcome = 'deleted' | 'running' | 'missing'

/**
 * The workflow-run domain of the Store. Every status change a caller races on goes
 * through `compareAndSetStatus`, so two processes sharing one database agree on who won.
 */
export interface WorkflowRunStore {
  /** Inserts a run; throws a 409 HttpError when the run id is taken for this workflow. */
  create(record: WorkflowRunRecord): Promise<void>
  get(workflowId: string, runId: string): Promise<WorkflowRunRecord | null>
  /** Newest first. */
  list(query: ListWorkflowRunsQuery): Promise<{ runs: WorkflowRunRecord[]; total: number }>
  /** Overwrites status, snapshot and updatedAt unconditionally. */
  update(record: WorkflowRunRecord): Promise<void>
  /**
   * Moves a run from `from` to `to` (storing `snapshot` when given) only if its status is
   * still `from` and, when `owner` is given, it belongs to that resource: ownership is part
   * of the same atomic step. True when this call made the change.
   */
  compareAndSetStatus(
    workflowId: string,
    runId: string,
    from: WorkflowRunStatus,
    to: WorkflowRunStatus,
    snapshot?: WorkflowSnapshot,
    owner?: string,
  ): Promise<boolean>
  /** Oldest first; optionally for one workflow. */
  listByStatus(status: WorkflowRunStatus, workflowId?: string): Promise<WorkflowRunRecord[]>
  /** Runs per workflow and status (only pairs with runs), optionally of one resource. */
  countRuns(resourceId?: string): Promise<WorkflowRunCount[]>
  /**
   * Deletes a run unless it is `running`; with `owner`, only that resource's run (another's
   * is `missing`). The status and owner are checked in the same statement as the delete.
   */
  deleteRun(workflowId: string, runId: string, owner?: string): Promise<DeleteRunOutcome>
}
