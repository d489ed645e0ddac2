import type { WorkflowRunStatus, WorkflowRunStore } from '../storage/workflow-runs.js'
import type { WorkflowSnapshot } from '../storage/workflow-snapshot.js'
import type { ActiveRun } from './run-leases.js'

/**
 * Persists one executing run. Writes go out one at a time in call order (parallel branches
 * may checkpoint together), each serialising the snapshot as it is at that moment. Every
 * write carries the fencing token of this instance's lease: once someone else moved the run
 * (a cancel, or another instance that took over an expired lease), this instance stops
 * writing and aborts its copy of the run. A run handed off at shutdown ends its lease instead
 * of storing an outcome, so another instance re-drives it from the last checkpoint.
 */
export class SnapshotWriter {
  readonly #store: WorkflowRunStore
  readonly #workflowId: string
  readonly #runId: string
  readonly #snapshot: WorkflowSnapshot
  readonly #token: number
  readonly #leaseMs: number
  readonly #active: ActiveRun
  #tail: Promise<void> = Promise.resolve()
  #lost = false

  constructor(
    store: WorkflowRunStore,
    run: { workflowId: string; runId: string; token: number; leaseMs: number },
    snapshot: WorkflowSnapshot,
    active: ActiveRun,
  ) {
    this.#store = store
    this.#workflowId = run.workflowId
    this.#runId = run.runId
    this.#token = run.token
    this.#leaseMs = run.leaseMs
    this.#snapshot = snapshot
    this.#active = active
  }

  checkpoint(): Promise<void> {
    this.#tail = this.#tail.then(async () => {
      if (this.#lost || this.#active.handedOff) return
      const held = await this.#store.checkpoint(this.#workflowId, this.#runId, this.#token, this.#snapshot, this.#leaseMs)
      if (!held) this.#disown()
    })
    return this.#tail
  }

  /** Stores the final status with the snapshot; false when the run was no longer this instance's to finish. */
  async finish(status: WorkflowRunStatus): Promise<boolean> {
    await this.#tail
    if (this.#lost) return false
    if (this.#active.handedOff) {
      await this.#store.release(this.#workflowId, this.#runId, this.#token)
      return false
    }
    const held = await this.#store.finish(this.#workflowId, this.#runId, this.#token, status, this.#snapshot)
    if (!held) this.#disown()
    return held
  }

  #disown(): void {
    this.#lost = true
    this.#active.controller.abort()
  }
}
