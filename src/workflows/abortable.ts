import { RunCanceled } from './failures.js'

/** Settles like `promise`, or rejects with RunCanceled as soon as `signal` fires. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new RunCanceled())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RunCanceled())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/** Waits `ms`; an abort clears the timer and rejects with RunCanceled, so no timer outlives a cancel. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new RunCanceled())
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(new RunCanceled())
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Retry delay after failed attempt `attempt` (0-based): 10 ms, 20 ms, 40 ms … capped at 1 s. */
export function backoffMs(attempt: number): number {
  return Math.min(10 * 2 ** attempt, 1000)
}
