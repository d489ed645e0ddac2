import type { z } from 'zod'
import type { RequestContext } from '../core/context.js'
import type { GetStepResult, Step } from './step.js'

/** A committed workflow used as a step of another; `Workflow` has this shape. */
export interface NestedWorkflow {
  readonly id: string
  readonly description?: string
  readonly inputSchema: z.ZodType
  readonly outputSchema: z.ZodType
  readonly nodes: readonly GraphNode[]
}

export type GraphStep = Step | NestedWorkflow

export interface DataFnArgs<TIn> {
  inputData: TIn
  getStepResult: GetStepResult
  context: RequestContext
  runId: string
}

export type BranchCondition<TIn = any> = (args: DataFnArgs<TIn>) => boolean | Promise<boolean>
export type MapFn<TIn = any, TOut = any> = (args: DataFnArgs<TIn>) => TOut | Promise<TOut>

export type GraphNode =
  | { type: 'step'; step: GraphStep }
  | { type: 'parallel'; steps: GraphStep[] }
  | { type: 'branch'; branches: Array<[BranchCondition, GraphStep]> }
  | { type: 'map'; fn: MapFn }

export function isNestedWorkflow(step: GraphStep): step is NestedWorkflow {
  return Array.isArray((step as NestedWorkflow).nodes)
}

/** The steps a node may run, in declaration order. */
export function stepsOf(node: GraphNode): GraphStep[] {
  switch (node.type) {
    case 'step':
      return [node.step]
    case 'parallel':
      return node.steps
    case 'branch':
      return node.branches.map(([, step]) => step)
    case 'map':
      return []
  }
}

/** Finds the step at `path`, descending through nested workflows. */
export function findStep(nodes: readonly GraphNode[], path: readonly string[]): GraphStep | undefined {
  const [id, ...rest] = path
  for (const node of nodes) {
    for (const step of stepsOf(node)) {
      if (step.id !== id) continue
      if (rest.length === 0) return step
      return isNestedWorkflow(step) ? findStep(step.nodes, rest) : undefined
    }
  }
  return undefined
}
