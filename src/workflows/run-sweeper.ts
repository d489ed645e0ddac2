import type { WorkflowRunStore } from '../storage/workflow-runs.js'
import type { RunLeases } from './run-leases.js'
import type { WorkflowRuns } from './runs.js'

export const DEFAULT_SWEEP_MS = 5_000
/** Runs taken over per sweep; more wait for the next sweep (or another instance's). */
const SWEEP_BATCH = 50

export interface RunSweeperOptions {
  /** The runs of the workflows this instance can run. */
  runs: readonly WorkflowRuns[]
  leases: RunLeases
  store: () => WorkflowRunStore
  /** Between sweeps (ms); 0 turns automatic recovery off. */
  sweepMs: number
  /** Receives a failed sweep, and a re-driven run that stopped unexpectedly (with its ids). */
  onError: (error: unknown, run?: { workflowId: string; runId: string }) => void
}

/**
 * Automatic recovery: every `sweepMs` this instance takes over the running runs whose lease
 * expired (their instance died or stalled) and re-drives each from its last completed step.
 * The store hands each expired run to exactly one of the instances sweeping at once.
 */
export class RunSweeper {
  readonly #options: RunSweeperOptions
  /** Runs are stored under the workflow's own id, whatever key the runtime registered it under. */
  readonly #byId = new Map<string, WorkflowRuns>()
  #timer: ReturnType<typeof setInterval> | undefined
  #sweeping: Promise<number> | undefined
  #stopped = false

  constructor(options: RunSweeperOptions) {
    this.#options = options
    for (const runs of options.runs) this.#byId.set(runs.workflow.id, runs)
    const { sweepMs } = options
    if (!Number.isInteger(sweepMs) || sweepMs < 0) throw new TypeError(`sweepMs must be a non-negative integer, got ${sweepMs}`)
    if (sweepMs === 0 || this.#byId.size === 0) return
    this.#timer = setInterval(() => void this.sweep(), sweepMs)
    this.#timer.unref?.()
  }

  /**
   * Takes over expired runs now and starts re-driving them; resolves to how many it took.
   * One sweep at a time: a call during a sweep joins it.
   */
  sweep(): Promise<number> {
    if (this.#stopped) return Promise.resolve(0)
    this.#sweeping ??= this.#sweepOnce().finally(() => (this.#sweeping = undefined))
    return this.#sweeping
  }

  /** Stops sweeping; the runs it re-drives go on. Resolves once a sweep under way ended. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    await this.#sweeping
  }

  async #sweepOnce(): Promise<number> {
    const { leases, store, onError } = this.#options
    let claimed: Awaited<ReturnType<WorkflowRunStore['claimExpired']>>
    try {
      claimed = await store().claimExpired([...this.#byId.keys()], leases.lease, SWEEP_BATCH)
    } catch (error) {
      onError(error)
      return 0
    }
    // Each re-driven run is tracked by the leases like any other; what it throws is reported.
    for (const { record, token } of claimed) {
      const run = { workflowId: record.workflowId, runId: record.runId }
      this.#byId.get(record.workflowId)!.recover(record, token).catch((error: unknown) => onError(error, run))
    }
    return claimed.length
  }
}
