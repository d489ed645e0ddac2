import { json, defineRoute, type Route } from '../http/route.js'
import * as wire from './mastra/agents.js'

const tags = ['tools']

export const toolRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/tools', summary: 'List tools', tags, permission: 'tools:read',
    handler: ({ runtime }) => runtime.tools.describeAll(),
  }),
  defineRoute({
    method: 'GET', path: '/tools/:toolId', summary: 'Get a tool', tags, permission: 'tools:read',
    params: wire.toolParams,
    handler: ({ params, runtime }) => runtime.tools.get(params.toolId).describe(),
  }),
  defineRoute({
    method: 'POST', path: '/tools/:toolId/execute', summary: 'Run a tool with `data` as its input', tags,
    permission: 'tools:execute', params: wire.toolParams, body: wire.executeToolBody,
    handler: async ({ params, body, context, signal, runtime }) =>
      // A tool may return nothing; the response is still JSON.
      json((await runtime.tools.execute(params.toolId, body.data, { context, signal })) ?? null),
  }),
]
