import type { z } from 'zod'
import { describeWorkflow, type WorkflowDescription } from './describe.js'
import { stepsOf, type BranchCondition, type GraphNode, type GraphStep, type MapFn } from './graph.js'
import { agentStep, isAgentLike, isStep, type AgentLike, type Step } from './step.js'

export { createStep } from './step.js'
export type { Step, StepExecuteArgs } from './step.js'
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

/**
 * A graph of steps, built with `.then()`, `.parallel()`, `.branch()` and `.map()`, then `.commit()`.
 * `TCurrent` is the data the next step receives. A definition only: it holds no store and no
 * runs, so one workflow can serve several runtimes; each runtime keeps its runs (`runtime.runs(id)`).
 */
export class Workflow<TInput = any, TOutput = any, TCurrent = any, TId extends string = string> {
  readonly id: TId
  readonly description?: string
  readonly inputSchema: z.ZodType<any, TInput>
  readonly outputSchema: z.ZodType<TOutput>
  readonly nodes: GraphNode[] = []
  readonly #stepIds = new Set<string>()
  #committed = false
  #description: WorkflowDescription | undefined

  constructor(config: WorkflowConfig<TId, z.ZodType<any, TInput>, z.ZodType<TOutput>>) {
    this.id = config.id
    this.description = config.description
    this.inputSchema = config.inputSchema
    this.outputSchema = config.outputSchema
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

  /** The `GET /workflows/:id` shape; schemas are JSON strings, computed once. */
  describe(): WorkflowDescription {
    this.#description ??= describeWorkflow(this)
    return this.#description
  }

  /** True once `.commit()` ended the definition; runs can be created from then on. */
  get committed(): boolean {
    return this.#committed
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
