import { notFound } from '../core/errors.js'
import { assertMessageCount, type RuntimeLimits } from '../core/limits.js'
import type { Agent } from '../agents/agent.js'
import type { AgentCallOptions, AgentChatOptions, AgentDescription, AgentGenerateResult } from '../agents/agent-types.js'
import type { MastraChunk } from '../agents/mastra-chunks.js'

/** The runtime's agents, called the way the routes and MCP call them, with the runtime's limits. */
export class AgentService {
  readonly #agents: Readonly<Record<string, Agent>>
  readonly #limits: RuntimeLimits

  constructor(agents: Readonly<Record<string, Agent>>, limits: RuntimeLimits) {
    this.#agents = agents
    this.#limits = limits
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

  async generate(agentId: string, options: AgentCallOptions): Promise<AgentGenerateResult> {
    const agent = this.get(agentId)
    this.#checkCount(options.messages)
    return agent.generate(options)
  }

  async stream(agentId: string, options: AgentCallOptions): Promise<AsyncIterable<MastraChunk>> {
    const agent = this.get(agentId)
    this.#checkCount(options.messages)
    return agent.stream(options)
  }

  async chat(agentId: string, options: AgentChatOptions): Promise<ReadableStream<string>> {
    this.#checkCount(options.messages)
    return this.get(agentId).chat(options)
  }

  #checkCount(messages: unknown): void {
    if (Array.isArray(messages)) assertMessageCount(messages.length, this.#limits.messagesPerCall)
  }
}
