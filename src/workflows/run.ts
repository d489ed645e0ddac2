import type { z } from 'zod'
import { linkAbort } from '../core/abort.js'
import { conflict, notFound } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import { reportSafely, type ErrorReporter } from '../core/report.js'
import { parseOrThrow } from '../core/validate.js'
import { childOf, failSpan, linkTo, spanReference, startSpan, type Span } from '../core/tracing.js'
import { runGraph, type GraphOutcome } from './engine.js'
import { EventChannel, type EmitEvent, type WorkflowEvent } from './events.js'
import { finishPayload } from './observe.js'
import { finishedWorkflowRun, isRunEnd, type AnnounceWorkflowRun, type WorkflowRunEnd } from './run-finish.js'
import { checkSchema, StepFailure } from './failures.js'
import { findStep, isNestedWorkflow, type GraphNode } from './graph.js'
import {
  TERMINAL_STATUSES,
  type ClaimOptions,
  type WorkflowRunRecord,
  type WorkflowRunStatus,
  type WorkflowRunStore,
} from '../storage/workflow-runs.js'
import type { RunEventLogs } from './run-events.js'
import type { ActiveRun, RunLeases } from './run-leases.js'
import { SnapshotWriter } from './snapshot-writer.js'
import {
  initialSnapshot,
  markResumed,
  pickSuspendedPath,
  suspendedPaths,
  toRunResult,
  type WorkflowRunResult,
} from './snapshot.js'
import type { WorkflowSnapshot } from '../storage/workflow-snapshot.js'

/** What a run needs from its workflow. */
export interface RunTarget {
  readonly id: string
  readonly nodes: readonly GraphNode[]
  readonly outputSchema: z.ZodType
  /** The runs this instance executes, and their leases. */
  leases(): RunLeases
  /** Where each execution here records its events, for readers joining later. */
  readonly events: RunEventLogs
  /** Validates workflow input; throws a 400 naming `inputData.*` fields. */
  parseInput(inputData: unknown): unknown
  runStore(): WorkflowRunStore
  /** Where a failure nobody awaits goes when the start named no `onError`. */
  report: ErrorReporter
  /** Told once per run that ended with a write of this instance (the runtime's `onRunFinish`); must not throw. */
  announce?: AnnounceWorkflowRun
}

export interface RunStartOptions<TInput> {
  inputData: TInput
  context?: RequestContext
  /** Aborting it cancels the run. */
  signal?: AbortSignal
  /**
   * Receives the failure of a run nobody awaits (`startInBackground`, a stream whose reader
   * left) that stopped unexpectedly, and what fails without failing a step (a tool of an agent
   * step); default the runtime's error channel.
   */
  onError?: ErrorReporter
}

export interface RunResumeOptions {
  /** The suspended step: an id, a path through nested workflows, or the step. Optional when only one is suspended. */
  step?: string | readonly string[] | { id: string }
  resumeData?: unknown
  context?: RequestContext
  signal?: AbortSignal
  /** As for a start: where `resumeInBackground` reports a run that stopped unexpectedly, and steps report. */
  onError?: ErrorReporter
}

export interface RunRestartOptions {
  context?: RequestContext
  signal?: AbortSignal
  /** As for a start: where `restartInBackground` reports a run that stopped unexpectedly, and steps report. */
  onError?: ErrorReporter
}

type Execution<T> = { done: Promise<WorkflowRunResult<T>> }

/** What the finish hook says of a run beside its ids. */
type StoredRun = Pick<WorkflowRunRecord, 'resourceId' | 'createdAt'>

/** A run this instance claimed: its lease here, its state, and its owner and creation time when known without a read. */
interface Claimed {
  active: ActiveRun
  snapshot: WorkflowSnapshot
  stored: StoredRun | undefined
}

/** One run of a workflow. State lives in the store, so any process can resume it. */
export class WorkflowRun<TInput = unknown, TOutput = unknown> {
  readonly workflowId: string
  readonly runId: string
  readonly resourceId: string | undefined
  readonly #target: RunTarget
  /** True while the id is one this object generated, so no stored run can have it. */
  #fresh: boolean

  /** Built by `workflow.createRun()`. */
  constructor(target: RunTarget, runId: string, resourceId: string | undefined, fresh: boolean) {
    this.#target = target
    this.workflowId = target.id
    this.runId = runId
    this.resourceId = resourceId
    this.#fresh = fresh
  }

  /** Runs to the end (or a suspend) and returns the result. */
  async start(options: RunStartOptions<TInput>): Promise<WorkflowRunResult<TOutput>> {
    return (await this.#beginStart(options)).done
  }

  /** Resolves once the run is stored as started; it then goes on in the background. */
  async startInBackground(options: RunStartOptions<TInput>): Promise<void> {
    this.#detach(await this.#beginStart(options), options.onError)
  }

  /**
   * Starts the run and yields its events. Stopping the iteration does not stop the run;
   * pass `signal` for that. A refused start (bad input, run taken) rejects the first `next()`.
   */
  stream(options: RunStartOptions<TInput>): AsyncIterableIterator<WorkflowEvent> {
    const channel = new EventChannel<WorkflowEvent>()
    this.#beginStart(options, (event) => channel.push(event)).then(
      ({ done }) =>
        done.then(
          () => channel.end(),
          (err: unknown) => {
            // With the reader gone, nobody else would hear of it.
            if (!channel.end(err)) this.#report(err, options.onError)
          },
        ),
      (err: unknown) => channel.end(err),
    )
    return channel
  }

  /**
   * Resumes a suspended run and yields the events of the rest of it; refusals (not suspended,
   * bad resume data, another resource's run) reject the first `next()`. Stopping the iteration
   * does not stop the run.
   */
  resumeStream(options: RunResumeOptions): AsyncIterableIterator<WorkflowEvent> {
    const channel = new EventChannel<WorkflowEvent>()
    this.#beginResume(options, (event) => channel.push(event)).then(
      ({ done }) => done.then(() => channel.end(), (err: unknown) => channel.end(err)),
      (err: unknown) => channel.end(err),
    )
    return channel
  }

  /** Resumes a suspended run: 409 unless it is suspended, 400 when `resumeData` fails the step's resumeSchema. */
  async resume(options: RunResumeOptions): Promise<WorkflowRunResult<TOutput>> {
    return (await this.#beginResume(options)).done
  }

  async resumeInBackground(options: RunResumeOptions): Promise<void> {
    this.#detach(await this.#beginResume(options), options.onError)
  }

  /**
   * Continues a run whose instance died (its lease expired) from its last completed step;
   * 409 while the run's lease is live, wherever it runs.
   */
  async restart(options: RunRestartOptions = {}): Promise<WorkflowRunResult<TOutput>> {
    return this.#execute(await this.#claim('running', 'interrupted'), options)
  }

  /**
   * @internal Re-drives a run this instance's sweep just took over (under `token`) from its last
   * completed step. A stale execution of it here, whose lease lapsed, is stopped first.
   */
  async continueClaimed(snapshot: WorkflowSnapshot, token: number, stored?: StoredRun): Promise<WorkflowRunResult<TOutput>> {
    const leases = this.#target.leases()
    const stale = leases.get(this.workflowId, this.runId)
    if (stale) {
      stale.controller.abort()
      await stale.settled
    }
    const active = leases.claim(this.workflowId, this.runId)
    active.hold(token)
    return this.#execute({ active, snapshot, stored }, {})
  }

  /** Claims an interrupted run as `restart` does, then lets it go on in the background. */
  async restartInBackground(options: RunRestartOptions = {}): Promise<void> {
    const claimed = await this.#claim('running', 'interrupted')
    this.#detach({ done: this.#execute(claimed, options) }, options.onError)
  }

  /** False when this handle acts for a resource and the stored run belongs to another. */
  #owns(record: { resourceId: string | null }): boolean {
    return this.resourceId === undefined || record.resourceId === this.resourceId
  }

  /**
   * Claims the run in this instance and in the store (status, owner and lease in one write)
   * and loads its snapshot, which must be in `status`; `prepare` may check and change it
   * first, and the changed snapshot is stored with the claim. Released if anything fails.
   */
  async #claim(
    status: WorkflowRunStatus,
    described: string,
    prepare?: (snapshot: WorkflowSnapshot) => void,
  ): Promise<Claimed> {
    const store = this.#target.runStore()
    // Another resource's run is reported as missing before anything says whether it is running.
    const owned = await store.get(this.workflowId, this.runId)
    if (!owned || !this.#owns(owned)) throw notFound(`Workflow run ${this.runId} not found`)
    const leases = this.#target.leases()
    const active = leases.claim(this.workflowId, this.runId)
    try {
      const record = await store.get(this.workflowId, this.runId)
      if (!record) throw notFound(`Workflow run ${this.runId} not found`)
      if (record.status !== status) throw conflict(`Workflow run ${this.runId} is not ${described} (status: ${record.status})`)
      prepare?.(record.snapshot)
      const options: ClaimOptions = { owner: this.resourceId, snapshot: prepare ? record.snapshot : undefined }
      const token = await store.claim(this.workflowId, this.runId, status, leases.lease, options)
      // Lost a race (another resume, restart or cancel), or the run is live on another instance.
      if (token === null) throw conflict(await this.#refusal(status, described))
      active.hold(token)
      return { active, snapshot: record.snapshot, stored: record }
    } catch (err) {
      active.release()
      throw err
    }
  }

  async #refusal(status: WorkflowRunStatus, described: string): Promise<string> {
    const now = await this.#target.runStore().get(this.workflowId, this.runId)
    if (status === 'running' && now?.status === 'running') {
      return `Workflow run ${this.runId} is not interrupted: another instance holds its lease`
    }
    return `Workflow run ${this.runId} is no longer ${described}`
  }

  /** Aborts the running step's signal and marks the run canceled; 409 once it has finished. */
  async cancel(): Promise<void> {
    const store = this.#target.runStore()
    const record = await store.get(this.workflowId, this.runId)
    if (!record || !this.#owns(record)) throw notFound(`Workflow run ${this.runId} not found`)
    const active = this.#target.leases().get(this.workflowId, this.runId)
    if (active) {
      active.controller.abort()
      return active.settled
    }
    if (record.status === 'canceled') return
    if (TERMINAL_STATUSES.has(record.status)) throw conflict(`Workflow run ${this.runId} already finished (status: ${record.status})`)
    // A run another instance executes: its next heartbeat or write finds the run canceled and stops it.
    if (!(await store.compareAndSetStatus(this.workflowId, this.runId, record.status, 'canceled', undefined, this.resourceId))) {
      throw conflict(`Workflow run ${this.runId} changed state while being canceled`)
    }
    // This write ended the run (pending, suspended, or running on another instance, whose own finish now fails).
    this.#target.announce?.(finishedWorkflowRun(record, 'canceled', undefined))
  }

  /** Stores the run as `pending`, so another request or instance can start it by id. */
  async save(): Promise<void> {
    await this.#create('pending', initialSnapshot(undefined))
    this.#fresh = false
  }

  async #beginStart(options: RunStartOptions<TInput>, onEvent?: (event: WorkflowEvent) => void): Promise<Execution<TOutput>> {
    const snapshot = initialSnapshot(this.#target.parseInput(options.inputData))
    // A stored run of another resource answers 404 before anything says whether it runs here;
    // the claim below checks the owner again, atomically. A finish hook also needs its creation time.
    let existing: StoredRun | null = null
    if (!this.#fresh && (this.resourceId !== undefined || this.#target.announce)) {
      existing = await this.#target.runStore().get(this.workflowId, this.runId)
      if (existing && !this.#owns(existing)) throw notFound(`Workflow run ${this.runId} not found`)
    }
    const active = this.#target.leases().claim(this.workflowId, this.runId)
    let stored: StoredRun | undefined
    try {
      const started = await this.#storeStarted(snapshot)
      active.hold(started.token)
      stored = started.createdAt ? { resourceId: this.resourceId ?? null, createdAt: started.createdAt } : (existing ?? undefined)
    } catch (err) {
      active.release()
      throw err
    }
    this.#fresh = false
    return { done: this.#execute({ active, snapshot, stored }, options, onEvent) }
  }

  /**
   * One write, under this instance's lease: an insert for a new run, or pending → running for a
   * saved one. Returns the fencing token, and the creation time of a run it inserted.
   */
  async #storeStarted(snapshot: WorkflowSnapshot): Promise<{ token: number; createdAt?: Date }> {
    const store = this.#target.runStore()
    const { lease } = this.#target.leases()
    if (!this.#fresh) {
      const token = await store.claim(this.workflowId, this.runId, 'pending', lease, { snapshot, owner: this.resourceId })
      if (token !== null) return { token }
      const existing = await store.get(this.workflowId, this.runId)
      // Another resource's run answers like a missing one, here as on every route.
      if (existing && !this.#owns(existing)) throw notFound(`Workflow run ${this.runId} not found`)
      if (existing) throw conflict(`Workflow run ${this.runId} was already started (status: ${existing.status})`)
    }
    return { token: 1, createdAt: await this.#create('running', snapshot) }
  }

  /** Inserts the run; returns its creation time. */
  async #create(status: WorkflowRunStatus, snapshot: WorkflowSnapshot): Promise<Date> {
    const now = new Date()
    const record = { workflowId: this.workflowId, runId: this.runId, resourceId: this.resourceId ?? null, status, snapshot, createdAt: now, updatedAt: now }
    await this.#target.runStore().create(record, this.#target.leases().lease)
    return now
  }

  async #beginResume(options: RunResumeOptions, onEvent?: (event: WorkflowEvent) => void): Promise<Execution<TOutput>> {
    // The race between two resumers (here or in another instance) is decided by the claim's write.
    const claimed = await this.#claim('suspended', 'suspended', (snapshot) => {
      const path = pickSuspendedPath(suspendedPaths(snapshot), options.step)
      const step = findStep(this.#target.nodes, path)
      const schema = step && !isNestedWorkflow(step) ? step.resumeSchema : undefined
      const what = `resume data for step ${path.join('.')}`
      const resumeData = schema ? parseOrThrow(schema, options.resumeData, what, 'resumeData') : options.resumeData
      markResumed(snapshot, path, resumeData, Date.now())
    })
    return { done: this.#execute(claimed, options, onEvent) }
  }

  async #execute(
    { active, snapshot, stored }: Claimed,
    options: { context?: RequestContext; signal?: AbortSignal; onError?: ErrorReporter },
    onEvent?: (event: WorkflowEvent) => void,
  ): Promise<WorkflowRunResult<TOutput>> {
    const target = this.#target
    const { controller } = active
    const unlink = linkAbort(options.signal, controller)
    const run = { workflowId: target.id, runId: this.runId, token: active.token!, leaseMs: target.leases().leaseMs }
    const writer = new SnapshotWriter(target.runStore(), run, snapshot, active)
    const runId = this.runId
    // Every execution records its events, whoever started it, so `observe` can rejoin it.
    const log = target.events.open(runId)
    const emit: EmitEvent = (type, payload) => {
      const event: WorkflowEvent = { type, runId, from: 'WORKFLOW', payload }
      log.append(event)
      onEvent?.(event)
    }
    const span = startRunSpan(target.id, runId, this.resourceId, snapshot)
    try {
      emit('workflow-start', { workflowId: target.id })
      const report = this.#stepReporter(options.onError)
      const env = { runId, context: options.context ?? {}, signal: controller.signal, checkpoint: () => writer.checkpoint(), emit, trace: childOf(span), report }
      const status = settle(await runGraph(target.nodes, snapshot, snapshot.input, env), snapshot, target)
      const ended = await writer.finish(status)
      // Only the write that ended the run announces it: a run another instance (or a cancel) took is theirs to announce.
      if (ended && isRunEnd(status)) await this.#announce(status, snapshot.error, stored)
      const result = ended ? toRunResult<TOutput>(runId, status, snapshot) : await this.#storedResult()
      span?.setAttribute('agentmount.workflow.status', result.status)
      if (result.status === 'failed') failSpan(span, new Error(result.error ?? 'The workflow run failed'), 'workflow_failed')
      else span?.end()
      emit('workflow-finish', finishPayload(result))
      return result
    } catch (err) {
      failSpan(span, err)
      throw err
    } finally {
      log.close()
      unlink()
      active.release()
    }
  }

  /**
   * Tells the finish hook this run ended. When this execution does not know the run's owner
   * and creation time (a saved run, saved again since it was read), it reads them; a failed
   * read is reported and the hook still hears of the run.
   */
  async #announce(status: WorkflowRunEnd, error: string | undefined, stored: StoredRun | undefined): Promise<void> {
    const announce = this.#target.announce
    if (!announce) return
    const finishedAt = new Date()
    if (!stored) {
      try {
        stored = (await this.#target.runStore().get(this.workflowId, this.runId)) ?? undefined
      } catch (err) {
        this.#target.report(err, { kind: 'workflow-run', workflowId: this.workflowId, runId: this.runId })
      }
    }
    const { resourceId, createdAt } = stored ?? { resourceId: this.resourceId ?? null, createdAt: finishedAt }
    announce(finishedWorkflowRun({ workflowId: this.workflowId, runId: this.runId, resourceId, createdAt }, status, error, finishedAt))
  }

  /** The run as someone else left it, after this process lost its claim. */
  async #storedResult(): Promise<WorkflowRunResult<TOutput>> {
    const record = await this.#target.runStore().get(this.workflowId, this.runId)
    if (!record) throw notFound(`Workflow run ${this.runId} not found`)
    return toRunResult<TOutput>(this.runId, record.status, record.snapshot)
  }

  #detach({ done }: Execution<TOutput>, onError: ErrorReporter | undefined): void {
    // Nobody awaits a background run: report it. The run stays `running` and can be restarted.
    done.catch((err: unknown) => this.#report(err, onError))
  }

  /**
   * Where steps report what fails without failing them: the caller's `onError`, else the
   * target's. The run's ids come last, so a nested agent's own run id gives way to the run's.
   */
  #stepReporter(onError: ErrorReporter | undefined): ErrorReporter {
    const ids = { workflowId: this.workflowId, runId: this.runId }
    if (onError) return (err, info) => reportSafely(onError, err, { ...info, ...ids })
    return (err, info) => this.#target.report(err, { ...info, ...ids })
  }

  #report(err: unknown, onError: ErrorReporter | undefined): void {
    const info = { kind: 'workflow-run', workflowId: this.workflowId, runId: this.runId } as const
    if (onError) reportSafely(onError, err, info)
    else this.#target.report(err, info)
  }
}

/** Records the outcome in the snapshot and returns the run's final status. */
function settle(outcome: GraphOutcome, snapshot: WorkflowSnapshot, target: RunTarget): WorkflowRunStatus {
  if (outcome.status === 'failed') snapshot.error = outcome.error
  if (outcome.status !== 'success') return outcome.status
  try {
    snapshot.result = checkSchema(target.outputSchema, outcome.output, `Workflow ${target.id} output`)
  } catch (err) {
    if (!(err instanceof StepFailure)) throw err
    snapshot.error = err.message
    return 'failed'
  }
  delete snapshot.carry
  return 'success'
}

/**
 * The span of one execution of a run. The first execution's span is remembered in the snapshot;
 * a resume or restart, later and in another trace, links back to it.
 */
function startRunSpan(workflowId: string, runId: string, resourceId: string | undefined, snapshot: WorkflowSnapshot): Span | undefined {
  const attributes: Record<string, string> = {
    'gen_ai.operation.name': 'invoke_workflow',
    'agentmount.workflow.id': workflowId,
    'agentmount.run.id': runId,
  }
  if (resourceId !== undefined) attributes['agentmount.resource.id'] = resourceId
  const span = startSpan(`invoke_workflow ${workflowId}`, { attributes, links: linkTo(snapshot.trace) })
  snapshot.trace ??= spanReference(span)
  return span
}
