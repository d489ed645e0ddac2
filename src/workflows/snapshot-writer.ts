import type { WorkflowRunStatus, WorkflowRunStore } from '../storage/workflow-runs.js'
import type { WorkflowSnapshot } from '../storage/workflow-snapshot.js'

/**
 * Persists one executing run. Writes go out one at a time in call order (parallel branches
 * may checkpoint together), each serialising the snapshot as it is at that moment. Every
 * write is a compare-and-set on `running`: if someone else moved the run (a cancel from
 * another instance), this process stops writing and aborts its copy of the run.
 */
export class SnapshotWriter {
  readonly #store: WorkflowRunStore
  readonly #workflowId: string
  readonly #runId: string
  readonly #snapshot: WorkflowSnapshot
  readonly #controller: AbortController
  #tail: Promise<void> = Promise.resolve()
  #lost = false

  constructor(store: WorkflowRunStore, workflowId: string, runId: string, snapshot: WorkflowSnapshot, controller: AbortController) {
    this.#store = store
    this.#workflowId = workflowId
    this.#runId = runId
    this.#snapshot = snapshot
    this.#controller = controller
  }

  checkpoint(): Promise<void> {
    this.#tail = this.#tail.then(async () => {
      if (this.#lost) return
      const owned = await this.#store.compareAndSetStatus(this.#workflowId, this.#runId, 'running', 'running', this.#snapshot)
      if (!owned) this.#disown()
    })
    return this.#tail
  }

  /** Stores the final status with the snapshot; false when the run was no longer this process's to finish. */
  async finish(status: WorkflowRunStatus): Promise<boolean> {
    await this.#tail
    if (this.#lost) return false
    const owned = await this.#store.compareAndSetStatus(this.#workflowId, this.#runId, 'running', status, this.#snapshot)
    if (!owned) this.#disown()
    return owned
  }

  #disown(): void {
    this.#lost = true
    this.#controller.abort()
  }
}
