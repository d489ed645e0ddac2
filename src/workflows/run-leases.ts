import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { conflict, shuttingDown } from '../core/errors.js'
import type { HeldRun, LeaseRequest, WorkflowRunStore } from '../storage/workflow-runs.js'
import { reportToStderr } from '../core/report.js'

export const DEFAULT_LEASE_MS = 30_000

export interface RunLeaseOptions {
  /** Names this instance in the store's lease columns (default a random UUID). */
  instanceId?: string
  /** How long a lease lasts without a heartbeat (default 30 s). */
  leaseMs?: number
  /** Where heartbeat failures go (a store briefly unreachable); the lease may then expire. */
  onError?: (error: unknown) => void
}

/** A run executing in this instance: its abort switch and a promise that settles when it stops. */
export interface ActiveRun {
  readonly workflowId: string
  readonly runId: string
  readonly controller: AbortController
  readonly settled: Promise<void>
  /** The fencing token of this instance's claim in the store, once it has one. */
  readonly token: number | undefined
  /** True once this instance gave the run up for another to take (shutdown): it writes nothing more. */
  readonly handedOff: boolean
  /** Records the claim's token; from then on the heartbeat keeps its lease alive. */
  hold(token: number): void
  /** Gives the run up: its execution here stops and ends the lease instead of storing an outcome. */
  handOff(): void
  /** Drops the run here; `settled` resolves. */
  release(): void
}

const key = (workflowId: string, runId: string) => `${workflowId}\u0000${runId}`

/**
 * The runs this instance executes, whoever started them, and the heartbeat that renews their
 * leases. A run whose lease another instance took (or that was canceled elsewhere) is missing
 * from a renewal's answer: its execution here is aborted, and its writes already fail.
 */
export class RunLeases {
  readonly instanceId: string
  readonly leaseMs: number
  /** A third of the lease, at most half a second, so a cancel stored by another instance lands quickly. */
  readonly heartbeatMs: number
  readonly #store: () => WorkflowRunStore
  readonly #onError: (error: unknown) => void
  readonly #runs = new Map<string, ActiveRun>()
  #timer: ReturnType<typeof setInterval> | undefined
  #beating = false
  /** A beat was asked for while one was under way: run another right after. */
  #again = false
  #stopped = false
  #closing = false
  /** The store's push of canceled runs, once subscribed (resolves to its stop function). */
  #watching: Promise<(() => Promise<void>) | undefined> | undefined

  constructor(store: () => WorkflowRunStore, options: RunLeaseOptions = {}) {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
    if (!Number.isInteger(leaseMs) || leaseMs < 20) throw new TypeError(`leaseMs must be an integer of at least 20, got ${leaseMs}`)
    this.instanceId = options.instanceId ?? randomUUID()
    this.leaseMs = leaseMs
    this.heartbeatMs = Math.max(5, Math.min(Math.floor(leaseMs / 3), 500))
    this.#store = store
    this.#onError = options.onError ?? ((error) => reportToStderr(error, { kind: 'workflow-run' }))
  }

  /** What a claim in the store asks for. */
  get lease(): LeaseRequest {
    return { instanceId: this.instanceId, leaseMs: this.leaseMs }
  }

  get(workflowId: string, runId: string): ActiveRun | undefined {
    return this.#runs.get(key(workflowId, runId))
  }

  has(workflowId: string, runId: string): boolean {
    return this.#runs.has(key(workflowId, runId))
  }

  /** The runs executing here. */
  active(): ActiveRun[] {
    return [...this.#runs.values()]
  }

  /** Claims a run in this instance, or throws 409 when it already executes here (503 once it is shutting down). */
  claim(workflowId: string, runId: string): ActiveRun {
    const id = key(workflowId, runId)
    if (this.#closing) throw shuttingDown(`This instance is shutting down: workflow run ${runId} was not taken, try again`)
    if (this.#runs.has(id)) throw conflict(`Workflow run ${runId} is already running`)
    let resolve!: () => void
    const settled = new Promise<void>((r) => (resolve = r))
    let token: number | undefined
    let handedOff = false
    const controller = new AbortController()
    const run: ActiveRun = {
      workflowId,
      runId,
      controller,
      settled,
      get token() {
        return token
      },
      get handedOff() {
        return handedOff
      },
      hold: (claimed) => {
        token = claimed
        this.#startBeating()
      },
      handOff: () => {
        handedOff = true
        controller.abort()
      },
      release: () => {
        if (this.#runs.get(id) === run) this.#runs.delete(id)
        if (this.#runs.size === 0) this.#stopBeating()
        resolve()
      },
    }
    this.#runs.set(id, run)
    return run
  }

  /**
   * Shutdown: takes no new runs, lets the runs here finish for up to `drainMs`, then hands the
   * rest off (their leases end at once, so another instance's sweep takes them) and stops.
   */
  async drain(drainMs: number): Promise<void> {
    this.#closing = true
    const settled = () => Promise.all(this.active().map((run) => run.settled))
    if (drainMs > 0 && this.#runs.size > 0) {
      const timeout = new AbortController()
      await Promise.race([settled(), delay(drainMs, undefined, { signal: timeout.signal }).catch(() => {})])
      timeout.abort()
    }
    for (const run of this.active()) run.handOff()
    await settled()
    await this.stop()
  }

  /** Stops the heartbeat for good; runs still here keep their leases until they expire. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#stopBeating()
    const unwatch = await this.#watching
    this.#watching = undefined
    await unwatch?.()
  }

  #startBeating(): void {
    if (this.#timer || this.#stopped) return
    this.#timer = setInterval(() => void this.#beat(), this.heartbeatMs)
    this.#timer.unref?.()
    this.#watch()
  }

  /** Where the store pushes cancels (PostgreSQL), a cancel of a run here triggers a heartbeat at once. */
  #watch(): void {
    const store = this.#store()
    if (this.#watching || !store.watchCancels) return
    const onCancel = ({ workflowId, runId }: { workflowId: string; runId: string }) => {
      if (this.has(workflowId, runId)) this.#beatNow()
    }
    this.#watching = store.watchCancels(onCancel).catch((error: unknown) => {
      // The heartbeat still notices cancels; the next run held here tries to listen again.
      this.#onError(error)
      this.#watching = undefined
      return undefined
    })
  }

  #beatNow(): void {
    if (this.#beating) this.#again = true
    else void this.#beat()
  }

  #stopBeating(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  async #beat(): Promise<void> {
    if (this.#beating) return
    this.#beating = true
    // A run gets its token only once its claim committed, so every run listed here is in the store.
    const held = this.active().filter((run) => run.token !== undefined)
    try {
      const renewed = await this.#store().renew(
        held.map((run): HeldRun => ({ workflowId: run.workflowId, runId: run.runId, token: run.token! })),
        this.leaseMs,
      )
      const kept = new Set(renewed.map((run) => `${key(run.workflowId, run.runId)}\u0000${run.token}`))
      for (const run of held) {
        const lost = !kept.has(`${key(run.workflowId, run.runId)}\u0000${run.token}`)
        if (lost && this.get(run.workflowId, run.runId) === run) run.controller.abort()
      }
    } catch (error) {
      this.#onError(error)
    } finally {
      this.#beating = false
      if (this.#again) {
        this.#again = false
        void this.#beat()
      }
    }
  }
}
