import { conflict, HttpError, notFound } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import type { ErrorReporter } from '../core/report.js'
import type { ListWorkflowRunsQuery, WorkflowRunRecord, WorkflowRunStatus, WorkflowRunStore } from '../storage/workflow-runs.js'
import type { WorkflowEvent } from '../workflows/events.js'
import type { WorkflowRun } from '../workflows/run.js'
import type { WorkflowRunResult } from '../workflows/snapshot.js'
import type { WorkflowRuns } from '../workflows/runs.js'
import type { Workflow } from '../workflows/workflow.js'

/**
 * Who acts on a run: the resource an authenticated caller is scoped to (undefined:
 * unscoped), the request context steps receive, and the signal that cancels the run.
 */
export interface RunCaller {
  resourceId: string | undefined
  context?: RequestContext
  signal?: AbortSignal
  /**
   * Receives the failure of a run nobody awaits (started in the background, a stream whose
   * reader left) and what fails without failing a step (a tool of an agent step).
   */
  onError?: ErrorReporter
}

/** Which run to start, and with what; a new one when `runId` is absent. */
export interface StartInput {
  runId?: string
  inputData: unknown
}

export interface ResumeInput {
  runId: string
  step?: string | readonly string[]
  resumeData?: unknown
}

export type ListRunsInput = Omit<ListWorkflowRunsQuery, 'workflowId'>

const STATUSES: readonly WorkflowRunStatus[] = ['pending', 'running', 'suspended', 'success', 'failed', 'canceled']

/** How many of a workflow's runs are in each status. */
export type RunCounts = Record<WorkflowRunStatus, number>

/** What the service needs: the runtime's runs of one workflow, all workflows, and the store their runs live in. */
export interface WorkflowRunSource {
  /** The runs of a workflow the runtime serves; 404 for another. */
  runs(workflowId: string): WorkflowRuns
  all(): Readonly<Record<string, Workflow>>
  runStore(): WorkflowRunStore
}

/**
 * Runs of the runtime's workflows as the routes and MCP serve them. Scoping lives here: a
 * scoped caller's handle carries its resource, which every claim (start, resume, cancel,
 * restart) checks in the same write as the change, and another resource's run answers
 * exactly like a missing one.
 */
export class WorkflowRunService {
  readonly #source: WorkflowRunSource

  constructor(source: WorkflowRunSource) {
    this.#source = source
  }

  #runsOf(workflowId: string): WorkflowRuns {
    return this.#source.runs(workflowId)
  }

  /**
   * Stores a pending run for the caller's resource (or `resourceId` when unscoped). A run id
   * the caller already has is a handle on that run, as Mastra clients use it; one taken by
   * another resource is 409, which says no more than that the id is taken.
   */
  async create(workflowId: string, caller: RunCaller, input: { runId?: string; resourceId?: string }): Promise<string> {
    const runs = this.#runsOf(workflowId)
    const run = await runs.createRun({ runId: input.runId, resourceId: caller.resourceId ?? input.resourceId })
    try {
      await run.save()
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 409) throw err
      const existing = await runs.getRun(run.runId)
      if (!existing || !isVisible(existing, caller.resourceId)) throw err
    }
    return run.runId
  }

  /** Runs per status of every registered workflow (keyed as registered), the caller's only when scoped. */
  async counts(caller: RunCaller): Promise<Record<string, RunCounts>> {
    const stored = await this.#source.runStore().countRuns(caller.resourceId)
    const out: Record<string, RunCounts> = {}
    for (const [key, workflow] of Object.entries(this.#source.all())) {
      const counts = Object.fromEntries(STATUSES.map((status) => [status, 0])) as RunCounts
      for (const row of stored) if (row.workflowId === workflow.id) counts[row.status] += row.count
      out[key] = counts
    }
    return out
  }

  /** Deletes a run that is not running: 409 while it runs, 404 when missing or another resource's. */
  async delete(workflowId: string, caller: RunCaller, runId: string): Promise<void> {
    const outcome = await this.#runsOf(workflowId).deleteRun(runId, caller.resourceId)
    if (outcome === 'running') throw conflict(`Workflow run ${runId} is running; cancel it first`)
    if (outcome === 'missing') throw notFound(`Workflow run ${runId} not found`)
  }

  /** Runs to the end (or a suspend) and returns the result. */
  async start(workflowId: string, caller: RunCaller, input: StartInput): Promise<WorkflowRunResult> {
    const run = await this.#runToStart(workflowId, input.runId, caller.resourceId)
    return run.start({ inputData: input.inputData, context: caller.context, signal: caller.signal, onError: caller.onError })
  }

  /** Resolves once the run is stored as started; it goes on without the caller. */
  async startInBackground(workflowId: string, caller: RunCaller, input: StartInput): Promise<string> {
    const run = await this.#runToStart(workflowId, input.runId, caller.resourceId)
    await run.startInBackground({ inputData: input.inputData, context: caller.context, onError: caller.onError })
    return run.runId
  }

  /**
   * Starts the run and resolves to its events once the start was accepted, so a refused
   * start (bad input, run taken) rejects here, before a response is under way.
   */
  async stream(workflowId: string, caller: RunCaller, input: StartInput): Promise<AsyncIterable<WorkflowEvent>> {
    const run = await this.#runToStart(workflowId, input.runId, caller.resourceId)
    const events = run.stream({ inputData: input.inputData, context: caller.context, signal: caller.signal, onError: caller.onError })
    return startingWith(await events.next(), events)
  }

  /** Resumes a suspended run and returns its result: 409 unless it is suspended. */
  async resume(workflowId: string, caller: RunCaller, input: ResumeInput): Promise<WorkflowRunResult> {
    const run = await this.#handle(workflowId, input.runId, caller.resourceId)
    return run.resume({ step: input.step, resumeData: input.resumeData, context: caller.context, signal: caller.signal, onError: caller.onError })
  }

  /**
   * Resumes a suspended run and resolves to the events of the rest of it once the resume was
   * accepted, so a refusal (not suspended, bad resume data) rejects here, before a response.
   */
  async resumeStream(workflowId: string, caller: RunCaller, input: ResumeInput): Promise<AsyncIterable<WorkflowEvent>> {
    const run = await this.#handle(workflowId, input.runId, caller.resourceId)
    const events = run.resumeStream({ step: input.step, resumeData: input.resumeData, context: caller.context, signal: caller.signal, onError: caller.onError })
    return startingWith(await events.next(), events)
  }

  /**
   * Rejoins a run's event stream from `offset` on, live until it stops running, wherever it
   * executes (see `WorkflowRuns.observe`). 404 when the caller cannot see the run.
   */
  async observe(workflowId: string, caller: RunCaller, runId: string, offset: number, signal?: AbortSignal): Promise<AsyncIterable<WorkflowEvent>> {
    await this.get(workflowId, caller, runId)
    return this.#runsOf(workflowId).observe(runId, offset, signal)
  }

  async resumeInBackground(workflowId: string, caller: RunCaller, input: ResumeInput): Promise<void> {
    const run = await this.#handle(workflowId, input.runId, caller.resourceId)
    await run.resumeInBackground({ step: input.step, resumeData: input.resumeData, context: caller.context, onError: caller.onError })
  }

  /** The caller's runs, newest first; an unscoped caller may filter by `resourceId`. */
  list(workflowId: string, caller: RunCaller, query: ListRunsInput): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    return this.#runsOf(workflowId).listRuns({ ...query, resourceId: caller.resourceId ?? query.resourceId })
  }

  async get(workflowId: string, caller: RunCaller, runId: string): Promise<WorkflowRunRecord> {
    const record = await this.#runsOf(workflowId).getRun(runId)
    if (!record || !isVisible(record, caller.resourceId)) {
      throw notFound(`Workflow run ${runId} not found`)
    }
    return record
  }

  /** Stops a running run or cancels a pending or suspended one; 409 once it has finished. */
  async cancel(workflowId: string, caller: RunCaller, runId: string): Promise<void> {
    await (await this.#handle(workflowId, runId, caller.resourceId)).cancel()
  }

  /** Continues an interrupted run (its lease expired) from its last completed step; 409 while its lease is live. */
  async restart(workflowId: string, caller: RunCaller, runId: string): Promise<WorkflowRunResult> {
    const run = await this.#handle(workflowId, runId, caller.resourceId)
    return run.restart({ context: caller.context, signal: caller.signal, onError: caller.onError })
  }

  /** Claims an interrupted run as `restart` does; it then goes on without the caller. */
  async restartInBackground(workflowId: string, caller: RunCaller, runId: string): Promise<void> {
    const run = await this.#handle(workflowId, runId, caller.resourceId)
    await run.restartInBackground({ context: caller.context, onError: caller.onError })
  }

  /**
   * Restarts every interrupted run of the workflow the caller can see; with `wait`, resolves
   * once they all ended. A run another request or instance took first is skipped. Returns
   * the ids of the runs this call restarted.
   */
  async restartInterrupted(workflowId: string, caller: RunCaller, options: { wait: boolean }): Promise<string[]> {
    const runs = this.#runsOf(workflowId)
    const interrupted = (await runs.listInterruptedRuns()).filter((record) => isVisible(record, caller.resourceId))
    const restarted: string[] = []
    const executions: Promise<unknown>[] = []
    for (const { runId } of interrupted) {
      const run = await this.#handle(workflowId, runId, caller.resourceId)
      try {
        if (options.wait) executions.push(run.restart({ context: caller.context, onError: caller.onError }).catch(ignoreConflict))
        else await run.restartInBackground({ context: caller.context, onError: caller.onError })
        restarted.push(runId)
      } catch (err) {
        ignoreConflict(err)
      }
    }
    const outcomes = await Promise.all(executions)
    // A restart that lost its claim to someone else did not restart anything.
    return restarted.filter((_, i) => !options.wait || outcomes[i] !== SKIPPED)
  }

  /** A handle acting for `scope`: its claims check the owner atomically. */
  #handle(workflowId: string, runId: string, scope: string | undefined): Promise<WorkflowRun> {
    return this.#runsOf(workflowId).createRun({ runId, resourceId: scope })
  }

  /**
   * The run a start targets: a new one, or the stored/new run `runId`. Unscoped, a stored
   * run keeps the owner it has.
   */
  async #runToStart(workflowId: string, runId: string | undefined, scope: string | undefined): Promise<WorkflowRun> {
    const runs = this.#runsOf(workflowId)
    if (runId === undefined || scope !== undefined) return runs.createRun({ runId, resourceId: scope })
    const existing = await runs.getRun(runId)
    return runs.createRun({ runId, resourceId: existing?.resourceId ?? undefined })
  }
}

/** A scoped caller sees only its own resource's runs. */
function isVisible(record: WorkflowRunRecord, scope: string | undefined): boolean {
  return scope === undefined || record.resourceId === scope
}

const SKIPPED = Symbol('skipped')

/** A 409 means another claim won the run; anything else is a real failure. */
function ignoreConflict(err: unknown): typeof SKIPPED {
  if (err instanceof HttpError && err.status === 409) return SKIPPED
  throw err
}

/** Puts an already-read first result back in front of the rest, keeping `return()` immediate. */
function startingWith<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  let held: IteratorResult<T> | undefined = first
  const iterator: AsyncIterator<T> = {
    next: () => {
      if (!held) return rest.next()
      const result = held
      held = undefined
      return Promise.resolve(result)
    },
    return: () => {
      held = undefined
      return rest.return?.() ?? Promise.resolve({ value: undefined, done: true })
    },
  }
  return { [Symbol.asyncIterator]: () => iterator }
}
