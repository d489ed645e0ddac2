import type { LanguageModel, ToolSet } from 'ai'
import { childOf, failSpan, SpanKind, startSpan, type Span, type TraceParent } from '../core/tracing.js'

/**
 * GenAI spans (OpenTelemetry semantic conventions) for agent runs: `invoke_agent <agent>` per run,
 * `chat <model>` per model call, `execute_tool <tool>` per tool call. Each helper takes the parent
 * explicitly, so the tree holds for streams that outlive the request handler.
 */

/** Token counts of one model call, from either provider specification's usage shape. */
export interface CallUsage {
  inputTokens?: number
  outputTokens?: number
  reasoningTokens?: number
  cachedInputTokens?: number
}

type Count = number | { total?: number } | undefined

function count(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  const total = (value as { total?: unknown } | undefined)?.total
  return typeof total === 'number' ? total : undefined
}

/** Usage as a provider reported it: v3 `{ inputTokens: { total, cacheRead }, outputTokens: { total, reasoning } }` or v2 numbers. */
export function callUsage(usage: unknown): CallUsage {
  if (!usage || typeof usage !== 'object') return {}
  const u = usage as { inputTokens?: Count; outputTokens?: Count; reasoningTokens?: number; cachedInputTokens?: number }
  const input = u.inputTokens as { cacheRead?: number } | number | undefined
  const output = u.outputTokens as { reasoning?: number } | number | undefined
  return {
    inputTokens: count(u.inputTokens),
    outputTokens: count(u.outputTokens),
    reasoningTokens: typeof output === 'object' ? output.reasoning : u.reasoningTokens,
    cachedInputTokens: typeof input === 'object' ? input.cacheRead : u.cachedInputTokens,
  }
}

function finishReason(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  const unified = (value as { unified?: unknown } | undefined)?.unified
  return typeof unified === 'string' ? unified : undefined
}

/** `openai.chat` → `openai`: the provider part of an AI SDK model's provider id. */
export function providerName(provider: string): string {
  const dot = provider.indexOf('.')
  return dot === -1 ? provider : provider.slice(0, dot)
}

function setUsage(span: Span, usage: CallUsage): void {
  if (usage.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', usage.inputTokens)
  if (usage.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', usage.outputTokens)
  if (usage.reasoningTokens !== undefined) span.setAttribute('gen_ai.usage.reasoning.output_tokens', usage.reasoningTokens)
  if (usage.cachedInputTokens !== undefined) span.setAttribute('gen_ai.usage.cache_read.input_tokens', usage.cachedInputTokens)
}

/** Starts the run's `invoke_agent` span under `parent` (default: the active context). */
export function startAgentSpan(
  agent: { id: string; name: string },
  run: { runId: string; threadId?: string; resourceId?: string },
  parent?: TraceParent,
): Span | undefined {
  const attributes: Record<string, string> = {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.id': agent.id,
    'gen_ai.agent.name': agent.name,
    'agentmount.run.id': run.runId,
  }
  if (run.threadId) attributes['gen_ai.conversation.id'] = run.threadId
  if (run.resourceId) attributes['agentmount.resource.id'] = run.resourceId
  return startSpan(`invoke_agent ${agent.name}`, { kind: SpanKind.INTERNAL, attributes, parent })
}

/** Ends the run's span with its totals and finish reason, or as failed. */
export function endAgentSpan(span: Span | undefined, outcome: { usage?: CallUsage; finishReason?: string; error?: unknown }): void {
  if (!span) return
  if (outcome.usage) setUsage(span, outcome.usage)
  if (outcome.finishReason) span.setAttribute('gen_ai.response.finish_reasons', [outcome.finishReason])
  if (outcome.error !== undefined) failSpan(span, outcome.error)
  else span.end()
}

interface ModelCalls {
  specificationVersion: string
  provider: string
  modelId: string
  doGenerate(options: unknown): PromiseLike<{ usage?: unknown; finishReason?: unknown; response?: { modelId?: string } }>
  doStream(options: unknown): PromiseLike<{ stream: ReadableStream<{ type: string; [key: string]: unknown }> }>
}

/**
 * The model with a `chat <model>` client span around each call, children of `parent`. Model ids
 * given as strings (resolved by the AI SDK's gateway) are left as they are.
 */
export function traceModel(model: LanguageModel, parent: TraceParent | undefined, recordContent: boolean): LanguageModel {
  if (!parent || typeof model !== 'object' || model === null) return model
  const inner = model as unknown as ModelCalls
  const start = (options: unknown) => {
    const attributes: Record<string, string> = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': providerName(inner.provider),
      'gen_ai.request.model': inner.modelId,
    }
    if (recordContent) attributes['gen_ai.input.messages'] = JSON.stringify((options as { prompt?: unknown }).prompt ?? null)
    return startSpan(`chat ${inner.modelId}`, { kind: SpanKind.CLIENT, attributes, parent })
  }
  const traced: ModelCalls = {
    specificationVersion: inner.specificationVersion,
    provider: inner.provider,
    modelId: inner.modelId,
    doGenerate: async (options) => {
      const span = start(options)
      try {
        const result = await inner.doGenerate(options)
        if (span) {
          span.setAttribute('gen_ai.response.model', result.response?.modelId ?? inner.modelId)
          setUsage(span, callUsage(result.usage))
          const reason = finishReason(result.finishReason)
          if (reason) span.setAttribute('gen_ai.response.finish_reasons', [reason])
          if (recordContent) span.setAttribute('gen_ai.output.messages', JSON.stringify((result as { content?: unknown }).content ?? null))
          span.end()
        }
        return result
      } catch (err) {
        failSpan(span, err)
        throw err
      }
    },
    doStream: async (options) => {
      const span = start(options)
      let result
      try {
        result = await inner.doStream(options)
      } catch (err) {
        failSpan(span, err)
        throw err
      }
      if (!span) return result
      let responseModel = inner.modelId
      let text = ''
      let ended = false
      const end = (err?: unknown) => {
        if (ended) return
        ended = true
        span.setAttribute('gen_ai.response.model', responseModel)
        if (recordContent) span.setAttribute('gen_ai.output.messages', JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: text }] }]))
        if (err !== undefined) failSpan(span, err)
        else span.end()
      }
      const observe = (part: { type: string; [key: string]: unknown }) => {
        if (part.type === 'response-metadata' && typeof part.modelId === 'string') responseModel = part.modelId
        else if (part.type === 'text-delta' && recordContent) text += String(part.delta ?? part.textDelta ?? '')
        else if (part.type === 'finish') {
          setUsage(span, callUsage(part.usage))
          const reason = finishReason(part.finishReason)
          if (reason) span.setAttribute('gen_ai.response.finish_reasons', [reason])
        } else if (part.type === 'error') end(part.error)
      }
      const reader = result.stream.getReader()
      // Pulled part by part, so the span ends with the last part, on an error, or when the reader cancels.
      const stream = new ReadableStream<{ type: string; [key: string]: unknown }>({
        async pull(controller) {
          let next
          try {
            next = await reader.read()
          } catch (err) {
            end(err)
            controller.error(err)
            return
          }
          if (next.done) {
            end()
            controller.close()
          } else {
            observe(next.value)
            controller.enqueue(next.value)
          }
        },
        cancel(reason) {
          end(reason ?? new Error('The model stream was canceled'))
          return reader.cancel(reason)
        },
      })
      return { ...result, stream }
    },
  }
  Object.defineProperty(traced, 'supportedUrls', { get: () => (model as { supportedUrls?: unknown }).supportedUrls, enumerable: true })
  return traced as unknown as LanguageModel
}

/** The tool set with an `execute_tool <tool>` span around each execution, children of `parent`. */
export function traceTools(tools: ToolSet | undefined, parent: TraceParent | undefined): ToolSet | undefined {
  if (!tools || !parent) return tools
  const traced: ToolSet = {}
  for (const name of Object.keys(tools)) {
    const tool = tools[name] as { execute?: (input: unknown, options: { toolCallId?: string }) => unknown; description?: string }
    const execute = tool.execute
    if (!execute) {
      traced[name] = tools[name]
      continue
    }
    traced[name] = {
      ...tools[name],
      execute: async (input: unknown, options: { toolCallId?: string }) => {
        const attributes: Record<string, string> = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name }
        if (options?.toolCallId) attributes['gen_ai.tool.call.id'] = options.toolCallId
        if (tool.description) attributes['gen_ai.tool.description'] = tool.description
        const span = startSpan(`execute_tool ${name}`, { kind: SpanKind.INTERNAL, attributes, parent })
        try {
          const output = await execute.call(tool, input, options)
          span?.end()
          return output
        } catch (err) {
          failSpan(span, err)
          throw err
        }
      },
    } as ToolSet[string]
  }
  return traced
}

/** The parent for a run's model calls and tools: the run's span, else nothing to trace. */
export function runParent(span: Span | undefined): TraceParent | undefined {
  return span ? childOf(span) : undefined
}
