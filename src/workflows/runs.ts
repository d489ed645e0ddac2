import { newId } from '../core/ids.js'
import { parseOrThrow } from '../core/validate.js'
import { reportSafely, reportToStderr, type ErrorReporter } from '../core/report.js'
import type { DeleteRunOutcome, ListWorkflowRunsQuery, WorkflowRunRecord, WorkflowRunStore } from '../storage/workflow-runs.js'
import type { WorkflowEvent } from './events.js'
import { RunEventLogs } from './run-events.js'
import { tailRun } from './observe.js'
import { RunLeases } from './run-leases.js'
import { WorkflowRun, type RunRestartOptions, type RunTarget } from './run.js'
import type { AnnounceWorkflowRun } from './run-finish.js'
import type { WorkflowRunResult } from './snapshot.js'
import type { Workflow } from './workflow.js'

export type ListRunsOptions = Omit<ListWorkflowRunsQuery, 'workflowId'>

/**
 * The runs of one workflow in one runtime: the store that keeps them and the leases of those
 * executing in this instance. The runtime holds one per workflow; the definition holds none.
 *
 * @example
 * const run = await runtime.runs('refund').createRun()
 * const result = await run.start({ inputData: { orderId: 'o-1' } })
 */
export class WorkflowRuns<TInput = any, TOutput = any> {
  readonly workflow: Workflow<TInput, TOutput>
  readonly #leases: RunLeases
  readonly #events = new RunEventLogs()
  readonly #target: RunTarget

  /**
   * `store` may be a function, for a runtime that opens its store on first use; `leases` are the
   * runtime's (one instance, one heartbeat), else this object's own. `onError` receives a run
   * nobody awaits that stopped unexpectedly, when its start named no `onError` (the runtime's
   * error channel); default standard error. `announce` is told once of each run that ended
   * with a write of this instance (the runtime's `onRunFinish`); it must not throw.
   */
  constructor(
    workflow: Workflow<TInput, TOutput>,
    store: WorkflowRunStore | (() => WorkflowRunStore),
    leases?: RunLeases,
    onError: ErrorReporter = reportToStderr,
    announce?: AnnounceWorkflowRun,
  ) {
    this.workflow = workflow
    const runStore = typeof store === 'function' ? store : () => store
    const runLeases = leases ?? new RunLeases(runStore)
    this.#leases = runLeases
    this.#target = {
      id: workflow.id,
      nodes: workflow.nodes,
      outputSchema: workflow.outputSchema,
      leases: () => runLeases,
      events: this.#events,
      parseInput: (inputData) => parseOrThrow(workflow.inputSchema, inputData, 'input data', 'inputData'),
      runStore,
      report: (err, info) => reportSafely(onError, err, info),
      announce,
    }
  }

  /** A handle on a new run, or on the stored run `runId`. Nothing is written until it starts (or `save()`). */
  async createRun(options: { runId?: string; resourceId?: string } = {}): Promise<WorkflowRun<TInput, TOutput>> {
    if (!this.workflow.committed) {
      throw new Error(`Workflow ${this.workflow.id} is not committed: call .commit() after its last step`)
    }
    const runId = options.runId ?? newId()
    return new WorkflowRun<TInput, TOutput>(this.#target, runId, options.resourceId, options.runId === undefined)
  }

  getRun(runId: string): Promise<WorkflowRunRecord | null> {
    return this.#target.runStore().get(this.workflow.id, runId)
  }

  listRuns(options: ListRunsOptions): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    return this.#target.runStore().list({ ...options, workflowId: this.workflow.id })
  }

  /** Runs stored as `running` whose lease expired: the instance executing them stopped (or died). */
  listInterruptedRuns(): Promise<WorkflowRunRecord[]> {
    return this.#target.runStore().listExpired(this.workflow.id)
  }

  /** Continues an interrupted run from its last completed step; completed steps are not run again. 409 while its lease is live. */
  async restart(runId: string, options: RunRestartOptions = {}): Promise<WorkflowRunResult<TOutput>> {
    return (await this.createRun({ runId })).restart(options)
  }

  /** @internal Re-drives a run the runtime's sweep claimed under `token`; settles when the run stops. */
  recover(record: WorkflowRunRecord, token: number): Promise<WorkflowRunResult<TOutput>> {
    const run = new WorkflowRun<TInput, TOutput>(this.#target, record.runId, record.resourceId ?? undefined, false)
    return run.continueClaimed(record.snapshot, token, record)
  }

  /**
   * Deletes a stored run unless it is running; with `owner`, only that resource's run.
   * The status and owner are checked in the same write as the delete.
   */
  deleteRun(runId: string, owner?: string): Promise<DeleteRunOutcome> {
    return this.#target.runStore().deleteRun(this.workflow.id, runId, owner)
  }

  /**
   * A run's events from `offset` on, then live until it stops running. While it executes here,
   * or when it no longer runs and this instance kept its events, they come from this instance's
   * record of its executions; otherwise (it runs on another instance, or ran long ago) they are
   * read from its stored state, wherever it executes. A run that never started has none.
   */
  async *observe(runId: string, offset = 0, signal?: AbortSignal): AsyncGenerator<WorkflowEvent> {
    const kept = this.#events.kept(runId)
    if (kept?.live) return yield* this.#events.follow(runId, offset)
    const record = await this.getRun(runId)
    if (kept && record?.status !== 'running') return yield* this.#events.follow(runId, offset)
    if (!record || record.status === 'pending') return
    let index = 0
    for await (const event of tailRun(record, () => this.getRun(runId), signal)) {
      if (index++ >= offset) yield event
    }
  }

  /** True while the run executes in this instance. */
  isRunning(runId: string): boolean {
    return this.#leases.has(this.workflow.id, runId)
  }
}
