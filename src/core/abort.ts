/** What `raceAbort` and `sleep` resolve to when the signal fired first. */
export const ABORTED: unique symbol = Symbol('aborted')

/**
 * A stop that is not an AbortSignal: it aborts the controllers linked to it itself. A mounted
 * request is one (its client going away), so a run it starts needs no AbortSignal of the
 * request's besides its own: an AbortSignal costs several microseconds to create and to listen to.
 */
export interface AbortSource {
  readonly aborted: boolean
  /** Aborts `target` when the source fires (at once if it has); returns the unlink function. */
  link(target: AbortController): () => void
}

/**
 * Aborts `target` when `signal` fires (at once if it already has). Returns the unlink
 * function: call it when the work ends, so a long-lived signal keeps no listener.
 */
export function linkAbort(signal: AbortSignal | AbortSource | undefined, target: AbortController): () => void {
  if (!signal) return noop
  if ('link' in signal) return signal.link(target)
  if (signal.aborted) {
    target.abort(signal.reason)
    return noop
  }
  const onAbort = () => target.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}

/**
 * Starts `work` unless `signal` already fired, then settles like it, or resolves `ABORTED`
 * as soon as `signal` fires; no listener outlives the race.
 */
export function raceAbort<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  const races = new AbortRaces(signal)
  return races.race(work).finally(() => races.dispose())
}

/**
 * Races against one signal with one listener for all of them: a stream's chunks, one after
 * another, add and remove no listener each. Call `dispose` when done.
 */
export class AbortRaces {
  readonly #signal: AbortSignal
  readonly #onAbort = () => this.#settle?.(ABORTED)
  #settle: ((value: typeof ABORTED) => void) | undefined

  constructor(signal: AbortSignal) {
    this.#signal = signal
    if (!signal.aborted) signal.addEventListener('abort', this.#onAbort, { once: true })
  }

  /** Starts `work` unless the signal fired, then settles like it, or resolves `ABORTED` when the signal fires; one race at a time. */
  race<T>(work: () => Promise<T>): Promise<T | typeof ABORTED> {
    if (this.#signal.aborted) return Promise.resolve(ABORTED)
    return new Promise((resolve, reject) => {
      this.#settle = resolve
      work().then(
        (value) => {
          this.#settle = undefined
          resolve(value)
        },
        (err: unknown) => {
          this.#settle = undefined
          reject(err)
        },
      )
    })
  }

  dispose(): void {
    this.#settle = undefined
    this.#signal.removeEventListener('abort', this.#onAbort)
  }
}

/** Waits `ms`, or resolves `ABORTED` early when `signal` fires; the timer never outlives an abort. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void | typeof ABORTED> {
  if (signal?.aborted) return Promise.resolve(ABORTED)
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer)
      resolve(ABORTED)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function noop(): void {}
