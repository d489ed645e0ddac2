import type { AbortSource } from '../core/abort.js'
import { newId } from '../core/ids.js'
import type { LanguageModel, ModelMessage, StepResult, ToolSet, UIMessage } from 'ai'
import { conflict, HttpError, invalid, shuttingDown } from '../core/errors.js'
import { markFailure, reportSafely, reportToStderr, type ErrorReporter, type FailureInfo } from '../core/report.js'
import type { RequestContext } from '../core/context.js'
import type { Memory, MemoryTurn } from '../memory/memory.js'
import type { AgentRunRecord } from '../storage/agent-runs.js'
import { loadAiSdk, toolsContextOf, type AiSdk } from './ai-sdk.js'
import { modelIdentity, regeneratedReplyId, resolveDynamic, toToolSet, withMemorySystem, withMemoryTools } from './agent-config.js'
import type {
  AgentCallOptions,
  AgentChatOptions,
  AgentConfig,
  AgentDescription,
  AgentGenerateResult,
  AgentRunOptions,
  Dynamic,
} from './agent-types.js'
import { approvalResponses, withDeniedCalls, type SuspendedCall } from './approvals.js'
import { chatAnswers, type ChatAnswers } from './chat-approvals.js'
import { generateResult, generateStepChunks, suspendedGenerateResult } from './generate-result.js'
import { mastraChunk, type MastraChunk } from './mastra-chunks.js'
import { callerToModelMessages, callerToUIMessages, mergeChatHistory, parseMessages, parseUIMessages, uiToModelMessages } from './messages.js'
import { ReplyRecorder } from './reply-message.js'
import { pumpChat } from './run-chat.js'
import { pumpStream } from './run-stream.js'
import { AgentRun, type RunStart } from './runs/agent-run.js'
import { AgentRunLedger } from './runs/ledger.js'
import { structuredOutput } from './structured-output.js'
import { toTool, type AnyTool, type Tool, type ToolDescription } from './tool.js'
import { guardTools } from './tool-guard.js'
import { isAbortError, safeErrorMessage, toAgentError } from './upstream-error.js'

/** Everything one model call needs, resolved for one request. */
interface PreparedCall {
  model: LanguageModel
  system: string | undefined
  messages: ModelMessage[]
  tools: ToolSet | undefined
  maxSteps: number
  context: RequestContext
  outputSchema: Record<string, unknown> | undefined
  output: ReturnType<typeof structuredOutput> | undefined
  turn: MemoryTurn | undefined
  memory: { threadId: string; resourceId: string } | undefined
}

/** A suspended run to go on with: its stored record, and the answers now given. */
export interface Continuation {
  /** The run as claimed (now running). */
  record: AgentRunRecord
  /** The run as it was read before the claim, to put it back should going on fail. */
  before: AgentRunRecord
  /** The run's pending calls, each with its `decision`. */
  answered: AgentRunRecord['pendingApprovals']
}

/** Reports one failure of a run; the agent id (and run id) are filled in. */
type RunReporter = (err: unknown, info: Pick<FailureInfo, 'kind' | 'toolId'>) => void

/**
 * An AI agent on the AI SDK: instructions, a model and tools, each fixed or picked per request
 * from the host's context, with optional memory. Routes call `generate`, `stream` and `chat`;
 * each call is a run, recorded in the runtime's store unless the agent says `runs: false`.
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
  /** False when the agent keeps no run records (no rejoin, no cancel by id, no approvals). */
  readonly recordsRuns: boolean
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
    this.recordsRuns = config.runs !== false
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

  /** Runs the agent to completion and answers in Mastra's generate shape (or suspended, waiting for an approval). */
  async generate(options: AgentCallOptions): Promise<AgentGenerateResult> {
    const ai = await loadAiSdk()
    const call = await this.#prepare(ai, options)
    const run = this.#begin(options, 'generate', call.memory?.threadId, this.#resourceOf(options, call), call.model)
    return this.#generateActivation(ai, call, run, options, undefined)
  }

  /** Continues a suspended `generate` run with the answers given; the run's claim is the caller's. */
  async continueGenerate(continuation: Continuation, options: AgentRunOptions & { context?: RequestContext; signal?: AbortSignal | AbortSource }): Promise<AgentGenerateResult> {
    const ai = await loadAiSdk()
    const { call, run, reply } = await this.#continuation(ai, continuation, options)
    return this.#generateActivation(ai, call, run, options, { reply, answered: continuation.answered })
  }

  /**
   * Starts a streamed run; resolves once the request is valid (so bad input is still a 400)
   * to Mastra chunks that end with `finish` or, on a model failure, an `error` chunk. A
   * consumer that stops reading early stops the run.
   */
  async stream(options: AgentCallOptions): Promise<AsyncIterable<MastraChunk>> {
    return chunksOf(await this.startStream(options))
  }

  /** Starts a streamed run and returns it: its events can be followed by any number of readers. */
  async startStream(options: AgentCallOptions): Promise<AgentRun> {
    const ai = await loadAiSdk()
    const call = await this.#prepare(ai, options)
    const run = this.#begin(options, 'stream', call.memory?.threadId, this.#resourceOf(options, call), call.model)
    await this.#streamActivation(ai, call, run, options, undefined)
    return run
  }

  /** Continues a suspended `stream` run with the answers given, as a new activation of the same run. */
  async continueStream(continuation: Continuation, options: AgentRunOptions & { context?: RequestContext; signal?: AbortSignal | AbortSource }): Promise<AgentRun> {
    const ai = await loadAiSdk()
    const { call, run, reply } = await this.#continuation(ai, continuation, options)
    await this.#streamActivation(ai, call, run, options, { reply, answered: continuation.answered })
    return run
  }

  /**
   * Answers a `useChat` request with the AI SDK UI message stream, already encoded as SSE
   * text ending in `data: [DONE]`. With memory, the chat id is the thread: stored history is
   * merged with the client's messages by id, and only new messages and the reply are saved.
   */
  async chat(options: AgentChatOptions): Promise<ReadableStream<string>> {
    const run = await this.startChat(options)
    return encodeUiStream(run.events.follow(0), { ids: false, onCancel: () => run.controller.abort() })
  }

  /**
   * Starts a chat turn and returns its run. Tool approvals in the client's messages count only
   * when they answer calls this chat's suspended run is waiting on (`options.runs` finds it);
   * the turn then goes on in the same assistant message.
   */
  async startChat(options: AgentChatOptions): Promise<AgentRun> {
    const ai = await loadAiSdk()
    const incoming = parseUIMessages(options.messages)
    const context = options.context ?? {}
    let { model, system, tools } = await this.#resolve(ai, context)
    const resourceId = options.resourceId ?? options.memory?.resource ?? (this.memory ? options.id : undefined)
    let turn: MemoryTurn | undefined
    if (this.memory) {
      if (!options.id) throw invalid('id', 'is required: it names the memory thread')
      turn = await this.memory.openTurn({ threadId: options.id, resourceId: resourceId!, context, store: options.memoryStore })
    }
    const answers = await chatAnswers(incoming, {
      runs: this.recordsRuns ? options.runs : undefined,
      agentId: this.id,
      chatId: options.id,
      resourceId: options.resourceId,
    })
    let messages: ModelMessage[]
    let conversation = answers.messages
    let replyId: string | undefined
    try {
      let fresh = answers.messages
      if (turn) {
        ;({ conversation, fresh } = mergeChatHistory(turn.history, answers.messages))
        if (answers.claimed) ({ conversation, fresh } = withAnsweredReply(conversation, fresh, answers))
        system = withMemorySystem(system, turn)
        tools = withMemoryTools(tools, turn)
        replyId = regeneratedReplyId(options, turn.history)
      }
      if (!answers.claimed && answers.refused && conversation.at(-1)?.role === 'assistant') {
        throw conflict('No tool call of this chat is waiting for the answer sent; nothing was run')
      }
      messages = await uiToModelMessages(conversation, tools)
      if (turn) await turn.saveInput(fresh)
    } catch (err) {
      // The run waits again, as it was: a failed answer does not use up the approval.
      if (answers.claimed) await options.runs!.unclaim(answers.claimed.record, answers.claimed.before)
      throw err
    }
    const run = answers.claimed
      ? this.#resume(options, answers.claimed.record)
      : this.#begin(options, 'chat', options.id, resourceId, model)
    run.link(options.signal)
    const report = this.#reporter(options.onError, run.runId)
    let reply: UIMessage | undefined
    let finishReason: string | undefined
    let result
    const traced = run.traced(model, tools)
    try {
      result = ai.streamText({
        model: traced.model,
        system,
        messages,
        tools: guardTools(traced.tools, (err, toolId) => report(err, { kind: 'tool', toolId })),
        stopWhen: ai.stepCountIs(this.maxSteps),
        abortSignal: run.signal,
        experimental_context: context,
        toolsContext: toolsContextOf(tools, context),
        allowSystemInMessages: true,
        // The client gets a safe error chunk; the error itself goes to the reporter.
        onError: ({ error }: { error: unknown }) => {
          if (!run.signal.aborted && !isAbortError(error)) report(error, { kind: 'agent' })
        },
        onStepFinish: (step: StepResult<ToolSet>) => {
          run.step(step.finishReason, step.usage)
          finishReason = step.finishReason
        },
      } as Parameters<AiSdk['streamText']>[0])
    } catch (err) {
      // Only a model the AI SDK cannot use at all fails this early.
      await run.finish({ status: 'failed', finishReason: 'error', error: { message: safeErrorMessage(err) } })
      throw this.#failure(err, options.signal, run.runId)
    }
    const memoryTurn = turn
    const stream = result.toUIMessageStream({
      // A failed tool's error is already safe to show ("Tool weather failed"): it says which tool.
      onError: (err) => safeErrorMessage(err, 'The agent run failed'),
      originalMessages: conversation,
      generateMessageId: replyId ? () => replyId : newId,
      // Also runs when the stream is canceled. A model that failed before any output leaves nothing to store.
      onFinish: async ({ responseMessage, isAborted }) => {
        reply = responseMessage
        if (hasContent(responseMessage)) await memoryTurn?.saveReply(responseMessage, { aborted: isAborted || run.signal.aborted })
      },
    })
    void pumpChat({ stream, run, reply: () => reply, finishReason: () => finishReason }).catch((err: unknown) => report(err, { kind: 'agent' }))
    return run
  }

  /**
   * After a run was canceled while it waited for approvals: its reply in memory shows the calls
   * that waited as declined, so the thread, the run and a reloaded chat agree.
   */
  async settleCanceled(record: AgentRunRecord, options: AgentRunOptions = {}): Promise<void> {
    const reply = (record.state as { reply?: UIMessage } | null)?.reply
    if (!this.memory || !reply || record.threadId === null || record.resourceId === null) return
    if (!record.pendingApprovals.some((call) => !call.decision)) return
    const turn = await this.memory.openTurn({ threadId: record.threadId, resourceId: record.resourceId, context: {}, store: options.memoryStore })
    await turn.saveReply(withDeniedCalls(reply, record.pendingApprovals, 'The run was canceled'))
  }

  /** Reports to the call's `onError` (a runtime passes its own), else standard error. */
  #reporter(onError: ErrorReporter | undefined, runId?: string): RunReporter {
    const report = onError ?? reportToStderr
    const ids = runId === undefined ? { agentId: this.id } : { agentId: this.id, runId }
    return (err, info) => reportSafely(report, err, { ...info, ...ids })
  }

  /**
   * What a failed model call throws: `toAgentError`'s answer; a 5xx keeps the original as its
   * `cause` and says which agent and run failed, for the mount that reports it.
   */
  #failure(err: unknown, signal: AbortSignal | AbortSource | undefined, runId: string): unknown {
    const failure = toAgentError(err, signal)
    if (failure instanceof HttpError && failure.status >= 500 && failure.cause !== undefined) {
      markFailure(failure, { kind: 'agent', agentId: this.id, runId })
    }
    return failure
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
    const outputSchema = options.output
    const output = outputSchema === undefined ? undefined : structuredOutput(ai, outputSchema)
    const context = options.context ?? {}
    const { model, system, tools } = await this.#resolve(ai, context)
    const base = { model, maxSteps: options.maxSteps ?? this.maxSteps, context, output, outputSchema }
    const opened = await this.#openTurn(options, context)
    if (!opened) return { ...base, system, tools, messages: await callerToModelMessages(input, tools), turn: undefined, memory: undefined }
    const { turn, memory } = opened
    const allTools = withMemoryTools(tools, turn)
    const history = await uiToModelMessages(turn.history, allTools)
    const messages = [...history, ...(await callerToModelMessages(input, allTools))]
    await turn.saveInput(callerToUIMessages(input))
    return { ...base, system: withMemorySystem(system, turn), tools: allTools, messages, turn, memory }
  }

  async #openTurn(
    options: AgentCallOptions,
    context: RequestContext,
  ): Promise<{ turn: MemoryTurn; memory: { threadId: string; resourceId: string } } | undefined> {
    if (!this.memory || !options.memory) return undefined
    const { thread, resource } = options.memory
    const threadId = typeof thread === 'string' ? thread : thread?.id
    if (!threadId) throw invalid('memory.thread', 'is required when the agent has memory')
    const resourceId = options.resourceId ?? resource
    if (!resourceId) throw invalid('memory.resource', 'is required when the agent has memory')
    return { turn: await this.memory.openTurn({ threadId, resourceId, context, store: options.memoryStore }), memory: { threadId, resourceId } }
  }

  /**
   * The call a suspended `generate`/`stream` run goes on with: its messages, the answers, this
   * request's config. Should that fail, the run waits again as it was.
   */
  async #continuation(
    ai: AiSdk,
    { record, answered, before }: Continuation,
    options: AgentRunOptions & { context?: RequestContext },
  ): Promise<{ call: PreparedCall; run: AgentRun; reply: UIMessage }> {
    const state = record.state as unknown as SuspendedCall
    const context = options.context ?? {}
    let call: PreparedCall
    try {
      const resolved = await this.#resolve(ai, context)
      let { system, tools } = resolved
      let turn: MemoryTurn | undefined
      if (this.memory && state.memory) {
        turn = await this.memory.openTurn({ ...state.memory, context, store: options.memoryStore })
        system = withMemorySystem(system, turn)
        tools = withMemoryTools(tools, turn)
      }
      call = {
        model: resolved.model,
        system,
        tools,
        messages: [...state.messages, approvalResponses(answered)],
        maxSteps: state.maxSteps,
        context,
        outputSchema: state.output,
        output: state.output === undefined ? undefined : structuredOutput(ai, state.output),
        turn,
        memory: state.memory,
      }
    } catch (err) {
      await options.runs?.unclaim(record, before)
      throw err
    }
    return { call, run: this.#resume(options, record), reply: state.reply }
  }

  #begin(options: AgentRunOptions, kind: RunStart['kind'], threadId: string | undefined, resourceId: string | undefined, model: LanguageModel): AgentRun {
    const start: RunStart = { agentId: this.id, kind, threadId: threadId ?? null, resourceId: resourceId ?? null, model: modelIdentity(model) }
    if (!options.runs) return AgentRunLedger.unrecorded(start)
    const report = this.#reporter(options.onError)
    const onRunLogError = (err: unknown) => report(err, { kind: 'agent' })
    if (!this.recordsRuns) return options.runs.unrecorded(start, onRunLogError)
    return options.runs.begin(start, onRunLogError)
  }

  #resume(options: AgentRunOptions, record: AgentRunRecord): AgentRun {
    if (!options.runs) throw new Error('Continuing a suspended run needs the run ledger')
    const report = this.#reporter(options.onError, record.runId)
    return options.runs.resume(record, (err) => report(err, { kind: 'agent' }))
  }

  /** The resource a run is recorded for: the caller's, else the memory thread's owner. */
  #resourceOf(options: AgentCallOptions, call: PreparedCall): string | undefined {
    return options.resourceId ?? call.memory?.resourceId
  }

  async #generateActivation(
    ai: AiSdk,
    call: PreparedCall,
    run: AgentRun,
    options: AgentRunOptions & { signal?: AbortSignal | AbortSource },
    continued: { reply: UIMessage; answered: Continuation['answered'] } | undefined,
  ): Promise<AgentGenerateResult> {
    const { signal } = options
    run.link(signal)
    const report = this.#reporter(options.onError, run.runId)
    const done: StepResult<ToolSet>[] = []
    const replyId = continued?.reply.id ?? newId()
    let result
    let object: unknown
    try {
      const { model, tools } = guardedCall(run, call, report)
      // One literal with every option and no spreads: a spread in the middle of a literal makes
      // V8 build it property by property, several µs per call.
      result = await ai.generateText({
        model,
        tools,
        system: call.system,
        messages: call.messages,
        stopWhen: ai.stepCountIs(call.maxSteps),
        abortSignal: run.signal,
        experimental_context: call.context,
        toolsContext: toolsContextOf(call.tools, call.context),
        allowSystemInMessages: true,
        output: call.output,
        onStepFinish: (step: StepResult<ToolSet>) => {
          done.push(step)
          run.step(step.finishReason, step.usage)
          for (const chunk of generateStepChunks(step, run.runId, replyId)) run.emit(chunk)
        },
      } as Parameters<AiSdk['generateText']>[0])
      // Throws when the run ended without a final answer (e.g. maxSteps spent on tool calls).
      if (call.output) object = result.output
    } catch (err) {
      const stopped = run.signal.aborted
      if (call.turn && stopped) await this.#saveSteps(call.turn, done, true, replyId, continued)
      const failure = this.#failure(err, run.signal, run.runId)
      await run.finish(stopped ? run.stoppedOutcome() : { status: 'failed', finishReason: 'error', error: { message: safeErrorMessage(failure) } })
      // A run stopped by the cancel routes answers its own caller with a 409, not a hang-up.
      if (run.canceled && !signal?.aborted) throw conflict(`Agent run ${run.runId} was canceled`)
      if (run.shutDown && !signal?.aborted) throw shuttingDown(run.stoppedOutcome().error!.message)
      throw failure
    }
    const pending = pendingIn(result.steps.at(-1))
    // The reply as a UI message: memory stores it, and a suspended run keeps it to go on with.
    const reply = call.turn || pending.length > 0 ? await this.#saveSteps(call.turn, result.steps, false, replyId, continued) : undefined
    if (pending.length > 0) {
      const state: SuspendedCall = {
        messages: [...call.messages, ...result.response.messages],
        maxSteps: Math.max(1, call.maxSteps - result.steps.length),
        ...(call.outputSchema ? { output: call.outputSchema } : {}),
        ...(call.memory ? { memory: call.memory } : {}),
        reply: reply!,
      }
      await run.finish({ status: 'suspended', finishReason: 'suspended', pendingApprovals: pending, state: state as unknown as Record<string, unknown> })
      return suspendedGenerateResult(run, result, pending)
    }
    run.emit(mastraChunk('finish', run.runId, { messageId: replyId, stepResult: { reason: result.finishReason }, output: { usage: result.totalUsage } }))
    const { finishReason } = result
    // The answer is built before the run's final write and the SDK's result (request, steps,
    // messages) let go, so it is not kept alive (and copied by the GC) while the write waits its turn.
    const answer = generateResult(run.runId, result, call.output ? { object } : undefined)
    result = undefined
    done.length = 0
    await run.finish({ status: 'success', finishReason })
    return answer
  }

  async #streamActivation(
    ai: AiSdk,
    call: PreparedCall,
    run: AgentRun,
    options: AgentRunOptions & { signal?: AbortSignal | AbortSource },
    continued: { reply: UIMessage; answered: Continuation['answered'] } | undefined,
  ): Promise<void> {
    run.link(options.signal)
    const report = this.#reporter(options.onError, run.runId)
    // The client gets a safe error chunk; the error itself goes to the reporter.
    const reportFailure = (err: unknown) => {
      if (!run.signal.aborted && !isAbortError(err)) report(err, { kind: 'agent' })
    }
    const messageId = continued?.reply.id ?? newId()
    const recorder = new ReplyRecorder(messageId, continued?.reply)
    if (continued) recorder.answer(continued.answered.map((c) => ({ ...c, approved: c.decision?.approved === true, reason: c.decision?.reason })))
    let result
    try {
      const { model, tools } = guardedCall(run, call, report)
      result = ai.streamText({
        model,
        tools,
        system: call.system,
        messages: call.messages,
        stopWhen: ai.stepCountIs(call.maxSteps),
        abortSignal: run.signal,
        experimental_context: call.context,
        toolsContext: toolsContextOf(call.tools, call.context),
        allowSystemInMessages: true,
        onError: ({ error }: { error: unknown }) => reportFailure(error),
        output: call.output,
      } as Parameters<AiSdk['streamText']>[0])
    } catch (err) {
      // Only a model the AI SDK cannot use at all fails this early: still the caller's answer, not a chunk.
      await run.finish({ status: 'failed', finishReason: 'error', error: { message: safeErrorMessage(err) } })
      throw this.#failure(err, options.signal, run.runId)
    }
    const stepsBefore = run.record.steps.length
    void pumpStream({
      result,
      run,
      scope: { runId: run.runId, agentId: this.id, messageId },
      withObject: call.output !== undefined,
      turn: call.turn,
      recorder,
      report: (err) => report(err, { kind: 'agent' }),
      answered: continued?.answered,
      suspend: (responseMessages) => ({
        messages: [...call.messages, ...responseMessages],
        maxSteps: Math.max(1, call.maxSteps - (run.record.steps.length - stepsBefore)),
        ...(call.outputSchema ? { output: call.outputSchema } : {}),
        ...(call.memory ? { memory: call.memory } : {}),
      }),
    })
  }

  /** Saves a generate's reply to memory (when there is a turn) and returns it as a UI message. */
  async #saveSteps(
    turn: MemoryTurn | undefined,
    steps: ReadonlyArray<StepResult<ToolSet>>,
    aborted: boolean,
    replyId: string,
    continued: { reply: UIMessage; answered: Continuation['answered'] } | undefined,
  ): Promise<UIMessage> {
    const recorder = new ReplyRecorder(replyId, continued?.reply)
    if (continued) recorder.answer(continued.answered.map((c) => ({ ...c, approved: c.decision?.approved === true, reason: c.decision?.reason })))
    recorder.addSteps(steps)
    if (turn && recorder.hasContent) await turn.saveReply(recorder.message, { aborted })
    return recorder.message
  }
}

/** The model and tools of one model call: traced when the app traces, and each tool guarded. */
function guardedCall(run: AgentRun, call: PreparedCall, report: RunReporter): { model: LanguageModel; tools: ToolSet | undefined } {
  const { model, tools } = run.traced(call.model, call.tools)
  return { model, tools: guardTools(tools, (err, toolId) => report(err, { kind: 'tool', toolId })) }
}

/** True when a reply holds more than step boundaries. */
function hasContent(message: UIMessage): boolean {
  return message.parts.some((part) => part.type !== 'step-start')
}

function pendingIn(step: StepResult<ToolSet> | undefined): AgentRunRecord['pendingApprovals'] {
  if (!step) return []
  return step.content
    .filter((part) => part.type === 'tool-approval-request')
    .map((part) => {
      const request = part as unknown as { approvalId: string; toolCall: { toolCallId: string; toolName: string; input: unknown } }
      return { approvalId: request.approvalId, toolCallId: request.toolCall.toolCallId, toolName: request.toolCall.toolName, args: request.toolCall.input }
    })
}

/** With memory, the answered reply is the stored one with the answers applied, never the client's copy. */
function withAnsweredReply(conversation: UIMessage[], fresh: UIMessage[], answers: ChatAnswers): { conversation: UIMessage[]; fresh: UIMessage[] } {
  const reply = answers.claimed!.reply
  const at = conversation.findIndex((m) => m.id === reply.id)
  const before = at === -1 ? conversation : conversation.slice(0, at)
  return { conversation: [...before, reply], fresh: fresh.filter((m) => m.id !== reply.id) }
}

/** The chunks of a run for one in-process reader that stops the run when it stops reading early. */
async function* chunksOf(run: AgentRun): AsyncGenerator<MastraChunk, void, undefined> {
  let finished = false
  try {
    for await (const entry of run.events.follow(0)) yield entry.data as MastraChunk
    finished = true
  } finally {
    if (!finished) {
      run.controller.abort()
      await run.done
    }
  }
}

/** A run's UI message chunks as SSE text ending `data: [DONE]`, for `useChat`; `id:` lines carry the seqs. */
export function encodeUiStream(
  entries: AsyncIterable<{ seq: number; data: unknown; json?: string }>,
  options: { ids: boolean; onCancel?: () => void },
): ReadableStream<string> {
  const iterator = entries[Symbol.asyncIterator]()
  return new ReadableStream<string>({
    async pull(controller) {
      const step = await iterator.next()
      if (step.done) {
        controller.enqueue('data: [DONE]\n\n')
        controller.close()
        return
      }
      const entry = step.value
      // Serialized once: the run's log reuses it.
      controller.enqueue(`${options.ids ? `id: ${entry.seq}\n` : ''}data: ${(entry.json ??= JSON.stringify(entry.data))}\n\n`)
    },
    async cancel() {
      options.onCancel?.()
      await iterator.return?.()
    },
  })
}
