import { setTimeout as delay } from 'node:timers/promises'
import { newId } from '../../core/ids.js'
import { conflict, notFound, shuttingDown } from '../../core/errors.js'
import {
  FINISHED_AGENT_RUN_STATUSES,
  type AgentRunRecord,
  type AgentRunStatus,
  type AgentRunStore,
  type PendingToolApproval,
} from '../../storage/agent-runs.js'
import { AgentRun, type RunStart } from './agent-run.js'
import type { RunEventEntry } from './run-events.js'
import { announceRunFinish, priceOrReport, type RunObservability } from './observer.js'
import { reportToStderr } from '../../core/report.js'
import { DEFAULT_LEASE_MS } from '../../workflows/run-leases.js'

export interface AgentRunsOptions {
  /** How long finished runs and their event logs are kept (default 30 days); suspended runs are kept until answered. */
  retentionMs?: number
  /** Spans, pricing and the finish hook of every run. */
  observability?: RunObservability
  /** Where a failure goes when the call named no reporter (a finish hook that threw on a cancel by id); default standard error. */
  onError?: (err: unknown) => void
  /**
   * How long a running run's events wait to be stored together (default 100 ms). Readers in
   * this process see every event at once; another instance following the run sees them this
   * much later, and a process that dies loses at most this much of a run's log.
   */
  logFlushMs?: number
}

/** What the runtime adds: how runs are leased and how often expired ones are looked for. */
export interface AgentRunLedgerOptions extends AgentRunsOptions {
  /** How long a running run stays this instance's without a renewal (ms, default 30 000). */
  leaseMs?: number
  /** Between sweeps closing runs whose lease expired (ms); 0 or absent: no automatic sweep. */
  sweepMs?: number
}

/** Who asks about a run: the agent in the path and the caller's resource (undefined: unscoped). */
export interface RunScope {
  agentId: string
  resourceId: string | undefined
}

const DAY = 24 * 60 * 60 * 1000
const DEFAULT_RETENTION = 30 * DAY
/** How often a reader following a run that another instance executes looks for new events. */
const POLL_MS = 200
/** Runs closed per sweep; more wait for the next sweep (or another instance's). */
const SWEEP_BATCH = 50
/** Why a run left behind by a dead (or stalled) instance failed. */
export const INSTANCE_STOPPED = { message: 'The instance running this agent run stopped; model calls are not replayed' } as const

function freshRecord(start: RunStart, runId: string): AgentRunRecord {
  const now = new Date()
  return {
    runId, agentId: start.agentId, kind: start.kind, threadId: start.threadId, resourceId: start.resourceId, model: start.model, status: 'running', steps: [], usage: {}, finishReason: null, error: null, pendingApprovals: [],
    state: null, cost: null, timeToFirstTokenMs: null, lastSeq: 0, version: 0, createdAt: now, updatedAt: now, finishedAt: null,
  }
}

/**
 * The agent runs of one runtime: starts and records them, knows which execute in this
 * process, and answers the run routes (find, list, cancel, follow) with scoping checked on
 * every read and inside every state change.
 */
export class AgentRunLedger {
  readonly #store: () => AgentRunStore
  readonly #retentionMs: number
  readonly #observability: RunObservability
  readonly #onError: (err: unknown) => void
  readonly #logFlushMs: number | undefined
  readonly #leaseMs: number
  readonly #active = new Map<string, AgentRun>()
  #pruner: NodeJS.Timeout | undefined
  /** Renews the leases of the runs executing here while there are any. */
  #renewer: NodeJS.Timeout | undefined
  #renewing: Promise<void> | undefined
  #sweeper: NodeJS.Timeout | undefined
  #sweeping: Promise<number> | undefined
  #closed = false
  /** Set by `drain`: no new run starts here (503), the running ones finish or are stopped. */
  #closing = false

  constructor(store: () => AgentRunStore, options: AgentRunLedgerOptions = {}) {
    this.#store = store
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION
    this.#observability = options.observability ?? {}
    this.#onError = options.onError ?? ((err) => reportToStderr(err, { kind: 'agent' }))
    this.#logFlushMs = options.logFlushMs
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
    if (!(this.#retentionMs > 0)) throw new TypeError('runs.retentionMs must be a positive number of milliseconds')
    if (!Number.isInteger(this.#leaseMs) || this.#leaseMs < 20) throw new TypeError(`leaseMs must be an integer of at least 20, got ${this.#leaseMs}`)
    const sweepMs = options.sweepMs ?? 0
    if (!Number.isInteger(sweepMs) || sweepMs < 0) throw new TypeError(`sweepMs must be a non-negative integer, got ${sweepMs}`)
    if (sweepMs > 0) {
      this.#sweeper = setInterval(() => void this.sweep(), sweepMs)
      this.#sweeper.unref()
    }
  }

  get store(): AgentRunStore {
    return this.#store()
  }

  /**
   * Starts a recorded run; `report` receives store failures, which never break the reply. The
   * run is stored from the next turn of the event loop (until then only this process knows it).
   */
  begin(start: RunStart, report: (err: unknown) => void): AgentRun {
    this.#refuseWhileClosing()
    this.#schedulePruning(report)
    const record = freshRecord(start, newId())
    const recording = { store: this.store, inserted: false, report, flushMs: this.#logFlushMs, leaseMs: this.#leaseMs }
    return this.#register(new AgentRun(record, recording, () => this.#forget(record.runId), this.#observability))
  }

  /** A run nobody can look up or rejoin (an agent with `runs: false`, or called without a runtime). */
  static unrecorded(start: RunStart): AgentRun {
    return new AgentRun(freshRecord(start, newId()), undefined, () => {})
  }

  /** An unrecorded run of this runtime: traced, priced and announced like the others, but not stored. */
  unrecorded(start: RunStart, report: (err: unknown) => void): AgentRun {
    this.#refuseWhileClosing()
    return new AgentRun(freshRecord(start, newId()), undefined, () => {}, this.#observability, report)
  }

  /** Continues a run this caller just claimed (suspended → running), numbering events on from its log. */
  resume(record: AgentRunRecord, report: (err: unknown) => void): AgentRun {
    const copy: AgentRunRecord = { ...record, status: 'running', steps: [...record.steps], pendingApprovals: [], state: null }
    return this.#register(
      new AgentRun(
        copy,
        { store: this.store, inserted: true, report, flushMs: this.#logFlushMs, leaseMs: this.#leaseMs },
        () => this.#forget(record.runId),
        this.#observability,
      ),
    )
  }

  active(runId: string): AgentRun | undefined {
    return this.#active.get(runId)
  }

  /** The run as stored (or as it is now, when it executes here); 404 for another agent's or resource's. */
  async find(scope: RunScope, runId: string): Promise<AgentRunRecord> {
    const active = this.#active.get(runId)
    const record = active ? active.record : await this.store.get(runId)
    if (!record || !owns(scope, record)) throw notFound(`Agent run ${runId} not found`)
    return record
  }

  async list(scope: RunScope, query: { threadId?: string; status?: AgentRunStatus; from?: Date; to?: Date; page: number; perPage: number }) {
    await this.#settled()
    return this.store.list({ ...query, agentId: scope.agentId, resourceId: scope.resourceId })
  }

  /**
   * Waits until the runs that ended here are stored. A run's caller has its answer (and its
   * readers their last event) as soon as it ends, while its final record waits for the store's
   * next group commit: whatever this ledger reads from the store waits for that commit first,
   * so a caller never reads back an older state of a run it was just answered about.
   */
  async #settled(): Promise<void> {
    let settling: Promise<AgentRunRecord>[] | undefined
    for (const run of this.#active.values()) if (run.settling) (settling ??= []).push(run.done)
    if (settling) await Promise.all(settling)
  }

  /**
   * Stops a run wherever it is: here its model call and tools are aborted and it stores what it
   * has; a suspended run, or one another instance executes, is marked canceled in one guarded
   * write (that instance stops at its next write). 409 once it has finished otherwise.
   */
  async cancel(scope: RunScope, runId: string, report: (err: unknown) => void = this.#onError): Promise<AgentRunRecord> {
    const active = this.#active.get(runId)
    if (active && owns(scope, active.record) && !active.settling) {
      active.cancel()
      return active.done
    }
    await this.#settled()
    const record = await this.find(scope, runId)
    if (record.status === 'canceled') return record
    if (FINISHED_AGENT_RUN_STATUSES.has(record.status)) {
      throw conflict(`Agent run ${runId} already finished (status: ${record.status})`)
    }
    const finishedAt = new Date()
    // Its usage is final now: price it with the cancel, in the same guarded write.
    const cost = priceOrReport(this.#observability.pricing, record, report)
    const expect = { status: record.status, owner: scope.resourceId, version: record.version }
    if (!(await this.store.transition(runId, expect, { status: 'canceled', finishedAt, ...(cost ? { cost } : {}) }))) {
      throw conflict(`Agent run ${runId} changed state while being canceled`)
    }
    const canceled: AgentRunRecord = { ...record, status: 'canceled', finishedAt, cost, version: record.version + 1 }
    announceRunFinish(this.#observability, canceled, report)
    return canceled
  }

  /** The run's events after `after`, then live ones until it ends or suspends. */
  async *follow(scope: RunScope, runId: string, after: number): AsyncGenerator<RunEventEntry, void, undefined> {
    await this.find(scope, runId)
    let seen = after
    for (;;) {
      const active = this.#active.get(runId)
      if (active) {
        // Events of earlier activations, or written before this reader came, are in the store.
        if (seen < active.events.firstSeq - 1) {
          for (const entry of await this.store.events(runId, seen, active.events.firstSeq - 1 - seen)) {
            seen = entry.seq
            yield entry
          }
        }
        for await (const entry of active.events.follow(seen)) {
          seen = entry.seq
          yield entry
        }
        return
      }
      for (const entry of await this.store.events(runId, seen)) {
        seen = entry.seq
        yield entry
      }
      // Another instance may be running it: follow its stored log until it stops.
      const now = await this.store.get(runId)
      if (!now || now.status !== 'running') {
        if (now && now.lastSeq > seen) continue
        return
      }
      if (now.lastSeq <= seen) await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  }

  /** The seq after which the run's current activation (a chat turn, or its continuation after an approval) began. */
  async turnStart(runId: string): Promise<number> {
    const active = this.#active.get(runId)
    if (active) return active.events.firstSeq - 1
    await this.#settled()
    const events = await this.store.events(runId, 0)
    for (let i = events.length - 1; i >= 0; i--) {
      if ((events[i].data as { type?: unknown } | null)?.type === 'start') return events[i].seq - 1
    }
    return 0
  }

  /** The suspended chat run of a thread (the one a `useChat` approval answers), if any. */
  async suspendedOnThread(scope: RunScope, threadId: string): Promise<AgentRunRecord | undefined> {
    await this.#settled()
    const { runs } = await this.store.list({ agentId: scope.agentId, resourceId: scope.resourceId, threadId, status: 'suspended', page: 0, perPage: 10 })
    return runs.find((run) => run.kind === 'chat')
  }

  /**
   * Takes a suspended run whose every pending call now has a decision (suspended → running),
   * under a fresh lease, in one write guarded by its owner and the version it was read at;
   * undefined when someone else changed it first (a replayed or racing approval).
   */
  async claim(scope: RunScope, record: AgentRunRecord, pending: PendingToolApproval[]): Promise<AgentRunRecord | undefined> {
    // Refused before the write: the run stays suspended for an instance that is not shutting down.
    this.#refuseWhileClosing()
    const expect = { status: 'suspended' as const, owner: scope.resourceId, version: record.version }
    const patch = { status: 'running' as const, pendingApprovals: pending, leaseMs: this.#leaseMs }
    if (!(await this.store.transition(record.runId, expect, patch))) return undefined
    return { ...record, status: 'running', pendingApprovals: pending, version: record.version + 1 }
  }

  /** Puts a claimed run back to waiting, as it was read, when going on with it failed before it started. */
  async unclaim(claimed: AgentRunRecord, before: AgentRunRecord): Promise<void> {
    await this.store.transition(claimed.runId, { status: 'running', version: claimed.version }, { status: 'suspended', pendingApprovals: before.pendingApprovals })
  }

  /** Stores decisions on a run that still waits for others; false when it changed meanwhile. */
  record(scope: RunScope, record: AgentRunRecord, pending: PendingToolApproval[]): Promise<boolean> {
    const expect = { status: 'suspended' as const, owner: scope.resourceId, version: record.version }
    return this.store.transition(record.runId, expect, { status: 'suspended', pendingApprovals: pending })
  }

  /**
   * Answers one pending tool call of a suspended run (Mastra's approve and decline routes).
   * `complete` when it was the last one waiting: the run is then claimed for the caller to
   * continue. 404 for an unknown run or call, 409 when the run no longer waits for it.
   */
  async decide(
    scope: RunScope,
    runId: string,
    toolCallId: string | undefined,
    decision: { approved: boolean; reason?: string },
  ): Promise<{ record: AgentRunRecord; before: AgentRunRecord; complete: boolean }> {
    const record = await this.find(scope, runId)
    if (record.status !== 'suspended') throw conflict(`Agent run ${runId} is not waiting for an approval (status: ${record.status})`)
    const open = record.pendingApprovals.filter((call) => !call.decision)
    const call = toolCallId === undefined && open.length === 1 ? open[0] : open.find((c) => c.toolCallId === toolCallId)
    if (!call) {
      if (toolCallId === undefined) throw conflict(`Agent run ${runId} waits for ${open.length} tool calls: name one with toolCallId`)
      throw notFound(`Tool call ${toolCallId} is not waiting for approval on agent run ${runId}`)
    }
    const pending = record.pendingApprovals.map((c) => (c === call ? { ...c, decision } : c))
    if (pending.some((c) => !c.decision)) {
      if (!(await this.record(scope, record, pending))) throw conflict(`Agent run ${runId} changed while being answered`)
      return { record: { ...record, pendingApprovals: pending, version: record.version + 1 }, before: record, complete: false }
    }
    const claimed = await this.claim(scope, record, pending)
    if (!claimed) throw conflict(`Agent run ${runId} is no longer waiting for an approval`)
    return { record: claimed, before: record, complete: true }
  }

  /** The run of a chat thread that is executing now, if any (here or, as stored, elsewhere). */
  async runningOnThread(scope: RunScope, threadId: string): Promise<AgentRunRecord | undefined> {
    for (const run of this.#active.values()) {
      const { record } = run
      // One that ended (and is being stored) no longer runs.
      if (!run.settling && record.threadId === threadId && record.kind === 'chat' && owns(scope, record)) return record
    }
    await this.#settled()
    const { runs } = await this.store.list({ agentId: scope.agentId, resourceId: scope.resourceId, threadId, status: 'running', page: 0, perPage: 1 })
    return runs.find((run) => run.kind === 'chat')
  }

  /**
   * Closes as `failed` the running runs whose lease expired (their instance died, or stalled
   * past its lease), each announced once through `onRunFinish`, priced like any finished run;
   * resolves to how many this instance closed. Their model calls are not replayed. This
   * instance's own runs are renewed first. One sweep at a time: a call during one joins it.
   */
  sweep(): Promise<number> {
    if (this.#closed) return Promise.resolve(0)
    this.#sweeping ??= this.#sweepOnce().finally(() => (this.#sweeping = undefined))
    return this.#sweeping
  }

  /** Renews now the leases of the runs executing here (the timer does it every third of a lease). */
  renewLeases(): Promise<void> {
    this.#renewing ??= this.#renew().finally(() => (this.#renewing = undefined))
    return this.#renewing
  }

  /**
   * Shutdown: starts no new runs (503) and stops sweeping, lets the runs executing here finish
   * for up to `drainMs`, then stops the rest, which end as `failed` (their model calls cannot
   * move to another instance), and closes. Suspended runs are not executing: they stay.
   */
  async drain(drainMs: number): Promise<void> {
    this.#closing = true
    if (this.#sweeper) clearInterval(this.#sweeper)
    this.#sweeper = undefined
    await this.#sweeping
    const finished = () => Promise.all([...this.#active.values()].map((run) => run.done))
    if (drainMs > 0 && this.#active.size > 0) {
      const timeout = new AbortController()
      await Promise.race([finished(), delay(drainMs, undefined, { signal: timeout.signal }).catch(() => {})])
      timeout.abort()
    }
    // A run that already ended is only being stored: it keeps its outcome.
    for (const run of this.#active.values()) if (!run.settling) run.stopForShutdown()
    await finished()
    this.close()
    await this.#renewing
  }

  close(): void {
    this.#closed = true
    if (this.#pruner) clearInterval(this.#pruner)
    this.#pruner = undefined
    if (this.#sweeper) clearInterval(this.#sweeper)
    this.#sweeper = undefined
    this.#stopRenewing()
  }

  #refuseWhileClosing(): void {
    if (this.#closing) throw shuttingDown('This instance is shutting down: the agent run was not started, try again')
  }

  #register(run: AgentRun): AgentRun {
    this.#active.set(run.runId, run)
    if (!this.#renewer && !this.#closed) {
      this.#renewer = setInterval(() => void this.renewLeases(), Math.max(5, Math.floor(this.#leaseMs / 3)))
      this.#renewer.unref()
    }
    return run
  }

  #forget(runId: string): void {
    this.#active.delete(runId)
    if (this.#active.size === 0) this.#stopRenewing()
  }

  #stopRenewing(): void {
    if (this.#renewer) clearInterval(this.#renewer)
    this.#renewer = undefined
  }

  /** One write for every run executing here (those not inserted yet are simply not found). */
  async #renew(): Promise<void> {
    if (this.#active.size === 0) return
    try {
      await this.store.renew([...this.#active.keys()], this.#leaseMs)
    } catch (err) {
      this.#onError(err)
    }
  }

  async #sweepOnce(): Promise<number> {
    // A stalled event loop may have let this instance's own leases lapse: it still runs them.
    await this.renewLeases()
    let closed: AgentRunRecord[]
    try {
      closed = await this.store.closeExpired(INSTANCE_STOPPED, SWEEP_BATCH, (record) => priceOrReport(this.#observability.pricing, record, this.#onError))
    } catch (err) {
      this.#onError(err)
      return 0
    }
    // The store handed each run to this instance alone: announced here, once.
    for (const record of closed) announceRunFinish(this.#observability, record, this.#onError)
    return closed.length
  }

  /** Prunes once when the first run starts, then periodically; the timer never holds the process open. */
  #schedulePruning(report: (err: unknown) => void): void {
    if (this.#pruner) return
    const prune = () => {
      this.store.prune(new Date(Date.now() - this.#retentionMs)).catch(report)
    }
    this.#pruner = setInterval(prune, Math.min(this.#retentionMs, 60 * 60 * 1000))
    this.#pruner.unref()
    prune()
  }
}

function owns(scope: RunScope, record: AgentRunRecord): boolean {
  return record.agentId === scope.agentId && (scope.resourceId === undefined || record.resourceId === scope.resourceId)
}
