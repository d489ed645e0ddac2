import { notFound } from '../core/errors.js'
import { assertMessageCount, type RuntimeLimits } from '../core/limits.js'
import type { Agent } from '../agents/agent.js'
import type { AgentCallOptions, AgentChatOptions, AgentDescription, AgentGenerateResult, AgentRunOptions } from '../agents/agent-types.js'
import type { MastraChunk } from '../agents/mastra-chunks.js'
import type { Tool } from '../agents/tool.js'
import type { RequestContext } from '../core/context.js'
import type { AgentRun } from '../agents/runs/agent-run.js'

/** One model provider the runtime's agents use, with their model ids and the agents that use them. */
export interface ProviderUse {
  provider: string
  models: string[]
  agents: string[]
}

/**
 * The runtime's agents, called the way the routes and MCP call them, with the runtime's limits;
 * every call is a run in the runtime's ledger (unless the agent says `runs: false`).
 */
export class AgentService {
  readonly #agents: Readonly<Record<string, Agent>>
  readonly #limits: RuntimeLimits
  readonly #lend: <O extends AgentRunOptions>(agent: Agent, options: O) => O

  /** `lend` is what the runtime adds to every call of an agent: its run ledger, store and error channel. */
  constructor(agents: Readonly<Record<string, Agent>>, limits: RuntimeLimits, lend: <O extends AgentRunOptions>(agent: Agent, options: O) => O) {
    this.#agents = agents
    this.#limits = limits
    this.#lend = lend
  }

  /** The agent, or a 404 naming it. */
  get(agentId: string): Agent {
    const agent = Object.hasOwn(this.#agents, agentId) ? this.#agents[agentId] : undefined
    if (!agent) throw notFound(`Agent with id ${agentId} not found`)
    return agent
  }

  /** Every agent by the key it was registered under. */
  all(): Readonly<Record<string, Agent>> {
    return this.#agents
  }

  async describeAll(): Promise<Record<string, AgentDescription>> {
    const out: Record<string, AgentDescription> = {}
    for (const key of Object.keys(this.#agents)) out[key] = await this.#agents[key].describe()
    return out
  }

  /**
   * The providers of the agents' models, in the order agents were registered. A provider id
   * is the AI SDK's up to its first dot (`openai.chat` → `openai`); a model picked per
   * request is not known until a request comes, so it is left out.
   */
  async providers(): Promise<ProviderUse[]> {
    const byProvider = new Map<string, ProviderUse>()
    for (const [key, description] of Object.entries(await this.describeAll())) {
      // What `describe()` says of a model picked per request.
      if (description.provider === 'dynamic' && description.modelId === 'dynamic') continue
      const provider = description.provider.split('.')[0]
      const use = byProvider.get(provider) ?? { provider, models: [], agents: [] }
      if (!use.models.includes(description.modelId)) use.models.push(description.modelId)
      use.agents.push(key)
      byProvider.set(provider, use)
    }
    return [...byProvider.values()]
  }

  /** One of the agent's tools as a request with `context` gets it (by name, then by tool id), or a 404. */
  async tool(agentId: string, toolId: string, context: RequestContext): Promise<Tool<any, any>> {
    const tools = await this.get(agentId).toolsFor(context)
    const tool = Object.hasOwn(tools, toolId) ? tools[toolId] : Object.values(tools).find((t) => t.id === toolId)
    if (!tool) throw notFound(`Tool with id ${toolId} not found for agent ${agentId}`)
    return tool
  }

  /** Runs one of the agent's tools for this request: 400 for bad input, 404 for a tool it does not have. */
  async executeTool(agentId: string, toolId: string, data: unknown, caller: { context: RequestContext; signal: AbortSignal }): Promise<unknown> {
    return (await this.tool(agentId, toolId, caller.context)).run(data, caller)
  }

  async generate(agentId: string, options: AgentCallOptions): Promise<AgentGenerateResult> {
    const agent = this.get(agentId)
    this.#checkCount(options.messages)
    return agent.generate(this.#lend(agent, options))
  }

  /** The run's chunks for one reader that stops the run when it stops reading early (MCP). */
  async stream(agentId: string, options: AgentCallOptions): Promise<AsyncIterable<MastraChunk>> {
    const agent = this.get(agentId)
    this.#checkCount(options.messages)
    return agent.stream(this.#lend(agent, options))
  }

  /** Starts a streamed run that any number of readers can follow (and rejoin by its event ids). */
  async startStream(agentId: string, options: AgentCallOptions): Promise<AgentRun> {
    const agent = this.get(agentId)
    this.#checkCount(options.messages)
    return agent.startStream(this.#lend(agent, options))
  }

  async chat(agentId: string, options: AgentChatOptions): Promise<ReadableStream<string>> {
    this.#checkCount(options.messages)
    const agent = this.get(agentId)
    return agent.chat(this.#lend(agent, options))
  }

  /** Starts a chat turn whose UI message stream any number of readers can follow (`useChat` resume). */
  async startChat(agentId: string, options: AgentChatOptions): Promise<AgentRun> {
    const agent = this.get(agentId)
    this.#checkCount(options.messages)
    return agent.startChat(this.#lend(agent, options))
  }

  #checkCount(messages: unknown): void {
    if (Array.isArray(messages)) assertMessageCount(messages.length, this.#limits.messagesPerCall)
  }
}
