import { z } from 'zod'
import { idSchema } from '../core/limits.js'
import { toTool, type Tool, type ToolDescription } from '../agents/tool.js'
import { json, defineRoute, type Route } from '../http/route.js'
import { notFound } from '../core/errors.js'
import type { Services } from '../services/services.js'

const tags = ['tools']
const toolParams = z.object({ toolId: idSchema() })

/**
 * Every tool a client can see: the runtime's own, then each agent's static tools. Listed by
 * tool id; the first tool with an id wins, so runtime tools shadow agent tools of the same id.
 */
function allTools(runtime: Services): Map<string, Tool<any, any>> {
  const tools = new Map<string, Tool<any, any>>()
  for (const key of Object.keys(runtime.tools)) {
    // Plain-JS hosts may register AI SDK tools here too.
    const tool = toTool(key, runtime.tools[key])
    if (!tools.has(tool.id)) tools.set(tool.id, tool)
  }
  for (const agent of Object.values(runtime.agents)) {
    for (const tool of Object.values(agent.listTools())) if (!tools.has(tool.id)) tools.set(tool.id, tool)
  }
  return tools
}

function findTool(runtime: Services, toolId: string): Tool<any, any> {
  const tool = allTools(runtime).get(toolId)
  if (!tool) throw notFound(`Tool with id ${toolId} not found`)
  return tool
}

export const toolRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/tools', summary: 'List tools', tags, permission: 'tools:read',
    handler: async ({ runtime }) => {
      const out: Record<string, ToolDescription> = {}
      for (const [id, tool] of allTools(runtime)) out[id] = await tool.describe()
      return out
    },
  }),
  defineRoute({
    method: 'GET', path: '/tools/:toolId', summary: 'Get a tool', tags, permission: 'tools:read',
    params: toolParams,
    handler: ({ params, runtime }) => findTool(runtime, params.toolId).describe(),
  }),
  defineRoute({
    method: 'POST', path: '/tools/:toolId/execute', summary: 'Run a tool with `data` as its input', tags,
    permission: 'tools:execute', params: toolParams, body: z.looseObject({ data: z.unknown() }),
    handler: async ({ params, body, context, signal, runtime }) => {
      const result = await findTool(runtime, params.toolId).run(body.data, { context, signal })
      // A tool may return nothing; the response is still JSON.
      return json(result ?? null)
    },
  }),
]
