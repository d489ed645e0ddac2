import type { LanguageModel, ToolSet, UIMessage } from 'ai'
import type { RequestContext } from '../core/context.js'
import type { MemoryTurn } from '../memory/memory.js'
import type { AiSdk } from './ai-sdk.js'
import type { AgentChatOptions, Dynamic } from './agent-types.js'
import { toTool, type AnyTool } from './tool.js'

/** A config value, or what its function picks for this request. */
export function resolveDynamic<T>(value: Dynamic<T>, context: RequestContext): T | Promise<T> {
  return typeof value === 'function' ? (value as (args: { context: RequestContext }) => T | Promise<T>)({ context }) : value
}

/** The AI SDK tool set for a tools record, our tools and AI SDK tools alike. */
export function toToolSet(ai: AiSdk, tools: Record<string, AnyTool>): ToolSet {
  const set: ToolSet = {}
  for (const name of Object.keys(tools)) set[name] = toTool(name, tools[name]).modelTool(ai)
  return set
}

/** Provider and model id for `GET /agents`; a per-request model has none until a request comes. */
export function modelIdentity(model: Dynamic<LanguageModel>): { provider: string; modelId: string } {
  if (typeof model === 'function') return { provider: 'dynamic', modelId: 'dynamic' }
  if (typeof model === 'string') {
    const slash = model.indexOf('/')
    return slash === -1 ? { provider: 'gateway', modelId: model } : { provider: model.slice(0, slash), modelId: model.slice(slash + 1) }
  }
  return { provider: model.provider, modelId: model.modelId }
}

/** Instructions followed by what memory adds (working memory and how to update it). */
export function withMemorySystem(system: string | undefined, turn: MemoryTurn): string | undefined {
  if (!turn.system) return system
  return system ? `${system}\n\n${turn.system}` : turn.system
}

export function withMemoryTools(tools: ToolSet | undefined, turn: MemoryTurn): ToolSet | undefined {
  const extra = turn.tools
  return extra && Object.keys(extra).length > 0 ? { ...tools, ...extra } : tools
}

/**
 * On regenerate, `useChat` names the assistant message it replaces; reusing that id makes the
 * new reply overwrite the stored one. Only a stored assistant message qualifies, so a client
 * cannot overwrite anything else.
 */
export function regeneratedReplyId(options: AgentChatOptions, history: UIMessage[]): string | undefined {
  const { trigger, messageId } = options
  if (trigger !== 'regenerate-message' || !messageId) return undefined
  return history.some((m) => m.id === messageId && m.role === 'assistant') ? messageId : undefined
}
