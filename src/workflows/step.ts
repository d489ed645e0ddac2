import { z } from 'zod'
import type { RequestContext } from '../core/context.js'
import type { ErrorReporter } from '../core/report.js'

/** Reads the output of a step that already succeeded in this run (undefined otherwise). */
export interface GetStepResult {
  <S extends { id: string; outputSchema: z.ZodType }>(step: S): z.output<S['outputSchema']> | undefined
  (stepId: string): unknown
}

export interface StepExecuteArgs<TIn = unknown, TResume = unknown, TSuspend = unknown> {
  inputData: TIn
  /** Set only when the step runs again after a suspend. */
  resumeData: TResume | undefined
  /**
   * Suspends the step until the run is resumed: `return suspend({ reason })`. The returned
   * promise never settles, so code after an awaited `suspend` does not run.
   */
  suspend: (payload: TSuspend) => Promise<never>
  context: RequestContext
  /** Fires when the run is canceled. */
  signal: AbortSignal
  getStepResult: GetStepResult
  runId: string
  /**
   * `${runId}:${stepId}` (nested steps: `${runId}:${workflowId}.${stepId}`), the same each time
   * this step executes in this run: on a retry, after a crash, on another instance. Record side
   * effects under it (a unique key, an idempotency header) so a re-driven step does them once.
   */
  idempotencyKey: string
  /** 1 on the first call, 2 on the first retry, … (restarts at 1 when a run is re-driven). */
  attempt: number
  /**
   * Receives what fails without failing the step, such as a tool of an agent the step calls
   * (pass it on as the agent call's `onError`). It adds the run's `workflowId` and `runId` and
   * goes where the run reports: the `onError` of whoever started or resumed it (a mount's,
   * with the request), else the runtime's error channel.
   */
  onError: ErrorReporter
}

/** A unit of work with validated input and output. */
export interface Step<TId extends string = string, TIn = any, TOut = any, TResume = any, TSuspend = any> {
  readonly id: TId
  readonly description?: string
  readonly inputSchema: z.ZodType<TIn>
  readonly outputSchema: z.ZodType<TOut>
  /** Validates `resumeData` (typed `TResume`) before a resume is accepted. */
  readonly resumeSchema?: z.ZodType
  /** Validates the payload passed to `suspend` (typed `TSuspend`). */
  readonly suspendSchema?: z.ZodType
  /** Extra attempts after `execute` throws; schema mismatches are never retried. */
  readonly retries: number
  /** Returns the raw output; the engine validates it with `outputSchema`. */
  execute(args: StepExecuteArgs<TIn, TResume, TSuspend>): Promise<unknown>
}

export interface StepConfig<
  TId extends string,
  IS extends z.ZodType,
  OS extends z.ZodType,
  RS extends z.ZodType,
  SS extends z.ZodType,
> {
  id: TId
  description?: string
  inputSchema: IS
  outputSchema: OS
  resumeSchema?: RS
  suspendSchema?: SS
  retries?: number
  execute: (args: StepExecuteArgs<z.output<IS>, z.output<RS>, z.input<SS>>) => Promise<z.input<OS>> | z.input<OS>
}

/**
 * Declares a workflow step.
 *
 * @example
 * const add = createStep({ id: 'add', inputSchema: z.object({ a: z.number(), b: z.number() }),
 *   outputSchema: z.object({ sum: z.number() }), execute: ({ inputData }) => ({ sum: inputData.a + inputData.b }) })
 */
export function createStep<
  TId extends string,
  IS extends z.ZodType,
  OS extends z.ZodType,
  RS extends z.ZodType = z.ZodUnknown,
  SS extends z.ZodType = z.ZodUnknown,
>(config: StepConfig<TId, IS, OS, RS, SS>): Step<TId, z.output<IS>, z.output<OS>, z.output<RS>, z.input<SS>> {
  const retries = config.retries ?? 0
  if (!Number.isInteger(retries) || retries < 0) {
    throw new TypeError(`Step ${config.id}: retries must be a non-negative integer, got ${config.retries}`)
  }
  const { execute } = config
  return {
    id: config.id,
    description: config.description,
    inputSchema: config.inputSchema as z.ZodType<z.output<IS>>,
    outputSchema: config.outputSchema as z.ZodType<z.output<OS>>,
    resumeSchema: config.resumeSchema,
    suspendSchema: config.suspendSchema,
    retries,
    execute: async (args) => execute(args),
  }
}

/** What the workflow engine needs of an agent; `Agent` has this shape. */
export interface AgentLike {
  readonly id: string
  readonly description?: string
  generate(args: { messages: string; context: RequestContext; signal: AbortSignal; onError?: ErrorReporter }): Promise<{ text: string }>
}

export function isAgentLike(value: unknown): value is AgentLike {
  if (value === null || typeof value !== 'object') return false
  const candidate = value as Record<string, unknown>
  return typeof candidate.id === 'string' && typeof candidate.generate === 'function' && typeof candidate.execute !== 'function'
}

export function isStep(value: unknown): value is Step {
  if (value === null || typeof value !== 'object') return false
  const candidate = value as Record<string, unknown>
  return typeof candidate.id === 'string' && typeof candidate.execute === 'function' && candidate.inputSchema !== undefined
}

const agentInput = z.object({ prompt: z.string() })
const agentOutput = z.object({ text: z.string() })

/**
 * An agent as a step: `{ prompt }` in, `{ text }` out, with the run's context and signal; what
 * fails without failing the call (a tool that throws) is reported with the run's ids.
 */
export function agentStep(agent: AgentLike): Step<string, { prompt: string }, { text: string }> {
  return createStep({
    id: agent.id,
    description: agent.description,
    inputSchema: agentInput,
    outputSchema: agentOutput,
    execute: async ({ inputData, context, signal, onError }) => {
      const { text } = await agent.generate({ messages: inputData.prompt, context, signal, onError })
      return { text }
    },
  })
}
