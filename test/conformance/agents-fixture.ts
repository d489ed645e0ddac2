import type { LanguageModelV3CallOptions, LanguageModelV3Content, LanguageModelV3Message, LanguageModelV3StreamPart } from '@ai-sdk/provider'
import {
  AbstractChat,
  APICallError,
  DefaultChatTransport,
  lastAssistantMessageIsCompleteWithApprovalResponses,
  readUIMessageStream,
  tool,
  type ChatState,
  type ChatStatus,
  type UIMessage,
  type UIMessageChunk,
} from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { z } from 'zod'
import { Agent } from '../../src/agents/agent.js'
import { createTool } from '../../src/agents/tool.js'
import { HttpError, ToolError } from '../../src/core/errors.js'
import type { FailureInfo } from '../../src/core/report.js'
import type { MountOptions } from '../../src/http/dispatch.js'
import type { NeutralRequest } from '../../src/http/route.js'
import { Memory } from '../../src/memory/memory.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import { openTestStore } from '../harness/stores.js'
import { hostUser, PREFIX, type HostFactory, type TestHost, ALICE, BOB } from '../harness/hosts.js'
import { call, rawRequest, type JsonResponse } from '../harness/http.js'

export { ALICE, BOB }

/** What a leaked upstream error would show; no response may ever contain it. */
export const SECRET = 'sk-live-secret'

const usage = { inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 4, text: 4, reasoning: 0 } }
const stop = { unified: 'stop', raw: 'stop' } as const
const toolCalls = { unified: 'tool-calls', raw: 'tool_calls' } as const
const metadata = { id: 'resp-1', modelId: 'mock-model-id', timestamp: new Date(0) }

type Turn =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; toolCallId: string; city: string; tool?: string; input?: Record<string, unknown> }
  | { kind: 'fail' | 'denied' | 'hang' | 'hold' }

/** What a held reply says: its first part before the test releases it, the rest after. */
export const HELD = { before: 'held for now ', after: 'and released at last' }

function textOf(message: LanguageModelV3Message | undefined): string {
  if (!message || message.role === 'system') return message?.content ?? ''
  return message.content.map((part) => (part.type === 'text' ? part.text : '')).join('')
}

/** A tool's output as the model sees it; a failed tool shows only its output type. */
function toolOutputOf(message: LanguageModelV3Message): string {
  const part = message.content[0]
  if (typeof part !== 'object' || part.type !== 'tool-result') return ''
  return part.output.type === 'json' || part.output.type === 'text' ? JSON.stringify(part.output.value) : `[${part.output.type}]`
}

/** The prompt as `role: text` lines, tool traffic shown as `[call name]` / `[result name]`. */
export function promptLines(options: LanguageModelV3CallOptions): string[] {
  return options.prompt.map((message) => {
    if (message.role === 'system') return `system: ${message.content}`
    const parts = message.content.map((part) =>
      part.type === 'text' ? part.text : part.type === 'tool-call' || part.type === 'tool-result' ? `[${part.type.slice(5)} ${part.toolName}]` : `[${part.type}]`,
    )
    return `${message.role}: ${parts.join('')}`
  })
}

export function systemPrompt(options: LanguageModelV3CallOptions): string | undefined {
  const system = options.prompt.find((message) => message.role === 'system')
  return system ? textOf(system) : undefined
}

const upstreamFailure = () => new Error(`upstream exploded with key ${SECRET} at /srv/llm/client.ts:42`)

const deniedFailure = () =>
  new APICallError({
    message: `Incorrect API key ${SECRET}`,
    url: 'https://llm.internal.example/v1/chat',
    requestBodyValues: {},
    statusCode: 401,
    responseBody: `{"error":"Incorrect API key ${SECRET}"}`,
    isRetryable: false,
  })

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? []
}

function toolCallPart(turn: Extract<Turn, { kind: 'tool' }>) {
  const input = JSON.stringify(turn.input ?? { city: turn.city })
  return { type: 'tool-call', toolCallId: turn.toolCallId, toolName: turn.tool ?? 'weather', input } as const
}

function streamParts(turn: Turn): LanguageModelV3StreamPart[] {
  const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }, { type: 'response-metadata', ...metadata }]
  if (turn.kind === 'tool') return [...parts, toolCallPart(turn), { type: 'finish', finishReason: toolCalls, usage }]
  if (turn.kind === 'hold') {
    parts.push({ type: 'text-start', id: 't1' })
    for (const delta of words(HELD.before)) parts.push({ type: 'text-delta', id: 't1', delta })
    return parts
  }
  parts.push({ type: 'text-start', id: 't1' })
  for (const delta of words(turn.kind === 'text' ? turn.text : 'partial ')) parts.push({ type: 'text-delta', id: 't1', delta })
  if (turn.kind === 'fail') return [...parts, { type: 'error', error: upstreamFailure() }]
  if (turn.kind === 'hang') return parts
  return [...parts, { type: 'text-end', id: 't1' }, { type: 'finish', finishReason: stop, usage }]
}

/**
 * A mock model; `hung` holds the abort signal of every call it was told to hang on, `held`
 * counts the calls waiting for `release()`.
 */
export type ScriptedModel = MockLanguageModelV3 & { hung: AbortSignal[]; held: () => number; release: () => void }

/**
 * A mock model scripted by the last user message, so one model serves a whole suite:
 * "weather" calls the weather tool (for Atlantis when the message names it, else Oslo) and
 * then answers "Tool said: <output>"; "refund" calls the refund tool for order A-1 (order "free"
 * when the message says free); "explode" fails (mid-stream when streaming); "denied" is a provider 401; "hang"
 * sends "partial " and waits for its abort signal; "hold" streams `HELD.before`, waits for
 * `release()`, then streams `HELD.after`; a JSON response format gets a JSON object; anything
 * else is echoed as "Echo: <text>".
 */
export function scriptedModel(): ScriptedModel {
  const hung: AbortSignal[] = []
  let waiting: Array<() => void> = []
  let calls = 0
  const plan = (options: LanguageModelV3CallOptions): Turn => {
    calls++
    const last = options.prompt.at(-1)
    if (last?.role === 'tool') return { kind: 'text', text: `Tool said: ${toolOutputOf(last)}` }
    const said = last?.role === 'user' ? textOf(last) : ''
    if (said.includes('explode')) return { kind: 'fail' }
    if (said.includes('denied')) return { kind: 'denied' }
    if (said.includes('hang')) return { kind: 'hang' }
    if (said.includes('hold')) return { kind: 'hold' }
    if (said.includes('refund') && options.tools?.some((t) => t.name === 'refund')) {
      return { kind: 'tool', toolCallId: `call-${calls}`, city: '', tool: 'refund', input: { orderId: said.includes('free') ? 'free' : 'A-1' } }
    }
    if (said.includes('weather') && options.tools?.some((t) => t.name === 'weather')) {
      return { kind: 'tool', toolCallId: `call-${calls}`, city: FAILING_CITIES.find((city) => said.includes(city)) ?? 'Oslo' }
    }
    if (options.responseFormat?.type === 'json') return { kind: 'text', text: JSON.stringify({ city: 'Oslo', temp: 21 }) }
    return { kind: 'text', text: `Echo: ${said}` }
  }
  const model = new MockLanguageModelV3({
    doGenerate: async (options) => {
      const turn = plan(options)
      if (turn.kind === 'fail') throw upstreamFailure()
      if (turn.kind === 'denied') throw deniedFailure()
      const signal = options.abortSignal!
      if (turn.kind === 'hang') {
        hung.push(signal)
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
      }
      if (turn.kind === 'hold') {
        await new Promise<void>((resolve, reject) => {
          waiting.push(resolve)
          options.abortSignal?.addEventListener('abort', () => {
            waiting = waiting.filter((r) => r !== resolve)
            reject(options.abortSignal!.reason)
          }, { once: true })
        })
      }
      const content: LanguageModelV3Content[] =
        turn.kind === 'tool'
          ? [toolCallPart(turn)]
          : [{ type: 'text', text: turn.kind === 'hold' ? HELD.before + HELD.after : (turn as { text: string }).text }]
      return { content, finishReason: turn.kind === 'tool' ? toolCalls : stop, usage, response: metadata, warnings: [] }
    },
    doStream: async (options) => {
      const turn = plan(options)
      if (turn.kind === 'denied') throw deniedFailure()
      const signal = options.abortSignal!
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        start(controller) {
          for (const part of streamParts(turn)) controller.enqueue(part)
          if (turn.kind === 'hold') {
            const resume = () => {
              for (const delta of words(HELD.after)) controller.enqueue({ type: 'text-delta', id: 't1', delta })
              controller.enqueue({ type: 'text-end', id: 't1' })
              controller.enqueue({ type: 'finish', finishReason: stop, usage })
              controller.close()
            }
            waiting.push(resume)
            signal.addEventListener('abort', () => {
              waiting = waiting.filter((r) => r !== resume)
              controller.error(signal.reason)
            }, { once: true })
            return
          }
          if (turn.kind !== 'hang') return controller.close()
          hung.push(signal)
          signal.addEventListener('abort', () => controller.error(signal.reason), { once: true })
        },
      })
      return { stream }
    },
  })
  const release = () => {
    const now = waiting
    waiting = []
    for (const resume of now) resume()
  }
  return Object.assign(model, { hung, held: () => waiting.length, release })
}

/** Cities the weather tool fails for, each its own way; the scripted model asks for the one a message names. */
const FAILING_CITIES = ['Atlantis', 'Lemuria', 'Thule', 'Hyperborea']

/**
 * Weather for a city, stamped with the tenant the host's auth middleware put in the context.
 * Atlantis: a plain Error carrying a secret. Lemuria: a ToolError, safe to show. Thule: a 404
 * HttpError, safe to show. Hyperborea: a 500 HttpError, which is not.
 */
export const weather = createTool({
  id: 'weather',
  description: 'Current weather for a city',
  inputSchema: z.object({ city: z.string().min(1) }),
  execute: async ({ city }, { context }) => {
    if (city === 'Atlantis') throw new Error(`weather backend refused key ${SECRET}`)
    if (city === 'Lemuria') throw new ToolError('No weather station in Lemuria')
    if (city === 'Thule') throw new HttpError(404, 'NOT_FOUND', 'City Thule not found')
    if (city === 'Hyperborea') throw new HttpError(500, 'INTERNAL', `weather cache down, key ${SECRET}`)
    return { city, temp: 21, tenant: (context.tenant as string | undefined) ?? null }
  },
})

export const clock = createTool({
  id: 'clock',
  description: 'The time in a zone',
  inputSchema: z.object({ zone: z.enum(['UTC', 'CET']) }),
  execute: async ({ zone }) => ({ zone, time: '12:00' }),
})

/** A refund tool that waits for a person's approval; `refunds` lists the orders it really refunded. */
function refundTools(refunds: string[]) {
  const inputSchema = z.object({ orderId: z.string().min(1) })
  return {
    /** Ours, `createTool({ requireApproval })`. */
    kit: createTool({
      id: 'refund',
      description: 'Refunds an order',
      inputSchema,
      requireApproval: true,
      execute: async ({ orderId }) => {
        refunds.push(orderId)
        return { refunded: orderId }
      },
    }),
    /** The AI SDK's own `tool({ needsApproval })`, deciding per input. */
    sdk: tool({
      description: 'Refunds an order',
      inputSchema,
      needsApproval: async ({ orderId }) => orderId !== 'free',
      execute: async ({ orderId }) => {
        refunds.push(orderId)
        return { refunded: orderId }
      },
    }),
  }
}

/** One call of the mount's `onError`. */
export interface Report {
  err: unknown
  req: NeutralRequest | undefined
  info: FailureInfo
}

/**
 * The mount options of a real app: identity and tenant from the host's own auth middleware.
 * `onError` calls land in `unexpected` (the error) and `reports` (the whole call).
 */
export function agentMountOptions(unexpected: unknown[], reports: Report[] = []): MountOptions {
  return {
    auth: { authenticate: (req) => hostUser(req.host) ?? null, resourceId: (principal) => principal.id },
    context: (req) => ({ tenant: hostUser(req.host)?.tenant }),
    onError: (err, req, info) => {
      unexpected.push(err)
      reports.push({ err, req, info })
    },
  }
}

/** A signed-in caller of one mounted app. */
export interface AgentClient {
  get(path: string): Promise<JsonResponse>
  post(path: string, json?: unknown): Promise<JsonResponse>
}

export interface AgentApp {
  runtime: Runtime
  host: TestHost
  models: { support: ScriptedModel; guide: ScriptedModel; quiet: ScriptedModel; ops: ScriptedModel }
  /** Orders the refund tools really refunded, in order. */
  refunds: string[]
  /** Errors that reached `onError`; a passing test leaves this empty unless it asserts otherwise. */
  unexpected: unknown[]
  /** The same `onError` calls with their request and info. */
  reports: Report[]
  url(path: string): string
  as(token?: string): AgentClient
  close(): Promise<void>
}

/**
 * Agents: `support` (per-tenant instructions, the weather tool, a refund tool that needs
 * approval, memory), `guide` (instructions exposed in listings), `quiet` (instructions kept
 * private) and `ops` (an AI SDK refund tool with `needsApproval`, no memory). The runtime adds `clock`.
 */
export async function startAgentApp(
  factory: HostFactory,
  options: { parser?: boolean; mount?: Partial<MountOptions>; store?: string } = {},
): Promise<AgentApp> {
  const store = openTestStore(options.store)
  const models = { support: scriptedModel(), guide: scriptedModel(), quiet: scriptedModel(), ops: scriptedModel() }
  const refunds: string[] = []
  const refund = refundTools(refunds)
  const runtime = createRuntime({
    store,
    tools: { clock },
    agents: {
      support: new Agent({
        id: 'support', name: 'Support', description: 'Answers customers', model: models.support, tools: { weather, refund: refund.kit }, memory: new Memory(),
        instructions: ({ context }) => `You help the customers of ${context.tenant}.`,
      }),
      guide: new Agent({ id: 'guide', name: 'Guide', instructions: 'Be brief.', exposeInstructions: true, model: models.guide }),
      quiet: new Agent({ id: 'quiet', instructions: 'Private prompt.', model: models.quiet }),
      ops: new Agent({ id: 'ops', instructions: 'Refund orders.', model: models.ops, tools: { refund: refund.sdk } }),
    },
  })
  const unexpected: unknown[] = []
  const reports: Report[] = []
  const host = await factory.create({ runtime, mount: { ...agentMountOptions(unexpected, reports), ...options.mount }, parser: options.parser ?? false })
  const url = (path: string) => `${host.url}${PREFIX}${path}`
  return {
    runtime, host, models, refunds, unexpected, reports, url,
    as: (token) => ({
      get: (path) => call(url(path), { token }),
      post: (path, json) => call(url(path), { method: 'POST', token, json }),
    }),
    async close() {
      await host.close()
      // As an app shuts down: the runtime lets the runs that just answered their callers be stored, then closes the store.
      await runtime.close()
    },
  }
}

export function userMessage(id: string, text: string): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] }
}

/** A streaming response read as it arrives, for hanging up part-way. */
export interface OpenStream {
  status: number
  /** Resolves with all text so far once it contains `marker`. */
  until(marker: string): Promise<string>
  /** Hangs up, as a closed browser tab does. */
  disconnect(): void
}

/** Posts `json` with a raw Node request so the test can hang up mid-stream. */
export async function openStream(url: string, json: unknown, token = ALICE): Promise<OpenStream> {
  const { req, response } = rawRequest(url, { headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } })
  req.on('error', () => {})
  req.end(JSON.stringify(json))
  const res = await response
  res.setEncoding('utf8')
  let seen = ''
  const waiters: Array<() => void> = []
  const wakeAll = () => waiters.splice(0).forEach((wake) => wake())
  res.on('data', (chunk: string) => {
    seen += chunk
    wakeAll()
  })
  res.on('end', wakeAll)
  res.on('error', () => {})
  return {
    status: res.statusCode ?? 0,
    async until(marker) {
      while (!seen.includes(marker)) {
        if (res.readableEnded) throw new Error(`stream ended without ${marker}: ${seen}`)
        await new Promise<void>((wake) => waiters.push(wake))
      }
      return seen
    },
    disconnect: () => req.destroy(),
  }
}

/** What `useChat` would show after one turn: the chunks, and the assistant message they build. */
export interface ChatTurn {
  chunks: UIMessageChunk[]
  message: UIMessage
}

/** Sends one `useChat` turn through the AI SDK's own transport and reads the reply stream. */
export async function chatTurn(
  app: Pick<AgentApp, 'url'>,
  agentId: string,
  chatId: string,
  messages: UIMessage[],
  options: { token?: string; trigger?: 'submit-message' | 'regenerate-message'; messageId?: string } = {},
): Promise<ChatTurn> {
  const headers = { authorization: `Bearer ${options.token ?? ALICE}` }
  const transport = new DefaultChatTransport<UIMessage>({ api: app.url(`/agents/${agentId}/chat`), headers })
  const trigger = options.trigger ?? 'submit-message'
  const stream = await transport.sendMessages({ chatId, messages, trigger, messageId: options.messageId, abortSignal: undefined })
  const [forChunks, forMessage] = stream.tee()
  const chunks: UIMessageChunk[] = []
  const collecting = forChunks.pipeTo(new WritableStream({ write: (chunk) => void chunks.push(chunk) }))
  let message: UIMessage | undefined
  for await (const snapshot of readUIMessageStream({ stream: forMessage, terminateOnError: true })) message = snapshot
  await collecting
  if (!message) throw new Error('the chat stream produced no message')
  return { chunks, message }
}

class ArrayChatState implements ChatState<UIMessage> {
  status: ChatStatus = 'ready'
  error: Error | undefined = undefined
  messages: UIMessage[]

  constructor(messages: UIMessage[]) {
    this.messages = messages
  }

  pushMessage = (message: UIMessage) => {
    this.messages = [...this.messages, message]
  }

  popMessage = () => {
    this.messages = this.messages.slice(0, -1)
  }

  replaceMessage = (index: number, message: UIMessage) => {
    this.messages = [...this.messages.slice(0, index), message, ...this.messages.slice(index + 1)]
  }

  snapshot = <T>(thing: T): T => structuredClone(thing)
}

/**
 * What `useChat` runs in a browser, without React: the AI SDK's own chat class over
 * `DefaultChatTransport`, sending again by itself once every approval has an answer.
 */
export class TestChat extends AbstractChat<UIMessage> {
  #finished: Array<() => void> = []

  constructor(app: Pick<AgentApp, 'url'>, agentId: string, chatId: string, options: { token?: string; messages?: UIMessage[] } = {}) {
    const headers = { authorization: `Bearer ${options.token ?? ALICE}` }
    super({
      id: chatId,
      transport: new DefaultChatTransport<UIMessage>({ api: app.url(`/agents/${agentId}/chat`), headers }),
      state: new ArrayChatState(options.messages ?? []),
      sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
      onFinish: () => this.#settle(),
      onError: () => this.#settle(),
    })
  }

  /** Resolves when the next request (such as the one an approval sends by itself) has finished. */
  nextFinish(): Promise<void> {
    return new Promise((resolve) => this.#finished.push(resolve))
  }

  /** The approval id of the tool part waiting for an answer in the last message. */
  pendingApprovalId(): string {
    const part = this.lastMessage?.parts.find((p) => (p as { state?: string }).state === 'approval-requested') as { approval: { id: string } } | undefined
    if (!part) throw new Error(`no tool call waits for approval: ${JSON.stringify(this.lastMessage)}`)
    return part.approval.id
  }

  #settle(): void {
    for (const resolve of this.#finished.splice(0)) resolve()
  }
}
