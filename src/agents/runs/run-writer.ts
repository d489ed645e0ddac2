import type { AgentRunPatch, AgentRunStore } from '../../storage/agent-runs.js'
import type { RunEventEntry } from './run-events.js'

// Taken at load so a test's fake timers cannot stall the log.
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Writes one run's record and events without making the stream wait: events gathered during
 * a turn of the event loop go out as one append, one append at a time, in order. An append
 * refused because the run stopped running (canceled from elsewhere) calls `onLost` once.
 */
export class RunLogWriter {
  readonly #store: AgentRunStore
  readonly #runId: string
  readonly #onLost: () => void
  readonly #report: (err: unknown) => void
  #tail: Promise<void>
  #pending: RunEventEntry[] = []
  #scheduled = false
  #lost = false
  #failed = false

  constructor(store: AgentRunStore, runId: string, first: Promise<void>, hooks: { onLost: () => void; report: (err: unknown) => void }) {
    this.#store = store
    this.#runId = runId
    this.#onLost = hooks.onLost
    this.#report = hooks.report
    this.#tail = first.catch((err: unknown) => this.#fail(err))
  }

  /** True once the store said the run is no longer this process's to write. */
  get lost(): boolean {
    return this.#lost
  }

  add(entry: RunEventEntry): void {
    this.#pending.push(entry)
    if (this.#scheduled) return
    this.#scheduled = true
    this.#tail = this.#tail.then(nextTurn).then(() => this.#flush())
  }

  /** Writes what is pending, then the state change; false when the run was not in `from` any more. */
  async settle(from: AgentRunPatch['status'], patch: AgentRunPatch): Promise<boolean> {
    this.#tail = this.#tail.then(() => this.#flush())
    await this.#tail
    if (this.#lost || this.#failed) return false
    try {
      return await this.#store.transition(this.#runId, { status: from }, patch)
    } catch (err) {
      this.#report(err)
      return false
    }
  }

  async #flush(): Promise<void> {
    this.#scheduled = false
    const batch = this.#pending
    this.#pending = []
    if (batch.length === 0 || this.#lost || this.#failed) return
    try {
      if (await this.#store.append(this.#runId, batch)) return
      this.#lost = true
      this.#onLost()
    } catch (err) {
      this.#fail(err)
    }
  }

  /** A store that failed once is not asked again for this run: the reply still reaches its client. */
  #fail(err: unknown): void {
    if (this.#failed) return
    this.#failed = true
    this.#report(err)
  }
}
