import type { WorkflowSnapshot } from './workflow-snapshot.js'

/** `pending` is a created run not started yet; a `running` run is owned through a lease (see `claim`). */
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

/** Who takes a lease on a running run, and for how long (renewed by heartbeats and checkpoints). */
export interface LeaseRequest {
  instanceId: string
  leaseMs: number
}

/** Names one run. */
export interface RunRef {
  workflowId: string
  runId: string
}

/** A run held under a lease: the fencing token its claim received. */
export interface HeldRun {
  workflowId: string
  runId: string
  token: number
}

/** What a claim may also set, in the same atomic write. */
export interface ClaimOptions {
  /** Stored with the claim. */
  snapshot?: WorkflowSnapshot
  /** The claim succeeds only if the run belongs to this resource. */
  owner?: string
}

/**
 * The workflow-run domain of the Store. Every status change a caller races on is one guarded
 * write, so two processes sharing one database agree on who won.
 *
 * A `running` run is owned by one instance through a lease: an owner, an expiry and a fencing
 * token that each claim increments. The owner's writes (`checkpoint`, `finish`) carry the token
 * and fail once another claim took the run, so an instance that lost its lease can no longer write.
 */
export interface WorkflowRunStore {
  /**
   * Inserts a run; throws a 409 HttpError when the run id is taken for this workflow.
   * A `running` record is inserted under a lease for `lease` with fencing token 1.
   */
  create(record: WorkflowRunRecord, lease?: LeaseRequest): Promise<void>
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
  /**
   * Takes a run for `lease.instanceId` and sets it `running`: from `pending` or `suspended`, or
   * from `running` when its lease expired (or it has none). Returns the new fencing token, or
   * null when the run was not in that state (or not `options.owner`'s).
   */
  claim(workflowId: string, runId: string, from: WorkflowRunStatus, lease: LeaseRequest, options?: ClaimOptions): Promise<number | null>
  /** Stores the snapshot of a running run and extends its lease, if `token` still holds it. */
  checkpoint(workflowId: string, runId: string, token: number, snapshot: WorkflowSnapshot, leaseMs: number): Promise<boolean>
  /** Stores the final status and snapshot and ends the lease, if `token` still holds the run. */
  finish(workflowId: string, runId: string, token: number, status: WorkflowRunStatus, snapshot: WorkflowSnapshot): Promise<boolean>
  /**
   * Ends the lease of a run that stays `running`, so another instance may take it at once; the
   * token no longer holds it (nor renews it) afterwards.
   */
  release(workflowId: string, runId: string, token: number): Promise<boolean>
  /** Extends the leases of `runs` that their tokens still hold; returns those. */
  renew(runs: readonly HeldRun[], leaseMs: number): Promise<HeldRun[]>
  /**
   * Claims up to `limit` running runs of `workflowIds` whose lease expired, oldest first, for
   * `lease.instanceId`: each run goes to exactly one of the instances sweeping at once.
   */
  claimExpired(workflowIds: readonly string[], lease: LeaseRequest, limit: number): Promise<Array<{ record: WorkflowRunRecord; token: number }>>
  /** Running runs of a workflow whose lease expired (or that have none): interrupted. Oldest first. */
  listExpired(workflowId: string): Promise<WorkflowRunRecord[]>
  /**
   * Optional push: calls `listener` soon after any instance canceled a running run (PostgreSQL
   * LISTEN/NOTIFY). Without it, the instance running it notices at its next heartbeat.
   * Resolves to a function that stops listening.
   */
  watchCancels?(listener: (run: RunRef) => void): Promise<() => Promise<void>>
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
