import type { WorkflowEvent } from './events.js'

/** How long a run's events stay readable after its last execution here ended (default 5 min). */
export const DEFAULT_EVENT_RETENTION_MS = 5 * 60_000

/**
 * The events of one run's executions in this process, in order: a resume appends to what the
 * start wrote. Readers replay from an offset, then follow live while an execution is under way.
 */
class RunEventLog {
  readonly events: WorkflowEvent[] = []
  #live = false
  #wake = new Set<() => void>()
  #expiry: ReturnType<typeof setTimeout> | undefined

  get live(): boolean {
    return this.#live
  }

  open(): void {
    if (this.#expiry) clearTimeout(this.#expiry)
    this.#expiry = undefined
    this.#live = true
  }

  append(event: WorkflowEvent): void {
    this.events.push(event)
    this.#notify()
  }

  /** Ends the execution: followers finish once they read the rest; `drop` runs after `retainMs`. */
  close(retainMs: number, drop: () => void): void {
    this.#live = false
    this.#notify()
    this.#expiry = setTimeout(drop, retainMs)
    this.#expiry.unref?.()
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
 * are not seen here, and a log goes `retainMs` after its run's last execution here ended.
 */
export class RunEventLogs {
  readonly retainMs: number
  readonly #logs = new Map<string, RunEventLog>()

  constructor(retainMs = DEFAULT_EVENT_RETENTION_MS) {
    this.retainMs = retainMs
  }

  /** Starts recording an execution of `runId`, after what earlier ones recorded. */
  open(runId: string): { append(event: WorkflowEvent): void; close(): void } {
    let log = this.#logs.get(runId)
    if (!log) {
      log = new RunEventLog()
      this.#logs.set(runId, log)
    }
    log.open()
    const opened = log
    return {
      append: (event) => opened.append(event),
      close: () => opened.close(this.retainMs, () => this.#logs.get(runId) === opened && !opened.live && this.#logs.delete(runId)),
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
}
