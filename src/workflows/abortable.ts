import { ABORTED, raceAbort, sleep } from '../core/abort.js'
import { RunCanceled } from './failures.js'

/** Settles like `work()`, or rejects with RunCanceled as soon as the run's signal fires. */
export async function orCanceled<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const value = await raceAbort(work, signal)
  if (value === ABORTED) throw new RunCanceled()
  return value
}

/** Waits before retry `attempt` (0-based): 10 ms, 20 ms, 40 ms … capped at 1 s; a cancel ends the wait. */
export async function backoff(attempt: number, signal: AbortSignal): Promise<void> {
  if ((await sleep(Math.min(10 * 2 ** attempt, 1000), signal)) === ABORTED) throw new RunCanceled()
}
