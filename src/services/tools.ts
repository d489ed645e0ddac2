import { notFound } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import type { Agent } from '../agents/agent.js'
import { toTool, type AnyTool, type Tool, type ToolDescription } from '../agents/tool.js'

/**
 * The tools a client can list and run: the runtime's own, then each agent's static tools,
 * by tool id. The first tool with an id wins, so runtime tools shadow agent tools.
 */
export class ToolService {
  /** The runtime's own tools; plain-JS hosts may register AI SDK tools here too. */
  readonly own: readonly Tool<any, any>[]
  readonly #agents: readonly Agent[]

  constructor(tools: Readonly<Record<string, AnyTool>>, agents: readonly Agent[]) {
    this.own = Object.keys(tools).map((key) => toTool(key, tools[key]))
    this.#agents = agents
  }

  /** Every visible tool by id. Agent tool lists are read each time: they are fixed, but cheap. */
  all(): Map<string, Tool<any, any>> {
    const tools = new Map<string, Tool<any, any>>()
    for (const tool of this.own) if (!tools.has(tool.id)) tools.set(tool.id, tool)
    for (const agent of this.#agents) {
      for (const tool of Object.values(agent.listTools())) if (!tools.has(tool.id)) tools.set(tool.id, tool)
    }
    return tools
  }

  /** The tool, or a 404 naming it. */
  get(toolId: string): Tool<any, any> {
    const tool = this.all().get(toolId)
    if (!tool) throw notFound(`Tool with id ${toolId} not found`)
    return tool
  }

  async describeAll(): Promise<Record<string, ToolDescription>> {
    const out: Record<string, ToolDescription> = {}
    for (const [id, tool] of this.all()) out[id] = await tool.describe()
    return out
  }

  /** Runs a tool with `data` as its input: 400 for bad input, 404 for an unknown tool. */
  execute(toolId: string, data: unknown, caller: { context: RequestContext; signal: AbortSignal }): Promise<unknown> {
    return this.get(toolId).run(data, caller)
  }
}
