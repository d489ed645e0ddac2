export type WorkflowEventType =
  | 'workflow-start'
  | 'workflow-step-start'
  | 'workflow-step-result'
  | 'workflow-step-suspended'
  | 'workflow-finish'

/** One record of a workflow stream (Mastra's shape). */
export interface WorkflowEvent {
  type: WorkflowEventType
  runId: string
  from: 'WORKFLOW'
  payload: Record<string, unknown>
}

export type EmitEvent = (type: WorkflowEventType, payload: Record<string, unknown>) => void

/**
 * A push-fed async iterator. The producer (a run) never waits on the consumer: when the
 * consumer stops (`return()`, e.g. a client went away) later pushes are dropped and the
 * run carries on.
 */
export class EventChannel<T> implements AsyncIterableIterator<T> {
  #buffer: T[] = []
  #waiting: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void } | undefined
  #ended = false
  #failure: { error: unknown } | undefined

  push(value: T): void {
    if (this.#ended) return
    if (this.#waiting) {
      const waiting = this.#waiting
      this.#waiting = undefined
      waiting.resolve({ value, done: false })
    } else {
      this.#buffer.push(value)
    }
  }

  /**
   * Ends the stream after the buffered items; with an error, the consumer sees it last.
   * False when the stream had already ended (the consumer left), so nobody will see it.
   */
  end(error?: unknown): boolean {
    if (this.#ended) return false
    this.#ended = true
    if (error !== undefined) this.#failure = { error }
    if (this.#waiting && this.#buffer.length === 0) {
      const waiting = this.#waiting
      this.#waiting = undefined
      this.#settleEnded(waiting)
    }
    return true
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift()!, done: false })
    if (this.#ended) return new Promise((resolve, reject) => this.#settleEnded({ resolve, reject }))
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
    })
  }

  return(): Promise<IteratorResult<T>> {
    this.#ended = true
    this.#buffer = []
    this.#failure = undefined
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.resolve({ value: undefined, done: true })
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  #settleEnded(waiting: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void }): void {
    const failure = this.#failure
    this.#failure = undefined
    if (failure) waiting.reject(failure.error)
    else waiting.resolve({ value: undefined, done: true })
  }
}
