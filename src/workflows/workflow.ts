import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { parseOrThrow } from '../core/validate.js'
import type { Store } from '../storage/types.js'
import { describeWorkflow, type WorkflowDescription } from './describe.js'
import { stepsOf, type BranchCondition, type GraphNode, type GraphStep, type MapFn } from './graph.js'
import type { DeleteRunOutcome, ListWorkflowRunsQuery, WorkflowRunRecord, WorkflowRunStore } from '../storage/workflow-runs.js'
import { WorkflowRun, type RunRestartOptions, type RunTarget } from './run.js'
import { RunLeases } from './run-leases.js'
import type { WorkflowRunResult } from './snapshot.js'
import { agentStep, isAgentLike, isStep, type AgentLike, type Step } from './step.js'

export { createStep } from './step.js'
export type { Step, StepExecuteArgs } from './step.js'
export type { WorkflowRun } from './run.js'
export type { WorkflowRunResult } from './snapshot.js'

/** Anything `.then()`, `.parallel()` and `.branch()` accept. */
export type StepSource = Step<string, any, any, any, any> | Workflow<any, any, any, string> | AgentLike

type IdOf<S> = S extends { id: infer I extends string } ? I : string
type OutputOf<S> =
  S extends Step<string, any, infer O, any, any> ? O : S extends Workflow<any, infer O, any, string> ? O : S extends AgentLike ? { text: string } : unknown
type ParallelOutput<S extends readonly StepSource[]> = { [K in S[number] as IdOf<K>]: OutputOf<K> }
type BranchOutput<B extends ReadonlyArray<readonly [BranchCondition, StepSource]>> = {
  [K in B[number] as IdOf<K[1]>]?: OutputOf<K[1]>
}

export interface WorkflowConfig<TId extends string, IS extends z.ZodType, OS extends z.ZodType> {
  id: TId
  description?: string
  inputSchema: IS
  outputSchema: OS
}

export type ListRunsOptions = Omit<ListWorkflowRunsQuery, 'workflowId'>

/**
 * A graph of steps, built with `.then()`, `.parallel()`, `.branch()` and `.map()`, then `.commit()`.
 * `TCurrent` is the data the next step receives.
 */
export class Workflow<TInput = any, TOutput = any, TCurrent = any, TId extends string = string> {
  readonly id: TId
  readonly description?: string
  readonly inputSchema: z.ZodType<any, TInput>
  readonly outputSchema: z.ZodType<TOutput>
  readonly nodes: GraphNode[] = []
  readonly #stepIds = new Set<string>()
  readonly #target: RunTarget
  #committed = false
  #getStore: (() => Store) | undefined
  #leases: RunLeases | undefined
  #description: WorkflowDescription | undefined

  constructor(config: WorkflowConfig<TId, z.ZodType<any, TInput>, z.ZodType<TOutput>>) {
    this.id = config.id
    this.description = config.description
    this.inputSchema = config.inputSchema
    this.outputSchema = config.outputSchema
    this.#target = {
      id: this.id,
      nodes: this.nodes,
      outputSchema: this.outputSchema,
      leases: () => this.#runLeases(),
      parseInput: (inputData) => parseOrThrow(this.inputSchema, inputData, 'input data', 'inputData'),
      runStore: () => this.#runStore(),
    }
  }

  then<S extends StepSource>(step: S): Workflow<TInput, TOutput, OutputOf<S>, TId> {
    return this.#add({ type: 'step', step: this.#toGraphStep(step) })
  }

  /** Runs the steps concurrently; the output is keyed by step id. */
  parallel<const S extends readonly StepSource[]>(steps: S): Workflow<TInput, TOutput, ParallelOutput<S>, TId> {
    return this.#add({ type: 'parallel', steps: steps.map((step) => this.#toGraphStep(step)) })
  }

  /**
   * Runs the step of the first condition that holds; the output is keyed by that step's id.
   * When none holds the branch outputs `{}` and the workflow goes on with it.
   */
  branch<const B extends ReadonlyArray<readonly [BranchCondition<TCurrent>, StepSource]>>(
    branches: B,
  ): Workflow<TInput, TOutput, BranchOutput<B>, TId> {
    const graphBranches = branches.map(([condition, step]): [BranchCondition, GraphStep] => [condition, this.#toGraphStep(step)])
    return this.#add({ type: 'branch', branches: graphBranches })
  }

  /** Reshapes the data between steps. Re-run after a crash, so keep it free of side effects. */
  map<TNext>(fn: MapFn<TCurrent, TNext>): Workflow<TInput, TOutput, Awaited<TNext>, TId> {
    return this.#add({ type: 'map', fn })
  }

  /** Ends the definition; runs can be created from here on. */
  commit(): Workflow<TInput, TOutput, TCurrent, TId> {
    this.#committed = true
    return this
  }

  /**
   * Called by the runtime; runs are stored in the store it returns and leased by `leases`
   * (the runtime's instance), or by leases of this workflow's own.
   */
  bindStore(getStore: () => Store, leases?: RunLeases): void {
    this.#getStore = getStore
    this.#leases = leases
  }

  /** The `GET /workflows/:id` shape; schemas are JSON strings, computed once. */
  describe(): WorkflowDescription {
    this.#description ??= describeWorkflow(this)
    return this.#description
  }

  /** A handle on a new run, or on the stored run `runId`. Nothing is written until it starts (or `save()`). */
  async createRun(options: { runId?: string; resourceId?: string } = {}): Promise<WorkflowRun<TInput, TOutput>> {
    this.#assertCommitted()
    const runId = options.runId ?? randomUUID()
    return new WorkflowRun<TInput, TOutput>(this.#target, runId, options.resourceId, options.runId === undefined)
  }

  async getRun(runId: string): Promise<WorkflowRunRecord | null> {
    return this.#runStore().get(this.id, runId)
  }

  async listRuns(options: ListRunsOptions): Promise<{ runs: WorkflowRunRecord[]; total: number }> {
    return this.#runStore().list({ ...options, workflowId: this.id })
  }

  /** Runs stored as `running` whose lease expired: the instance executing them stopped (or died). */
  async listInterruptedRuns(): Promise<WorkflowRunRecord[]> {
    return this.#runStore().listExpired(this.id)
  }

  /** Continues an interrupted run from its last completed step; completed steps are not run again. 409 while its lease is live. */
  async restart(runId: string, options: RunRestartOptions = {}): Promise<WorkflowRunResult<TOutput>> {
    const run = await this.createRun({ runId })
    return run.restart(options)
  }

  /** @internal Re-drives a run the runtime's sweep claimed under `token`; settles when the run stops. */
  async recover(record: WorkflowRunRecord, token: number): Promise<WorkflowRunResult<TOutput>> {
    const run = new WorkflowRun<TInput, TOutput>(this.#target, record.runId, record.resourceId ?? undefined, false)
    return run.continueClaimed(record.snapshot, token)
  }

  /**
   * Deletes a stored run unless it is running; with `owner`, only that resource's run.
   * The status and owner are checked in the same write as the delete.
   */
  async deleteRun(runId: string, owner?: string): Promise<DeleteRunOutcome> {
    return this.#runStore().deleteRun(this.id, runId, owner)
  }

  /** True while a run of this workflow executes in this process. */
  isRunning(runId: string): boolean {
    return this.#runLeases().has(this.id, runId)
  }

  #runLeases(): RunLeases {
    this.#leases ??= new RunLeases(() => this.#runStore())
    return this.#leases
  }

  #runStore(): WorkflowRunStore {
    if (!this.#getStore) throw new Error(`Workflow ${this.id} has no store: register it with createRuntime() or call bindStore()`)
    return this.#getStore().workflowRuns
  }

  #assertCommitted(): void {
    if (!this.#committed) throw new Error(`Workflow ${this.id} is not committed: call .commit() after its last step`)
  }

  #add(node: GraphNode): any {
    if (this.#committed) throw new Error(`Workflow ${this.id} is committed; steps cannot be added`)
    for (const step of stepsOf(node)) {
      // Results are keyed by step id, so one id may appear only once per workflow.
      if (this.#stepIds.has(step.id)) throw new Error(`Workflow ${this.id} already has a step with id ${step.id}`)
      this.#stepIds.add(step.id)
    }
    this.nodes.push(node)
    return this
  }

  #toGraphStep(source: StepSource): GraphStep {
    if (source instanceof Workflow) {
      if (!source.#committed) throw new Error(`Workflow ${source.id} must be committed before it is used as a step`)
      return source
    }
    if (isStep(source)) return source
    if (isAgentLike(source)) return agentStep(source)
    throw new TypeError(`Workflow ${this.id}: not a step, workflow or agent`)
  }
}

/**
 * Declares a workflow.
 *
 * @example
 * const math = createWorkflow({ id: 'math', inputSchema, outputSchema }).then(add).then(double).commit()
 */
export function createWorkflow<TId extends string, IS extends z.ZodType, OS extends z.ZodType>(
  config: WorkflowConfig<TId, IS, OS>,
): Workflow<z.input<IS>, z.output<OS>, z.output<IS>, TId> {
  return new Workflow(config as WorkflowConfig<TId, z.ZodType<any, z.input<IS>>, z.ZodType<z.output<OS>>>)
}
