import type { FinishReason, LanguageModel, LanguageModelUsage, UIMessage } from 'ai'
import type { AbortSource } from '../core/abort.js'
import type { RequestContext } from '../core/context.js'
import type { ErrorReporter } from '../core/report.js'
import type { Memory } from '../memory/memory.js'
import type { Store } from '../storage/types.js'
import type { AgentStep, MastraChunk } from './mastra-chunks.js'
import type { MessageListInput } from './messages.js'
import type { AgentRunLedger } from './runs/ledger.js'
import type { AnyTool, ToolDescription } from './tool.js'

/** A value, or a function of the request that picks it (per tenant, locale, plan…). */
export type Dynamic<T> = T | ((args: { context: RequestContext }) => T | Promise<T>)

export interface AgentConfig {
  id: string
  name?: string
  description?: string
  instructions: Dynamic<string>
  model: Dynamic<LanguageModel>
  /** Tools from `createTool` or AI SDK `tool()`, keyed by the name the model sees. */
  tools?: Dynamic<Record<string, AnyTool>>
  memory?: Memory
  /** Model calls per request, tool rounds included (default 5). */
  maxSteps?: number
  /** Lists `instructions` in `GET /agents` (off by default: prompts are often private). */
  exposeInstructions?: boolean
  /**
   * `false` keeps no run records for this agent: nothing to list, rejoin or cancel by id, and
   * tool calls that need approval cannot be answered (approvals are checked against stored runs).
   */
  runs?: false
}

/** Where a call is recorded; routes pass the runtime's ledger, direct calls may leave it out. */
export interface AgentRunOptions {
  /** The runtime's run ledger: the call becomes a run that can be listed, followed, canceled and approved. */
  runs?: AgentRunLedger
  /**
   * Receives what fails without failing the call: a tool that throws (the model sees a safe
   * message), a model error mid-stream (the client sees an error chunk), a write of the run log.
   * A runtime's services pass its error channel when the caller gave none; else standard error.
   */
  onError?: ErrorReporter
  /**
   * The store the agent's memory uses when its `Memory` was built without one: the runtime's.
   * Called from code outside a runtime, such an agent needs a Memory with a store.
   */
  memoryStore?: Store
}

/** Mastra's `memory` request option: the thread, and the resource that owns it. */
export interface AgentMemoryOption {
  thread?: string | { id: string }
  resource?: string
}

export interface AgentCallOptions extends AgentRunOptions {
  messages: MessageListInput
  memory?: AgentMemoryOption
  maxSteps?: number
  /** A JSON schema; the model's answer is returned parsed as `object`. */
  output?: Record<string, unknown>
  context?: RequestContext
  /** Stops the run when it fires: an AbortSignal, or a mounted request's client going away. */
  signal?: AbortSignal | AbortSource
  /** The resource the caller is authenticated as; wins over `memory.resource`. */
  resourceId?: string
}

export interface AgentChatOptions extends AgentRunOptions {
  /** The `useChat` chat id; the memory thread when the agent has memory. */
  id?: string
  messages: UIMessage[]
  context?: RequestContext
  /** Stops the run when it fires: an AbortSignal, or a mounted request's client going away. */
  signal?: AbortSignal | AbortSource
  /** The authenticated resource; else `memory.resource`, else the chat id itself. */
  resourceId?: string
  memory?: { resource?: string }
  /** `useChat`'s trigger and message id; a regenerated reply replaces the stored one. */
  trigger?: 'submit-message' | 'regenerate-message'
  messageId?: string
}

/** What `POST /agents/:agentId/generate` answers, in Mastra's shape. */
export interface AgentGenerateResult {
  text: string
  object?: unknown
  toolCalls: MastraChunk[]
  toolResults: MastraChunk[]
  /** `suspended` while a tool call waits for approval (then `suspendPayload` names it). */
  finishReason: FinishReason | 'suspended'
  usage: LanguageModelUsage
  steps: AgentStep[]
  runId: string
  response: { id: string; modelId: string; timestamp: Date }
  suspendPayload?: { toolCallId: string; toolName: string; args: unknown; resumeSchema: string }
  resumeSchema?: string
}

/** One entry of `GET /agents`. */
export interface AgentDescription {
  id: string
  name: string
  description: string
  instructions?: string
  tools: Record<string, ToolDescription>
  provider: string
  modelId: string
}

export type { AgentStep }
