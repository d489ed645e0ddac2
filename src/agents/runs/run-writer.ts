import type { AgentRunPatch, AgentRunRecord, AgentRunStore } from '../../storage/agent-runs.js'
import type { RunEventEntry } from './run-events.js'

// Taken at load so a test's fake timers cannot stall the log.
const later = setTimeout
const cancelLater = clearTimeout
const nextTurn = setImmediate

/** How long events wait to be written together, by default: a fast stream is a few rows, not one per chunk. */
export const DEFAULT_LOG_FLUSH_MS = 100

/**
 * Writes one run's record and events without making the stream wait. A new run is inserted on
 * the next turn of the event loop with whatever it produced by then; after that, events go out
 * together at most every `flushMs`, one append at a time, in order. A run that finishes before
 * its first write is inserted once, finished, with all its events. An append refused because
 * the run stopped running (canceled from elsewhere) calls `onLost` once.
 */
export class RunLogWriter {
  readonly #store: AgentRunStore
  readonly #record: AgentRunRecord
  readonly #onLost: () => void
  readonly #report: (err: unknown) => void
  readonly #flushMs: number
  readonly #leaseMs: number | undefined
  #tail: Promise<void> = Promise.resolve()
  #pending: RunEventEntry[] = []
  #scheduled = false
  /** Ends the current wait early (the run is settling). */
  #hurry: (() => void) | undefined
  /** False until the record is in the store. */
  #inserted: boolean
  #settling = false
  /** True when the insert already wrote the settled state. */
  #insertedSettled = false
  #lost = false
  #failed = false

  /**
   * `record` is the run's live record; `inserted` says whether the store already has it (a
   * continued run) or this writer inserts it, under a lease of `leaseMs` while it runs.
   */
  constructor(
    store: AgentRunStore,
    record: AgentRunRecord,
    inserted: boolean,
    hooks: { onLost: () => void; report: (err: unknown) => void; flushMs?: number; leaseMs?: number },
  ) {
    this.#store = store
    this.#record = record
    this.#inserted = inserted
    this.#onLost = hooks.onLost
    this.#report = hooks.report
    this.#flushMs = hooks.flushMs ?? DEFAULT_LOG_FLUSH_MS
    this.#leaseMs = hooks.leaseMs
    if (!inserted) this.#schedule(0)
  }

  /** True once the store said the run is no longer this process's to write. */
  get lost(): boolean {
    return this.#lost
  }

  /** The run as the store holds it now (once `lost`: with the outcome whoever stopped it wrote); undefined when unreadable. */
  async stored(): Promise<AgentRunRecord | undefined> {
    try {
      return (await this.#store.get(this.#record.runId)) ?? undefined
    } catch (err) {
      this.#report(err)
      return undefined
    }
  }

  add(entry: RunEventEntry): void {
    this.#pending.push(entry)
    this.#schedule(this.#flushMs)
  }

  /**
   * Writes what is pending, then the state change (the record already holds it); false when
   * the run was not in `from` any more.
   */
  async settle(from: AgentRunPatch['status'], patch: AgentRunPatch): Promise<boolean> {
    this.#settling = true
    this.#hurry?.()
    this.#tail = this.#tail.then(() => this.#flush())
    await this.#tail
    if (this.#lost || this.#failed) return false
    if (this.#insertedSettled) return true
    try {
      return await this.#store.transition(this.#record.runId, { status: from }, patch)
    } catch (err) {
      this.#report(err)
      return false
    }
  }

  /** Ends the run's lease now, so the next sweep of any instance closes it; a failure is reported. */
  async expireLease(): Promise<void> {
    try {
      await this.#store.renew([this.#record.runId], 0)
    } catch (err) {
      this.#report(err)
    }
  }

  /** One write after `delayMs` (0: the next turn), unless one is already waiting. */
  #schedule(delayMs: number): void {
    if (this.#scheduled) return
    this.#scheduled = true
    this.#tail = this.#tail.then(() => this.#wait(delayMs)).then(() => this.#flush())
  }

  #wait(delayMs: number): Promise<void> {
    if (this.#settling) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = delayMs === 0 ? undefined : later(done, delayMs)
      const immediate = delayMs === 0 ? nextTurn(done) : undefined
      function done() {
        if (timer) cancelLater(timer)
        if (immediate) clearImmediate(immediate)
        resolve()
      }
      this.#hurry = () => {
        this.#hurry = undefined
        done()
      }
    })
  }

  async #flush(): Promise<void> {
    this.#scheduled = false
    this.#hurry = undefined
    const batch = this.#pending
    this.#pending = []
    if (this.#lost || this.#failed) return
    try {
      if (!this.#inserted) return await this.#insert(batch)
      if (batch.length === 0) return
      if (await this.#store.append(this.#record.runId, batch)) return
      this.#lost = true
      this.#onLost()
    } catch (err) {
      this.#fail(err)
    }
  }

  /**
   * The first write: the record as it is now (finished, when the run is settling) with the
   * events so far; a running one under a lease, which the ledger renews from then on.
   */
  async #insert(batch: RunEventEntry[]): Promise<void> {
    this.#inserted = true
    const record = this.#record
    const settled = this.#settling
    const lastSeq = batch.length > 0 ? batch[batch.length - 1].seq : record.lastSeq
    // A settled run's version counts the state change the insert stands for.
    await this.#store.create({ ...record, lastSeq, version: settled ? record.version + 1 : record.version }, batch, settled ? undefined : this.#leaseMs)
    if (settled) this.#insertedSettled = true
  }

  /** A store that failed once is not asked again for this run: the reply still reaches its client. */
  #fail(err: unknown): void {
    if (this.#failed) return
    this.#failed = true
    this.#report(err)
  }
}
