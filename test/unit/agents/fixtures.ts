import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart, LanguageModelV3Usage } from '@ai-sdk/provider'
import { simulateReadableStream, type ToolSet, type UIMessage } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { z } from 'zod'
import { createTool } from '../../../src/agents/tool.js'
import type { Memory } from '../../../src/memory/memory.js'

export const usage: LanguageModelV3Usage = {
  inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 4, text: 4, reasoning: 0 },
}

export const stop = { unified: 'stop', raw: 'stop' } as const
export const toolCalls = { unified: 'tool-calls', raw: 'tool_calls' } as const

/** Stream parts of one step that answers with `words` as text deltas. */
export function textParts(words: string[], id = 'r1'): LanguageModelV3StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id, modelId: 'mock-model-id', timestamp: new Date(0) },
    { type: 'text-start', id: 't1' },
    ...words.map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't1', delta })),
    { type: 'text-end', id: 't1' },
    { type: 'finish', finishReason: stop, usage },
  ]
}

/** Stream parts of one step that calls `toolName` with `input`. */
export function toolCallParts(toolName: string, input: unknown, toolCallId = 'call-1'): LanguageModelV3StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'r0', modelId: 'mock-model-id', timestamp: new Date(0) },
    { type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) },
    { type: 'finish', finishReason: toolCalls, usage },
  ]
}

function stream(parts: LanguageModelV3StreamPart[]) {
  return { stream: simulateReadableStream({ chunks: parts, initialDelayInMs: null, chunkDelayInMs: null }) }
}

/** A streaming mock that answers each step with the next list of parts. */
export function streamingModel(...steps: LanguageModelV3StreamPart[][]): MockLanguageModelV3 {
  return new MockLanguageModelV3({ doStream: steps.map(stream) })
}

/** A generate mock: first a tool call (when given), then a text answer. */
export function generatingModel(text: string, call?: { toolName: string; input: unknown }): MockLanguageModelV3 {
  const answer = {
    content: [{ type: 'text' as const, text }],
    finishReason: stop,
    usage,
    response: { id: 'resp-1', modelId: 'mock-model-id', timestamp: new Date(0) },
    warnings: [],
  }
  if (!call) return new MockLanguageModelV3({ doGenerate: answer })
  const toolStep = {
    ...answer,
    content: [{ type: 'tool-call' as const, toolCallId: 'call-1', toolName: call.toolName, input: JSON.stringify(call.input) }],
    finishReason: toolCalls,
  }
  return new MockLanguageModelV3({ doGenerate: [toolStep, answer] })
}

/**
 * A model that sends one word and then hangs until its abort signal fires, keeping the signal
 * so a test can see that an abort reached it. With `afterRelease`, `seen.release()` lets it go
 * on, unless aborted by then: `'finish'` ends its answer, `'more'` sends one more word and hangs
 * again (a generation still under way).
 */
export function hangingModel(afterRelease?: 'finish' | 'more') {
  const seen: { signal?: AbortSignal; release: () => void } = { release: () => {} }
  const gate = new Promise<void>((resolve) => (seen.release = resolve))
  const model = new MockLanguageModelV3({
    doStream: async (options: LanguageModelV3CallOptions) => {
      seen.signal = options.abortSignal
      return {
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          async start(controller) {
            controller.enqueue({ type: 'stream-start', warnings: [] })
            controller.enqueue({ type: 'text-start', id: 't1' })
            controller.enqueue({ type: 'text-delta', id: 't1', delta: 'partial ' })
            options.abortSignal?.addEventListener('abort', () => controller.error(options.abortSignal!.reason), { once: true })
            if (!afterRelease) return
            await gate
            if (options.abortSignal?.aborted) return
            if (afterRelease === 'more') return controller.enqueue({ type: 'text-delta', id: 't1', delta: 'more ' })
            controller.enqueue({ type: 'text-delta', id: 't1', delta: 'answer' })
            controller.enqueue({ type: 'text-end', id: 't1' })
            controller.enqueue({ type: 'finish', finishReason: stop, usage })
            controller.close()
          },
        }),
      }
    },
  })
  return { model, seen }
}

/** A tool that refunds an order only once a person approved the call. */
export const refundTool = createTool({
  id: 'refund',
  description: 'Refund an order',
  inputSchema: z.object({ orderId: z.string() }),
  requireApproval: true,
  execute: async ({ orderId }) => ({ refunded: orderId }),
})

/** The text of every user/system message the model was prompted with, in order. */
export function promptTexts(options: LanguageModelV3CallOptions): string[] {
  return options.prompt.map((message) =>
    typeof message.content === 'string'
      ? `${message.role}: ${message.content}`
      : `${message.role}: ${message.content.map((part) => ('text' in part ? part.text : part.type)).join('')}`,
  )
}

export interface FakeMemoryLog {
  opened: Array<{ threadId: string; resourceId: string; context: unknown }>
  inputs: UIMessage[][]
  replies: Array<{ message: UIMessage; aborted: boolean }>
}

/** A memory that serves a fixed history and records what the agent saves: our side of the contract. */
export function fakeMemory(options: { history?: UIMessage[]; system?: string; tools?: ToolSet } = {}) {
  const log: FakeMemoryLog = { opened: [], inputs: [], replies: [] }
  const memory = {
    async openTurn(args: { threadId: string; resourceId: string; context: unknown }) {
      log.opened.push(args)
      return {
        history: options.history ?? [],
        system: options.system,
        tools: options.tools ?? {},
        async saveInput(messages: UIMessage[]) {
          log.inputs.push(messages)
        },
        async saveReply(message: UIMessage, opts?: { aborted?: boolean }) {
          log.replies.push({ message: structuredClone(message), aborted: opts?.aborted === true })
        },
      }
    },
  }
  return { memory: memory as unknown as Memory, log }
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

/** The JSON frames of an SSE text stream, plus `[DONE]` as a string. */
export async function readSse(stream: ReadableStream<string>): Promise<unknown[]> {
  let text = ''
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    text += value
  }
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice(6))
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)))
}
