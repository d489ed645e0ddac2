import type { LanguageModel, LanguageModelUsage, ToolSet } from 'ai'
import { linkAbort, type AbortSource } from '../../core/abort.js'
import {
  FINISHED_AGENT_RUN_STATUSES,
  type AgentRunKind,
  type AgentRunRecord,
  type AgentRunStatus,
  type AgentRunStore,
  type AgentRunUsage,
  type PendingToolApproval,
} from '../../storage/agent-runs.js'
import { RunEvents, type RunEventEntry } from './run-events.js'
import { RunLogWriter } from './run-writer.js'
import { RunTelemetry, type RunObservability } from './observer.js'

/** What a new run is: who asked, on which thread, with which model. */
export interface RunStart {
  agentId: string
  kind: AgentRunKind
  threadId: string | null
  resourceId: string | null
  model: { provider: string; modelId: string } | null
}

/** How a run ended this time: finished, or suspended until a person answers. */
export interface RunOutcome {
  status: Exclude<AgentRunStatus, 'running'>
  finishReason?: string
  error?: { message: string }
  pendingApprovals?: PendingToolApproval[]
  state?: Record<string, unknown>
}

/**
 * Why a run's signal fired when someone stopped it on purpose (not the client going away).
 * Named `AbortError`, as fetch and the AI SDK recognise an abort by its name.
 */
export class RunCanceled extends Error {
  constructor() {
    super('The run was canceled')
    this.name = 'AbortError'
  }
}

/** Why a run ends as failed when its instance shut down before it finished (`runtime.close`). */
export const INSTANCE_SHUT_DOWN = { message: 'The instance running this agent run shut down before it finished; model calls are not replayed' } as const

/** Why a run's signal fired when its instance shut down under it: an abort, as for a cancel, that ends it as failed. */
export class RunShutDown extends Error {
  constructor() {
    super(INSTANCE_SHUT_DOWN.message)
    this.name = 'AbortError'
  }
}

/** Token counts as the run record keeps them: numbers only, the provider's raw details left out. */
export function usageOf(usage: LanguageModelUsage | undefined): AgentRunUsage {
  const out: AgentRunUsage = {}
  if (!usage) return out
  for (const key of ['inputTokens', 'outputTokens', 'totalTokens', 'reasoningTokens', 'cachedInputTokens'] as const) {
    const value = usage[key]
    if (typeof value === 'number') out[key] = value
  }
  return out
}

function addUsage(total: AgentRunUsage, step: AgentRunUsage): AgentRunUsage {
  const out: AgentRunUsage = { ...total }
  for (const key of Object.keys(step) as Array<keyof AgentRunUsage>) out[key] = (out[key] ?? 0) + (step[key] ?? 0)
  return out
}

/**
 * One activation of an agent run in this process: its abort switch, the events it produced
 * (kept for readers while it is active) and, when it is recorded, the writer of its record
 * and log. A run suspended for approval and continued later is a new activation of the
 * same run, numbering its events on from where the stored log ends.
 */
export class AgentRun {
  readonly runId: string
  readonly record: AgentRunRecord
  readonly controller = new AbortController()
  readonly events: RunEvents
  /** Resolves with the final record once it is stored (or known not to be). */
  readonly done: Promise<AgentRunRecord>
  readonly #writer: RunLogWriter | undefined
  readonly #release: () => void
  #resolveDone!: (record: AgentRunRecord) => void
  #unlink: (() => void) | undefined
  #finished = false
  #settling = false
  readonly #telemetry: RunTelemetry
  readonly #report: (err: unknown) => void

  /** @internal Built by the ledger, or standalone (unrecorded) when `store` is undefined. */
  constructor(
    record: AgentRunRecord,
    recording: { store: AgentRunStore; inserted: boolean; report: (err: unknown) => void; flushMs?: number; leaseMs?: number } | undefined,
    release: () => void,
    observability: RunObservability = {},
    report: (err: unknown) => void = recording?.report ?? (() => {}),
  ) {
    this.runId = record.runId
    this.#telemetry = new RunTelemetry(record, observability)
    this.#report = report
    this.record = record
    this.events = new RunEvents(record.lastSeq)
    this.#release = release
    this.done = new Promise((resolve) => (this.#resolveDone = resolve))
    this.#writer = recording
      ? new RunLogWriter(recording.store, record, recording.inserted, {
          onLost: () => this.controller.abort(new RunCanceled()),
          report: recording.report,
          flushMs: recording.flushMs,
          leaseMs: recording.leaseMs,
        })
      : undefined
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** True once the run was stopped on purpose (the cancel routes), as opposed to its client leaving. */
  get canceled(): boolean {
    return this.controller.signal.reason instanceof RunCanceled
  }

  /** Adds an event for readers and to the stored log. */
  emit(data: unknown): RunEventEntry {
    this.#telemetry.observe(data)
    const entry = this.events.push(data)
    this.#writer?.add(entry)
    return entry
  }

  /** Records one model call's usage and finish reason. */
  step(finishReason: string, usage: LanguageModelUsage | undefined): void {
    const counted = usageOf(usage)
    this.record.steps.push({ finishReason, usage: counted })
    this.record.usage = addUsage(this.record.usage, counted)
  }

  /** The model and tools of this run's model calls, traced under its span when the app traces. */
  traced(model: LanguageModel, tools: ToolSet | undefined): { model: LanguageModel; tools: ToolSet | undefined } {
    return this.#telemetry.traced(model, tools)
  }

  /** Stops the run when `signal` fires (its client went away, with `onDisconnect: 'abort'`), until it finishes. */
  link(signal: AbortSignal | AbortSource | undefined): void {
    this.#unlink?.()
    this.#unlink = linkAbort(signal, this.controller)
  }

  /** True once the run was stopped because its instance is shutting down (`runtime.close`). */
  get shutDown(): boolean {
    return this.controller.signal.reason instanceof RunShutDown
  }

  cancel(): void {
    if (!this.controller.signal.aborted) this.controller.abort(new RunCanceled())
  }

  /** Stops the run because this instance shuts down: it ends as failed, its model calls not handed to another instance. */
  stopForShutdown(): void {
    if (!this.controller.signal.aborted) this.controller.abort(new RunShutDown())
  }

  /** How a run whose signal fired ends: canceled, or failed when its instance shut down. */
  stoppedOutcome(): RunOutcome {
    return this.shutDown ? { status: 'failed', finishReason: 'abort', error: INSTANCE_SHUT_DOWN } : { status: 'canceled', finishReason: 'abort' }
  }

  /** Stores the outcome after the last events, ends the event stream and leaves the registry. */
  async finish(outcome: RunOutcome): Promise<AgentRunRecord> {
    if (this.#finished) return this.done
    this.#finished = true
    this.#unlink?.()
    const record = this.record
    const terminal = outcome.status !== 'suspended'
    record.status = outcome.status
    record.finishReason = outcome.finishReason ?? record.finishReason
    record.error = outcome.error ?? null
    record.pendingApprovals = outcome.pendingApprovals ?? []
    record.state = outcome.state ?? null
    if (terminal) {
      record.finishedAt = new Date()
      record.cost = this.#telemetry.price(record, this.#report)
    }
    if (record.timeToFirstTokenMs === null && this.#telemetry.firstOutputMs !== undefined) record.timeToFirstTokenMs = this.#telemetry.firstOutputMs
    record.lastSeq = this.events.lastSeq
    record.updatedAt = new Date()
    // Readers of a run that ended have every event: their streams end now, in this turn of the
    // event loop, rather than after the write below (which waits for the store's next group
    // commit). Until that write lands the ledger answers for the run from this record. A
    // suspended run's stream ends only once it is stored, as the answer to it reads the store.
    if (terminal) {
      this.events.end()
      this.#telemetry.end(record)
    }
    this.#settling = true
    if (this.#writer) {
      const stored = await this.#writer.settle('running', {
        status: record.status,
        steps: record.steps,
        usage: record.usage,
        finishReason: record.finishReason,
        error: record.error,
        pendingApprovals: record.pendingApprovals,
        state: record.state,
        cost: record.cost,
        timeToFirstTokenMs: record.timeToFirstTokenMs,
        finishedAt: terminal ? record.finishedAt : undefined,
      })
      // Someone else ended the run (a cancel from another instance, or a sweep that saw its
      // lease expire while this process stalled): theirs is the outcome.
      if (!stored && this.#writer.lost) {
        const theirs = await this.#writer.stored()
        if (theirs && FINISHED_AGENT_RUN_STATUSES.has(theirs.status)) {
          record.status = theirs.status
          record.error = theirs.error
          record.finishedAt = theirs.finishedAt
          record.cost = theirs.cost
          record.version = theirs.version
        } else record.status = 'canceled'
      }
      // A shut-down run whose final write failed is closed by another instance's sweep: from now, not a lease later.
      if (!stored && !this.#writer.lost && this.shutDown) await this.#writer.expireLease()
      if (stored) record.version++
      // Someone else's status is theirs to announce: only the change made here counts as this run's end.
      if (stored && terminal) this.#telemetry.announce(record, this.#report)
    } else if (terminal) this.#telemetry.announce(record, this.#report)
    if (!terminal) this.#telemetry.end(record)
    this.events.end()
    this.#settling = false
    this.#release()
    this.#resolveDone(record)
    return record
  }

  /** True from the moment the run ended until its final record is stored (or known not to be): `done` resolves then. */
  get settling(): boolean {
    return this.#settling
  }
}
