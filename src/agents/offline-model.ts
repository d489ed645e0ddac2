import type { LanguageModel } from 'ai'
import { ABORTED, sleep } from '../core/abort.js'

type LanguageModelV3 = Extract<LanguageModel, { specificationVersion: 'v3' }>
type CallOptions = Parameters<LanguageModelV3['doGenerate']>[0]
type GenerateResult = Awaited<ReturnType<LanguageModelV3['doGenerate']>>
type StreamResult = Awaited<ReturnType<LanguageModelV3['doStream']>>
type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never

export interface OfflineEchoModelOptions {
  /** Pause between streamed words, so a demo visibly streams (default 0). */
  wordDelayMs?: number
}

function lastUserText(options: CallOptions): string {
  for (let i = options.prompt.length - 1; i >= 0; i--) {
    const message = options.prompt[i]
    if (message.role !== 'user') continue
    const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join(' ').trim()
    if (text) return text
  }
  return ''
}

function replyText(options: CallOptions): string {
  const said = lastUserText(options)
  const quoted = said.length > 200 ? `${said.slice(0, 200)}…` : said
  if (options.responseFormat?.type === 'json') return JSON.stringify({ echo: quoted })
  return quoted
    ? `You said: "${quoted}". I am the offline demo model; set OPENAI_API_KEY to talk to a real one.`
    : 'I am the offline demo model; set OPENAI_API_KEY to talk to a real one.'
}

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? []
}

function usage(options: CallOptions, output: number) {
  const input = words(lastUserText(options)).length
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  }
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError')
}

/** Waits `ms`, or rejects as soon as the signal aborts; leaves no timer or listener behind. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if ((await sleep(ms, signal)) === ABORTED) throw abortError(signal!)
}

/**
 * A language model that needs no network or key: it answers by quoting the last user message,
 * streaming word by word. The demo falls back to it so every example runs offline.
 */
export class OfflineEchoModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3'
  readonly provider = 'agentmount'
  readonly modelId = 'offline-echo'
  readonly supportedUrls = {}
  readonly #wordDelayMs: number

  constructor(options: OfflineEchoModelOptions = {}) {
    this.#wordDelayMs = options.wordDelayMs ?? 0
  }

  async doGenerate(options: CallOptions): Promise<GenerateResult> {
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal)
    const text = replyText(options)
    return {
      content: [{ type: 'text', text }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: usage(options, words(text).length),
      response: { id: `offline-${Date.now()}`, modelId: this.modelId, timestamp: new Date() },
      warnings: [],
    }
  }

  async doStream(options: CallOptions): Promise<StreamResult> {
    const tokens = words(replyText(options))
    const parts: StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'response-metadata', id: `offline-${Date.now()}`, modelId: this.modelId, timestamp: new Date() },
      { type: 'text-start', id: 'text-0' },
      ...tokens.map((delta): StreamPart => ({ type: 'text-delta', id: 'text-0', delta })),
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(options, tokens.length) },
    ]
    const signal = options.abortSignal
    const delay = this.#wordDelayMs
    let next = 0
    const stream = new ReadableStream<StreamPart>({
      async pull(controller) {
        const part = parts[next++]
        if (delay > 0 && part.type === 'text-delta') await pause(delay, signal)
        else if (signal?.aborted) throw abortError(signal)
        controller.enqueue(part)
        if (next === parts.length) controller.close()
      },
    })
    return { stream }
  }
}
