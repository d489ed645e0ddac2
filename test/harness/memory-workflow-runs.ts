import { conflict, notFound } from '../../src/core/errors.js'
import type {
  ClaimOptions,
  DeleteRunOutcome,
  HeldRun,
  LeaseRequest,
  ListWorkflowRunsQuery,
  WorkflowRunCount,
  WorkflowRunRecord,
  WorkflowRunStatus,
  WorkflowRunStore,
} from '../../src/storage/workflow-runs.js'
import type { WorkflowSnapshot } from '../../src/storage/workflow-snapshot.js'

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
  leaseOwner: string | null
  leaseExpiresAt: number | null
  leaseToken: number
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

const key = (workflowId: string, runId: string) => `${workflowId}\u0000${runId}`
const oldestFirst = (a: StoredRun, b: StoredRun) => a.createdAt - b.createdAt || a.seq - b.seq
const leaseExpired = (run: StoredRun, now: number) => run.leaseExpiresAt === null || run.leaseExpiresAt <= now

const newestFirst = (a: StoredRun, b: StoredRun) => b.createdAt - a.createdAt || b.seq - a.seq

/**
 * A process-local WorkflowRunStore with the same compare-and-set semantics as the SQLite one,
 * for the engine's unit tests; it runs the store contract too, so it stays honest.
 */
export class InMemoryWorkflowRuns implements WorkflowRunStore {
  readonly #runs = new Map<string, StoredRun>()
  #seq = 0

  async create(record: WorkflowRunRecord, lease?: LeaseRequest): Promise<void> {
    const id = key(record.workflowId, record.runId)
    if (this.#runs.has(id)) throw conflict(`Workflow run ${record.runId} already exists`)
    const leased = lease !== undefined && record.status === 'running'
    this.#runs.set(id, {
      workflowId: record.workflowId,
      runId: record.runId,
      resourceId: record.resourceId,
      status: record.status,
      snapshot: JSON.stringify(record.snapshot),
      createdAt: record.createdAt.getTime(),
      updatedAt: record.updatedAt.getTime(),
      seq: (this.#seq += 1),
      leaseOwner: leased ? lease.instanceId : null,
      leaseExpiresAt: leased ? Date.now() + lease.leaseMs : null,
      leaseToken: leased ? 1 : 0,
    })
  }

  async get(workflowId: string, runId: string): Promise<WorkflowRunRecord | null> {
    const run = this.#runs.get(key(workflowId, runId))
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
    const run = this.#runs.get(key(record.workflowId, record.runId))
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
    const run = this.#runs.get(key(workflowId, runId))
    if (!run || run.status !== from || (owner !== undefined && run.resourceId !== owner)) return false
    run.status = to
    if (snapshot) run.snapshot = JSON.stringify(snapshot)
    run.updatedAt = Date.now()
    return true
  }

  async claim(workflowId: string, runId: string, from: WorkflowRunStatus, lease: LeaseRequest, options: ClaimOptions = {}): Promise<number | null> {
    const run = this.#runs.get(key(workflowId, runId))
    const now = Date.now()
    if (!run || run.status !== from || (options.owner !== undefined && run.resourceId !== options.owner)) return null
    if (from === 'running' && !leaseExpired(run, now)) return null
    run.status = 'running'
    if (options.snapshot) run.snapshot = JSON.stringify(options.snapshot)
    run.updatedAt = now
    this.#lease(run, lease, now)
    return run.leaseToken
  }

  async checkpoint(workflowId: string, runId: string, token: number, snapshot: WorkflowSnapshot, leaseMs: number): Promise<boolean> {
    const run = this.#held(workflowId, runId, token)
    if (!run) return false
    run.snapshot = JSON.stringify(snapshot)
    run.updatedAt = Date.now()
    run.leaseExpiresAt = run.updatedAt + leaseMs
    return true
  }

  async finish(workflowId: string, runId: string, token: number, status: WorkflowRunStatus, snapshot: WorkflowSnapshot): Promise<boolean> {
    const run = this.#held(workflowId, runId, token)
    if (!run) return false
    run.status = status
    run.snapshot = JSON.stringify(snapshot)
    run.updatedAt = Date.now()
    run.leaseOwner = run.leaseExpiresAt = null
    return true
  }

  async release(workflowId: string, runId: string, token: number): Promise<boolean> {
    const run = this.#held(workflowId, runId, token)
    if (!run) return false
    run.leaseOwner = run.leaseExpiresAt = null
    run.leaseToken += 1
    return true
  }

  async renew(runs: readonly HeldRun[], leaseMs: number): Promise<HeldRun[]> {
    const renewed = runs.filter((held) => this.#held(held.workflowId, held.runId, held.token))
    for (const held of renewed) this.#runs.get(key(held.workflowId, held.runId))!.leaseExpiresAt = Date.now() + leaseMs
    return renewed.map((held) => ({ ...held }))
  }

  async claimExpired(workflowIds: readonly string[], lease: LeaseRequest, limit: number): Promise<Array<{ record: WorkflowRunRecord; token: number }>> {
    const now = Date.now()
    const due = [...this.#runs.values()]
      .filter((run) => run.status === 'running' && workflowIds.includes(run.workflowId) && leaseExpired(run, now))
      .sort(oldestFirst)
      .slice(0, Math.max(0, limit))
    return due.map((run) => {
      this.#lease(run, lease, now)
      return { record: toRecord(run), token: run.leaseToken }
    })
  }

  async listExpired(workflowId: string): Promise<WorkflowRunRecord[]> {
    const now = Date.now()
    return [...this.#runs.values()]
      .filter((run) => run.status === 'running' && run.workflowId === workflowId && leaseExpired(run, now))
      .sort(oldestFirst)
      .map(toRecord)
  }

  async listByStatus(status: WorkflowRunStatus, workflowId?: string): Promise<WorkflowRunRecord[]> {
    return [...this.#runs.values()]
      .filter((run) => run.status === status && (workflowId === undefined || run.workflowId === workflowId))
      .sort(oldestFirst)
      .map(toRecord)
  }

  async countRuns(resourceId?: string): Promise<WorkflowRunCount[]> {
    const counts = new Map<string, WorkflowRunCount>()
    for (const run of this.#runs.values()) {
      if (resourceId !== undefined && run.resourceId !== resourceId) continue
      const pair = `${run.workflowId}\u0000${run.status}`
      const entry = counts.get(pair) ?? { workflowId: run.workflowId, status: run.status, count: 0 }
      entry.count += 1
      counts.set(pair, entry)
    }
    return [...counts.values()]
  }

  async deleteRun(workflowId: string, runId: string, owner?: string): Promise<DeleteRunOutcome> {
    const id = key(workflowId, runId)
    const run = this.#runs.get(id)
    if (!run || (owner !== undefined && run.resourceId !== owner)) return 'missing'
    if (run.status === 'running') return 'running'
    this.#runs.delete(id)
    return 'deleted'
  }

  #held(workflowId: string, runId: string, token: number): StoredRun | undefined {
    const run = this.#runs.get(key(workflowId, runId))
    return run && run.status === 'running' && run.leaseToken === token ? run : undefined
  }

  #lease(run: StoredRun, lease: LeaseRequest, now: number): void {
    run.leaseOwner = lease.instanceId
    run.leaseExpiresAt = now + lease.leaseMs
    run.leaseToken += 1
  }
}
