import { conflict, notFound } from '../core/errors.js'
import type {
  DeleteRunOutcome,
  ListWorkflowRunsQuery,
  WorkflowRunCount,
  WorkflowRunRecord,
  WorkflowRunStatus,
  WorkflowRunStore,
} from '../storage/workflow-runs.js'
import type { WorkflowSnapshot } from '../storage/workflow-snapshot.js'

interface StoredRun {
  workflowId: string
  runId: string
  resourceId: string | null
  status: WorkflowRunStatus
  /** Serialised like a database would, so later changes to a caller's object never leak in. */
  snapshot: string
  createdAt: number
  updatedAt: number
  seq: number
}

function toRecord(run: StoredRun): WorkflowRunRecord {
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    resourceId: run.resourceId,
    status: run.status,
    snapshot: JSON.parse(run.snapshot) as WorkflowSnapshot,
    createdAt: new Date(run.createdAt),
    updatedAt: new Date(run.updatedAt),
  }
}

const newestFirst = (a: StoredRun, b: StoredRun) => b.createdAt - a.createdAt || b.seq - a.seq

/** A process-local WorkflowRunStore with the same compare-and-set semantics as the SQLite one. */
export class InMemoryWorkflowRuns implements WorkflowRunStore {
  readonly #runs = new Map<string, StoredRun>()
  #seq = 0

  async create(record: WorkflowRunRecord): Promise<void> {
    const key = `${record.workflowId}\u0000${record.runId}`
    if (this.#runs.has(key)) throw conflict(`Workflow run ${record.runId} already exists`)
    this.#runs.set(key, {
      workflowId: record.workflowId,
      runId: record.runId,
      resourceId: record.resourceId,
      status: record.status,
      snapshot: JSON.stringify(record.snapshot),
      createdAt: record.createdAt.getTime(),
      updatedAt: record.updatedAt.getTime(),
      seq: (this.#seq += 1),
    })
  }

  async get(workflowId: string, runId: string): Promise<WorkflowRunRecord | null> {
    const run = this.#runs.get(`${workflowId}\u0000${runId}`)
    return run ? toRecord(run) : null
  }

  async list(query: ListWorkflowRunsQuery): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    const matching = [...this.#runs.values()]
      .filter(
        (run) =>
          run.workflowId === query.workflowId &&
          (query.resourceId === undefined || run.resourceId === query.resourceId) &&
          (query.status === undefined || run.status === query.status),
      )
      .sort(newestFirst)
    const start = query.page * query.perPage
    return { runs: matching.slice(start, start + query.perPage).map(toRecord), total: matching.length }
  }

  async update(record: WorkflowRunRecord): Promise<void> {
    const run = this.#runs.get(`${record.workflowId}\u0000${record.runId}`)
    if (!run) throw notFound(`Workflow run ${record.runId} not found`)
    run.resourceId = record.resourceId
    run.status = record.status
    run.snapshot = JSON.stringify(record.snapshot)
    run.updatedAt = Date.now()
  }

  async compareAndSetStatus(
    workflowId: string,
    runId: string,
    from: WorkflowRunStatus,
    to: WorkflowRunStatus,
    snapshot?: WorkflowSnapshot,
    owner?: string,
  ): Promise<boolean> {
    // Check and change happen in one synchronous stretch, so concurrent callers cannot interleave.
    const run = this.#runs.get(`${workflowId}\u0000${runId}`)
    if (!run || run.status !== from || (owner !== undefined && run.resourceId !== owner)) return false
    run.status = to
    if (snapshot) run.snapshot = JSON.stringify(snapshot)
    run.updatedAt = Date.now()
    return true
  }

  async listByStatus(status: WorkflowRunStatus, workflowId?: string): Promise<WorkflowRunRecord[]> {
    return [...this.#runs.values()]
      .filter((run) => run.status === status && (workflowId === undefined || run.workflowId === workflowId))
      .sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq)
      .map(toRecord)
  }

  async countRuns(resourceId?: string): Promise<WorkflowRunCount[]> {
    const counts = new Map<string, WorkflowRunCount>()
    for (const run of this.#runs.values()) {
      if (resourceId !== undefined && run.resourceId !== resourceId) continue
      const key = `${run.workflowId}\u0000${run.status}`
      const entry = counts.get(key) ?? { workflowId: run.workflowId, status: run.status, count: 0 }
      entry.count += 1
      counts.set(key, entry)
    }
    return [...counts.values()]
  }

  async deleteRun(workflowId: string, runId: string, owner?: string): Promise<DeleteRunOutcome> {
    const key = `${workflowId}\u0000${runId}`
    const run = this.#runs.get(key)
    if (!run || (owner !== undefined && run.resourceId !== owner)) return 'missing'
    if (run.status === 'running') return 'running'
    this.#runs.delete(key)
    return 'deleted'
  }
}
