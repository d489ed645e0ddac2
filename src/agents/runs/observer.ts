import type { LanguageModel, ToolSet } from 'ai'
import type { AgentRunRecord, AgentRunUsage, ModelPrice, RunCost } from '../../storage/agent-runs.js'
import { endAgentSpan, runParent, startAgentSpan, traceModel, traceTools } from '../tracing.js'
import type { Span } from '../../core/tracing.js'
import type { WorkflowRunFinish } from '../../workflows/run-finish.js'

/**
 * How runs are priced: a table keyed by `provider/modelId` or by `modelId` alone, or a
 * function of the model and the run's usage (undefined: not priced).
 */
export type Pricing =
  | Record<string, ModelPrice>
  | ((args: { model: { provider: string; modelId: string }; usage: AgentRunUsage }) => { amount: number; currency?: string } | undefined)

/**
 * What `onRunFinish` receives: an agent run's final record (`kind` `'generate'`, `'stream'` or
 * `'chat'`), or a workflow run's end (`kind: 'workflow'`).
 */
export type FinishedRun = AgentRunRecord | WorkflowRunFinish

/** Observability options of a runtime. */
export interface RunObservability {
  /** Records prompts and completions on model spans (`gen_ai.input.messages`, `gen_ai.output.messages`); default false. */
  recordContent?: boolean
  /** Prices each run from its usage; the price used is stored with the run. */
  pricing?: Pricing
  /**
   * Called exactly once per agent or workflow run, when it is final (an agent run's usage and
   * cost included): after success, failure, cancel or a recovered crash, by the instance that
   * stored its end. A suspended run is not final yet. Errors it throws are reported.
   */
  onRunFinish?: (run: FinishedRun) => void | Promise<void>
}

const MILLION = 1_000_000

/** The run's estimated cost under `pricing`, with the price used; null when nothing prices the model. */
export function priceRun(pricing: Pricing | undefined, record: Pick<AgentRunRecord, 'model' | 'usage'>): RunCost | null {
  if (!pricing || !record.model) return null
  const { model, usage } = record
  if (typeof pricing === 'function') {
    const priced = pricing({ model, usage })
    if (!priced || !Number.isFinite(priced.amount)) return null
    return { amount: priced.amount, currency: priced.currency ?? 'USD', source: 'function' }
  }
  const key = `${providerKey(model.provider)}/${model.modelId}`
  const price = pricing[key] ?? pricing[model.modelId]
  if (!price) return null
  const input = usage.inputTokens ?? 0
  const cached = Math.min(usage.cachedInputTokens ?? 0, input)
  const output = usage.outputTokens ?? 0
  const reasoning = price.reasoningPerMillion === undefined ? 0 : Math.min(usage.reasoningTokens ?? 0, output)
  const amount =
    ((input - cached) * price.inputPerMillion +
      cached * (price.cachedInputPerMillion ?? price.inputPerMillion) +
      (output - reasoning) * price.outputPerMillion +
      reasoning * (price.reasoningPerMillion ?? 0)) /
    MILLION
  return { amount, currency: price.currency ?? 'USD', source: pricing[key] ? key : model.modelId, price }
}

function providerKey(provider: string): string {
  const dot = provider.indexOf('.')
  return dot === -1 ? provider : provider.slice(0, dot)
}

/** `priceRun`, with what an app's pricing function throws reported and the run left unpriced. */
export function priceOrReport(pricing: Pricing | undefined, record: Pick<AgentRunRecord, 'model' | 'usage'>, report: (err: unknown) => void): RunCost | null {
  try {
    return priceRun(pricing, record)
  } catch (err) {
    report(err)
    return null
  }
}

/** Hands a finished run's final record to `onRunFinish`; what it throws or rejects with goes to `report`. */
export function announceRunFinish(options: RunObservability, record: FinishedRun, report: (err: unknown) => void): void {
  const hook = options.onRunFinish
  if (!hook) return
  try {
    Promise.resolve(hook(structuredClone(record))).catch(report)
  } catch (err) {
    report(err)
  }
}

/**
 * What one activation of a run reports beyond its record: its `invoke_agent` span (with the
 * model and tool spans under it), the time to its first output, and its cost and finish hook.
 */
export class RunTelemetry {
  readonly #options: RunObservability
  readonly #span: Span | undefined
  readonly #startedAt = Date.now()
  firstOutputMs: number | undefined

  constructor(record: AgentRunRecord, options: RunObservability) {
    this.#options = options
    this.#span = startAgentSpan(
      { id: record.agentId, name: record.agentId },
      { runId: record.runId, threadId: record.threadId ?? undefined, resourceId: record.resourceId ?? undefined },
    )
  }

  /** The model and tools of one model call, traced under this run. */
  traced(model: LanguageModel, tools: ToolSet | undefined): { model: LanguageModel; tools: ToolSet | undefined } {
    const parent = runParent(this.#span)
    if (!parent) return { model, tools }
    return { model: traceModel(model, parent, this.#options.recordContent === true), tools: traceTools(tools, parent) }
  }

  /** Notes the first text (or reasoning) output of the run. */
  observe(data: unknown): void {
    if (this.firstOutputMs !== undefined) return
    const type = (data as { type?: unknown } | null)?.type
    if (type === 'text-delta' || type === 'reasoning-delta') this.firstOutputMs = Date.now() - this.#startedAt
  }

  /** The cost of the run as it stands. */
  price(record: AgentRunRecord, report: (err: unknown) => void): RunCost | null {
    return priceOrReport(this.#options.pricing, record, report)
  }

  /** Ends the span with the run's totals. */
  end(record: AgentRunRecord): void {
    const error = record.status === 'failed' ? new Error(record.error?.message ?? 'The agent run failed') : undefined
    if (record.status !== 'failed') this.#span?.setAttribute('agentmount.run.status', record.status)
    if (record.cost) this.#span?.setAttribute('agentmount.run.cost', record.cost.amount)
    endAgentSpan(this.#span, { usage: record.usage, finishReason: record.finishReason ?? undefined, error })
  }

  /** Hands the final record to `onRunFinish`, once per finished run. */
  announce(record: AgentRunRecord, report: (err: unknown) => void): void {
    announceRunFinish(this.#options, record, report)
  }
}
