import type { WorkflowEvent } from './events.js'

/** How long a run's events stay readable after its last execution here ended (default 5 min). */
export const DEFAULT_EVENT_RETENTION_MS = 5 * 60_000
/** How many ended runs' events one workflow keeps at most; the oldest go first (default 1000). */
export const DEFAULT_EVENT_RETENTION_RUNS = 1000

/**
 * The events of one run's executions in this process, in order: a resume appends to what the
 * start wrote. Readers replay from an offset, then follow live while an execution is under way.
 */
class RunEventLog {
  readonly events: WorkflowEvent[] = []
  #live = false
  #wake = new Set<() => void>()

  get live(): boolean {
    return this.#live
  }

  open(): void {
    this.#live = true
  }

  append(event: WorkflowEvent): void {
    this.events.push(event)
    this.#notify()
  }

  /** Ends the execution: followers finish once they read the rest. */
  close(): void {
    this.#live = false
    this.#notify()
  }

  /** The events from `offset` on, then new ones until the execution ends. Stopping it frees it at once. */
  follow(offset: number): AsyncIterableIterator<WorkflowEvent> {
    let next = offset
    let waiting: (() => void) | undefined
    let stopped = false
    const log = this
    const iterator: AsyncIterableIterator<WorkflowEvent> = {
      async next() {
        for (;;) {
          if (stopped) return { value: undefined, done: true }
          if (next < log.events.length) return { value: log.events[next++], done: false }
          if (!log.#live) return { value: undefined, done: true }
          await new Promise<void>((resolve) => {
            waiting = resolve
            log.#wake.add(resolve)
          })
        }
      },
      async return() {
        stopped = true
        if (waiting) {
          log.#wake.delete(waiting)
          waiting()
        }
        return { value: undefined, done: true }
      },
      [Symbol.asyncIterator]() {
        return iterator
      },
    }
    return iterator
  }

  #notify(): void {
    const wake = [...this.#wake]
    this.#wake.clear()
    for (const resolve of wake) resolve()
  }
}

/**
 * Every run's event log of one workflow in this process, so a client can rejoin a run's event
 * stream from another connection (`observe`). Kept in memory: another instance's executions
 * are not seen here. A log stays while its run executes here, then for `retainMs` after that
 * execution ended, and at most `maxRuns` ended runs are kept (the oldest go first), so a busy
 * workflow's memory stays bounded; what is dropped is still read from the stored run.
 */
export class RunEventLogs {
  readonly retainMs: number
  readonly maxRuns: number
  readonly #logs = new Map<string, RunEventLog>()
  /** Runs whose last execution here ended, oldest first, with the time their log goes. */
  readonly #ended = new Map<string, number>()
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(retainMs = DEFAULT_EVENT_RETENTION_MS, maxRuns = DEFAULT_EVENT_RETENTION_RUNS) {
    this.retainMs = retainMs
    this.maxRuns = maxRuns
  }

  /** Starts recording an execution of `runId`, after what earlier ones recorded. */
  open(runId: string): { append(event: WorkflowEvent): void; close(): void } {
    let log = this.#logs.get(runId)
    if (!log) {
      log = new RunEventLog()
      this.#logs.set(runId, log)
    }
    this.#ended.delete(runId)
    log.open()
    const opened = log
    return {
      append: (event) => opened.append(event),
      close: () => {
        opened.close()
        if (this.#logs.get(runId) !== opened) return
        this.#ended.delete(runId)
        this.#ended.set(runId, Date.now() + this.retainMs)
        this.#expire()
      },
    }
  }

  /** True while events of the run are kept here; `live` while an execution of it is under way here. */
  kept(runId: string): { live: boolean } | undefined {
    const log = this.#logs.get(runId)
    return log && { live: log.live }
  }

  /** The run's events from `offset` on, live while it executes here; nothing when none are kept. */
  follow(runId: string, offset: number): AsyncIterableIterator<WorkflowEvent> {
    const log = this.#logs.get(runId) ?? new RunEventLog()
    return log.follow(offset)
  }

  /** Drops ended logs past their time or over the count, then waits for the next one's time. */
  #expire(): void {
    const now = Date.now()
    for (const [runId, dropAt] of this.#ended) {
      if (dropAt > now && this.#ended.size <= this.maxRuns) break
      this.#ended.delete(runId)
      this.#logs.delete(runId)
    }
    const next = this.#ended.values().next()
    if (next.done) {
      if (this.#timer) clearTimeout(this.#timer)
      this.#timer = undefined
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#expire()
      }, Math.max(0, next.value - now))
      this.#timer.unref?.()
    }
  }
}
