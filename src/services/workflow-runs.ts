import { notFound } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import type { ListWorkflowRunsQuery, WorkflowRunRecord } from '../storage/workflow-runs.js'
import type { WorkflowEvent } from '../workflows/events.js'
import type { WorkflowRun } from '../workflows/run.js'
import type { WorkflowRunResult } from '../workflows/snapshot.js'
import type { Workflow } from '../workflows/workflow.js'

/**
 * Who acts on a run: the resource an authenticated caller is scoped to (undefined:
 * unscoped), the request context steps receive, and the signal that cancels the run.
 */
export interface RunCaller {
  resourceId: string | undefined
  context?: RequestContext
  signal?: AbortSignal
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

/**
 * Runs of the runtime's workflows as the routes and MCP serve them. Scoping lives here: a
 * scoped caller's handle carries its resource, which every claim (start, resume, cancel,
 * restart) checks in the same write as the change, and another resource's run answers
 * exactly like a missing one.
 */
export class WorkflowRunService {
  readonly #workflowOf: (workflowId: string) => Workflow

  constructor(workflowOf: (workflowId: string) => Workflow) {
    this.#workflowOf = workflowOf
  }

  /** Stores a pending run for the caller's resource (or `resourceId` when unscoped); 409 when the id is taken. */
  async create(workflowId: string, caller: RunCaller, input: { runId?: string; resourceId?: string }): Promise<string> {
    const run = await this.#workflowOf(workflowId).createRun({ runId: input.runId, resourceId: caller.resourceId ?? input.resourceId })
    // A taken run id is a 409 whoever owns it, so the answer says nothing about other resources.
    await run.save()
    return run.runId
  }

  /** Runs to the end (or a suspend) and returns the result. */
  async start(workflowId: string, caller: RunCaller, input: StartInput): Promise<WorkflowRunResult> {
    const run = await this.#runToStart(workflowId, input.runId, caller.resourceId)
    return run.start({ inputData: input.inputData, context: caller.context, signal: caller.signal })
  }

  /** Resolves once the run is stored as started; it goes on without the caller. */
  async startInBackground(workflowId: string, caller: RunCaller, input: StartInput): Promise<string> {
    const run = await this.#runToStart(workflowId, input.runId, caller.resourceId)
    await run.startInBackground({ inputData: input.inputData, context: caller.context })
    return run.runId
  }

  /**
   * Starts the run and resolves to its events once the start was accepted, so a refused
   * start (bad input, run taken) rejects here, before a response is under way.
   */
  async stream(workflowId: string, caller: RunCaller, input: StartInput): Promise<AsyncIterable<WorkflowEvent>> {
    const run = await this.#runToStart(workflowId, input.runId, caller.resourceId)
    const events = run.stream({ inputData: input.inputData, context: caller.context, signal: caller.signal })
    return startingWith(await events.next(), events)
  }

  /** Resumes a suspended run and returns its result: 409 unless it is suspended. */
  async resume(workflowId: string, caller: RunCaller, input: ResumeInput): Promise<WorkflowRunResult> {
    const run = await this.#handle(workflowId, input.runId, caller.resourceId)
    return run.resume({ step: input.step, resumeData: input.resumeData, context: caller.context, signal: caller.signal })
  }

  async resumeInBackground(workflowId: string, caller: RunCaller, input: ResumeInput): Promise<void> {
    const run = await this.#handle(workflowId, input.runId, caller.resourceId)
    await run.resumeInBackground({ step: input.step, resumeData: input.resumeData, context: caller.context })
  }

  /** The caller's runs, newest first; an unscoped caller may filter by `resourceId`. */
  list(workflowId: string, caller: RunCaller, query: ListRunsInput): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    return this.#workflowOf(workflowId).listRuns({ ...query, resourceId: caller.resourceId ?? query.resourceId })
  }

  async get(workflowId: string, caller: RunCaller, runId: string): Promise<WorkflowRunRecord> {
    const record = await this.#workflowOf(workflowId).getRun(runId)
    if (!record || (caller.resourceId !== undefined && record.resourceId !== caller.resourceId)) {
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
    return run.restart({ context: caller.context, signal: caller.signal })
  }

  /** A handle acting for `scope`: its claims check the owner atomically. */
  #handle(workflowId: string, runId: string, scope: string | undefined): Promise<WorkflowRun> {
    return this.#workflowOf(workflowId).createRun({ runId, resourceId: scope })
  }

  /**
   * The run a start targets: a new one, or the stored/new run `runId`. Unscoped, a stored
   * run keeps the owner it has.
   */
  async #runToStart(workflowId: string, runId: string | undefined, scope: string | undefined): Promise<WorkflowRun> {
    const workflow = this.#workflowOf(workflowId)
    if (runId === undefined || scope !== undefined) return workflow.createRun({ runId, resourceId: scope })
    const existing = await workflow.getRun(runId)
    return workflow.createRun({ runId, resourceId: existing?.resourceId ?? undefined })
  }
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
