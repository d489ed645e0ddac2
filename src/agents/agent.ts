import { randomUUID } from 'node:crypto'
import type { LanguageModel, ModelMessage, StepResult, ToolSet, UIMessage } from 'ai'
import { linkAbort } from '../core/abort.js'
import { invalid } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import type { Memory, MemoryTurn } from '../memory/memory.js'
import { contextOptions, loadAiSdk, type AiSdk } from './ai-sdk.js'
import { modelIdentity, regeneratedReplyId, resolveDynamic, toToolSet, withMemorySystem, withMemoryTools } from './agent-config.js'
import { mastraStream } from './agent-stream.js'
import type {
  AgentCallOptions,
  AgentChatOptions,
  AgentConfig,
  AgentDescription,
  AgentGenerateResult,
  Dynamic,
} from './agent-types.js'
import { mastraStep, responseMetadata, type MastraChunk } from './mastra-chunks.js'
import { callerToModelMessages, callerToUIMessages, mergeChatHistory, parseMessages, parseUIMessages, uiToModelMessages } from './messages.js'
import { ReplyRecorder } from './reply-message.js'
import { structuredOutput } from './structured-output.js'
import { toTool, type AnyTool, type Tool, type ToolDescription } from './tool.js'
import { safeErrorMessage, toAgentError } from './upstream-error.js'

/** Everything one model call needs, resolved for one request. */
interface PreparedCall {
  runId: string
  model: LanguageModel
  system: string | undefined
  messages: ModelMessage[]
  tools: ToolSet | undefined
  maxSteps: number
  context: RequestContext
  output: ReturnType<typeof structuredOutput> | undefined
  turn: MemoryTurn | undefined
}

// The error part already reaches the client as a chunk; the default handler would also print it.
const errorsAreStreamed = () => {}

/**
 * An AI agent on AI SDK v6: instructions, a model and tools, each fixed or picked per request
 * from the host's context, with optional memory. Routes call `generate`, `stream` and `chat`.
 *
 * @example
 * const support = new Agent({ id: 'support', instructions: 'Help customers.', model: openai('gpt-4o-mini'),
 *   tools: { lookupOrder }, memory: new Memory() })
 */
export class Agent {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly memory?: Memory
  readonly maxSteps: number
  readonly #instructions: Dynamic<string>
  readonly #model: Dynamic<LanguageModel>
  readonly #dynamicTools: Dynamic<Record<string, AnyTool>> | undefined
  /** Static tools, wrapped once at construction. */
  readonly #tools: Record<string, Tool<any, any>> = {}
  /** Their SDK form, made on the first model call, once the SDK is loaded. */
  #toolSet: ToolSet | undefined
  readonly #exposeInstructions: boolean
  #description: Promise<AgentDescription> | undefined

  constructor(config: AgentConfig) {
    if (!config.id) throw new TypeError('An Agent needs an id')
    const maxSteps = config.maxSteps ?? 5
    if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new TypeError(`Agent ${config.id}: maxSteps must be a positive integer`)
    this.id = config.id
    this.name = config.name ?? config.id
    this.description = config.description ?? ''
    if (config.memory) this.memory = config.memory
    this.maxSteps = maxSteps
    this.#instructions = config.instructions
    this.#model = config.model
    this.#exposeInstructions = config.exposeInstructions === true
    if (typeof config.tools === 'function') this.#dynamicTools = config.tools
    else if (config.tools) {
      for (const name of Object.keys(config.tools)) this.#tools[name] = toTool(name, config.tools[name])
    }
  }

  /** The tools known without a request (none when `tools` is a function), keyed by name. */
  listTools(): Record<string, Tool<any, any>> {
    return this.#tools
  }

  /** The tools a request with `context` gets, keyed by name: the static ones, or what `tools` picks for it. */
  async toolsFor(context: RequestContext): Promise<Record<string, Tool<any, any>>> {
    if (!this.#dynamicTools) return this.#tools
    const picked = await resolveDynamic(this.#dynamicTools, context)
    const tools: Record<string, Tool<any, any>> = {}
    for (const name of Object.keys(picked)) tools[name] = toTool(name, picked[name])
    return tools
  }

  /** The `GET /agents` entry; tool schemas are converted on the first call only. */
  describe(): Promise<AgentDescription> {
    this.#description ??= (async () => {
      const tools: Record<string, ToolDescription> = {}
      for (const name of Object.keys(this.#tools)) tools[name] = await this.#tools[name].describe()
      const instructions = this.#exposeInstructions && typeof this.#instructions === 'string' ? { instructions: this.#instructions } : {}
      return { id: this.id, name: this.name, description: this.description, ...instructions, tools, ...modelIdentity(this.#model) }
    })()
    return this.#description
  }

  /** Runs the agent to completion and answers in Mastra's generate shape. */
  async generate(options: AgentCallOptions): Promise<AgentGenerateResult> {
    const ai = await loadAiSdk()
    const call = await this.#prepare(ai, options)
    const done: StepResult<ToolSet>[] = []
    let result
    let object: unknown
    try {
      result = await ai.generateText({
        model: call.model,
        system: call.system,
        messages: call.messages,
        tools: call.tools,
        stopWhen: ai.stepCountIs(call.maxSteps),
        abortSignal: options.signal,
        ...contextOptions(call.tools, call.context),
        allowSystemInMessages: true,
        ...(call.output ? { output: call.output } : {}),
        ...(call.turn ? { onStepFinish: (step: StepResult<ToolSet>) => void done.push(step) } : {}),
      })
      // Throws when the run ended without a final answer (e.g. maxSteps spent on tool calls).
      if (call.output) object = result.output
    } catch (err) {
      if (call.turn && options.signal?.aborted) await this.#saveSteps(call.turn, done, true)
      throw toAgentError(err, options.signal)
    }
    if (call.turn) await this.#saveSteps(call.turn, result.steps, false)
    const steps = result.steps.map((step) => mastraStep(step, call.runId))
    return {
      text: result.text,
      ...(call.output ? { object } : {}),
      toolCalls: steps.flatMap((step) => step.toolCalls),
      toolResults: steps.flatMap((step) => step.toolResults),
      finishReason: result.finishReason,
      usage: result.totalUsage,
      steps,
      runId: call.runId,
      response: responseMetadata(result.response),
    }
  }

  /**
   * Starts a streamed run; resolves once the request is valid (so bad input is still a 400)
   * to Mastra chunks that end with `finish` or, on a model failure, an `error` chunk.
   */
  async stream(options: AgentCallOptions): Promise<AsyncIterable<MastraChunk>> {
    const ai = await loadAiSdk()
    const call = await this.#prepare(ai, options)
    const { signal } = options
    const stop = new AbortController()
    const unlink = linkAbort(signal, stop)
    const messageId = randomUUID()
    let result
    try {
      result = ai.streamText({
        model: call.model,
        system: call.system,
        messages: call.messages,
        tools: call.tools,
        stopWhen: ai.stepCountIs(call.maxSteps),
        abortSignal: stop.signal,
        ...contextOptions(call.tools, call.context),
        allowSystemInMessages: true,
        onError: errorsAreStreamed,
        ...(call.output ? { output: call.output } : {}),
      })
    } catch (err) {
      // Only a model the AI SDK cannot use at all fails this early.
      unlink()
      throw toAgentError(err, signal)
    }
    return mastraStream({
      result,
      scope: { runId: call.runId, agentId: this.id, messageId },
      stop,
      signal,
      unlink,
      withObject: call.output !== undefined,
      turn: call.turn,
      recorder: call.turn ? new ReplyRecorder(messageId) : undefined,
    })
  }

  /**
   * Answers a `useChat` request with the AI SDK UI message stream, already encoded as SSE
   * text ending in `data: [DONE]`. With memory, the chat id is the thread: stored history is
   * merged with the client's messages by id, and only new messages and the reply are saved.
   */
  async chat(options: AgentChatOptions): Promise<ReadableStream<string>> {
    const ai = await loadAiSdk()
    const incoming = parseUIMessages(options.messages)
    const context = options.context ?? {}
    const { signal } = options
    let { model, system, tools } = await this.#resolve(ai, context)
    let conversation = incoming
    let turn: MemoryTurn | undefined
    let fresh = incoming
    let replyId: string | undefined
    if (this.memory) {
      if (!options.id) throw invalid('id', 'is required: it names the memory thread')
      const resourceId = options.resourceId ?? options.memory?.resource ?? options.id
      turn = await this.memory.openTurn({ threadId: options.id, resourceId, context })
      ;({ conversation, fresh } = mergeChatHistory(turn.history, incoming))
      system = withMemorySystem(system, turn)
      tools = withMemoryTools(tools, turn)
      replyId = regeneratedReplyId(options, turn.history)
    }
    const messages = await uiToModelMessages(conversation, tools)
    if (turn) await turn.saveInput(fresh)
    let result
    try {
      result = ai.streamText({
        model,
        system,
        messages,
        tools,
        stopWhen: ai.stepCountIs(this.maxSteps),
        abortSignal: signal,
        ...contextOptions(tools, context),
        allowSystemInMessages: true,
        onError: errorsAreStreamed,
      })
    } catch (err) {
      // Only a model the AI SDK cannot use at all fails this early.
      throw toAgentError(err, signal)
    }
    const memoryTurn = turn
    const stream = result.toUIMessageStream({
      onError: (err) => safeErrorMessage(err, 'The agent run failed'),
      ...(memoryTurn
        ? {
            originalMessages: conversation,
            generateMessageId: replyId ? () => replyId : randomUUID,
            // Also runs when the writer cancels the stream, which is how a disconnect shows here.
            // A model that failed before any output leaves nothing to store.
            onFinish: ({ responseMessage, isAborted }) =>
              hasContent(responseMessage)
                ? memoryTurn.saveReply(responseMessage, { aborted: isAborted || signal?.aborted === true })
                : undefined,
          }
        : {}),
    })
    return stream.pipeThrough(new ai.JsonToSseTransformStream())
  }

  async #resolve(
    ai: AiSdk,
    context: RequestContext,
  ): Promise<{ model: LanguageModel; system: string | undefined; tools: ToolSet | undefined }> {
    const model = await resolveDynamic(this.#model, context)
    const system = await resolveDynamic(this.#instructions, context)
    const tools = this.#dynamicTools ? toToolSet(ai, await resolveDynamic(this.#dynamicTools, context)) : this.#staticToolSet(ai)
    return { model, system: system || undefined, tools }
  }

  /** The static tools' SDK form, made on first use and then shared by every call; undefined without tools. */
  #staticToolSet(ai: AiSdk): ToolSet | undefined {
    if (this.#toolSet) return this.#toolSet
    const names = Object.keys(this.#tools)
    if (names.length === 0) return undefined
    const set: ToolSet = {}
    for (const name of names) set[name] = this.#tools[name].modelTool(ai)
    this.#toolSet = set
    return set
  }

  /** Validates the request, resolves per-request config, and opens the memory turn. */
  async #prepare(ai: AiSdk, options: AgentCallOptions): Promise<PreparedCall> {
    // With the SDK loaded, this validates against the SDK's own message schemas.
    const input = parseMessages(options.messages)
    const output = options.output === undefined ? undefined : structuredOutput(ai, options.output)
    const context = options.context ?? {}
    const { model, system, tools } = await this.#resolve(ai, context)
    const base = { runId: randomUUID(), model, maxSteps: options.maxSteps ?? this.maxSteps, context, output }
    const turn = await this.#openTurn(options, context)
    if (!turn) return { ...base, system, tools, messages: await callerToModelMessages(input, tools), turn }
    const allTools = withMemoryTools(tools, turn)
    const history = await uiToModelMessages(turn.history, allTools)
    const messages = [...history, ...(await callerToModelMessages(input, allTools))]
    await turn.saveInput(callerToUIMessages(input))
    return { ...base, system: withMemorySystem(system, turn), tools: allTools, messages, turn }
  }

  async #openTurn(options: AgentCallOptions, context: RequestContext): Promise<MemoryTurn | undefined> {
    if (!this.memory || !options.memory) return undefined
    const { thread, resource } = options.memory
    const threadId = typeof thread === 'string' ? thread : thread?.id
    if (!threadId) throw invalid('memory.thread', 'is required when the agent has memory')
    const resourceId = options.resourceId ?? resource
    if (!resourceId) throw invalid('memory.resource', 'is required when the agent has memory')
    return this.memory.openTurn({ threadId, resourceId, context })
  }

  async #saveSteps(turn: MemoryTurn, steps: ReadonlyArray<StepResult<ToolSet>>, aborted: boolean): Promise<void> {
    const recorder = new ReplyRecorder(randomUUID())
    recorder.addSteps(steps)
    if (recorder.hasContent) await turn.saveReply(recorder.message, { aborted })
  }
}

/** True when a reply holds more than step boundaries. */
function hasContent(message: UIMessage): boolean {
  return message.parts.some((part) => part.type !== 'step-start')
}
