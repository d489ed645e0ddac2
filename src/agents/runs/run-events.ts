/** One numbered event of a run, as the log stores it and SSE frames carry it (`id: seq`). */
export interface RunEventEntry {
  seq: number
  data: unknown
  /** `data` serialized, kept by the first writer that needed it (the SSE frame) for the next (the log). */
  json?: string
}

/**
 * The events a run produces in this process, kept while it is active so that any number of
 * readers can follow it from any point: each reader holds only an index, the producer never
 * waits for a reader, and a reader that stops (client gone) just drops its index.
 */
export class RunEvents {
  /** The seq of the first event held here; earlier ones (an earlier activation) are in the store. */
  readonly firstSeq: number
  readonly #events: RunEventEntry[] = []
  readonly #wakers = new Set<() => void>()
  #ended = false

  constructor(lastStoredSeq = 0) {
    this.firstSeq = lastStoredSeq + 1
  }

  get ended(): boolean {
    return this.#ended
  }

  /** The seq of the newest event (the stored one before this activation when none yet). */
  get lastSeq(): number {
    return this.firstSeq - 1 + this.#events.length
  }

  push(data: unknown): RunEventEntry {
    const entry = { seq: this.lastSeq + 1, data }
    this.#events.push(entry)
    this.#wake()
    return entry
  }

  end(): void {
    if (this.#ended) return
    this.#ended = true
    this.#wake()
  }

  /** The held events with `seq > after`, for a reader that catches up. */
  since(after: number): RunEventEntry[] {
    return this.#events.slice(Math.max(0, after - this.firstSeq + 1))
  }

  /** Reads events with `seq > after` (at least `firstSeq`), then live ones, until the run ends. */
  follow(after: number): AsyncIterableIterator<RunEventEntry> {
    return new Follower(this, this.#wakers, Math.max(0, after - this.firstSeq + 1), this.#events)
  }

  #wake(): void {
    for (const wake of this.#wakers) wake()
    this.#wakers.clear()
  }
}

class Follower implements AsyncIterableIterator<RunEventEntry> {
  readonly #log: RunEvents
  readonly #wakers: Set<() => void>
  readonly #events: RunEventEntry[]
  #index: number
  #done = false
  #wake: (() => void) | undefined

  constructor(log: RunEvents, wakers: Set<() => void>, index: number, events: RunEventEntry[]) {
    this.#log = log
    this.#wakers = wakers
    this.#index = index
    this.#events = events
  }

  async next(): Promise<IteratorResult<RunEventEntry>> {
    for (;;) {
      if (this.#done) return { value: undefined, done: true }
      if (this.#index < this.#events.length) return { value: this.#events[this.#index++], done: false }
      if (this.#log.ended) return this.return()
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        this.#wakers.add(resolve)
      })
    }
  }

  /** The next event if it is already here, without waiting; undefined otherwise. */
  takeReady(): RunEventEntry | undefined {
    if (this.#done || this.#index >= this.#events.length) return undefined
    return this.#events[this.#index++]
  }

  async return(): Promise<IteratorResult<RunEventEntry>> {
    this.#done = true
    const wake = this.#wake
    if (wake) {
      this.#wakers.delete(wake)
      this.#wake = undefined
      wake()
    }
    return { value: undefined, done: true }
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}
