import { defineRoute, sse, uiMessageStream, type Route } from '../http/route.js'
import * as wire from './mastra/agents.js'

const tags = ['agents']
const read = 'agents:read'
const execute = 'agents:execute'

export const agentRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/agents', summary: 'List agents', tags, permission: read,
    handler: ({ runtime }) => runtime.agents.describeAll(),
  }),
  defineRoute({
    method: 'GET', path: '/agents/:agentId', summary: 'Get an agent', tags, permission: read,
    params: wire.agentParams,
    handler: ({ params, runtime }) => runtime.agents.get(params.agentId).describe(),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/generate', summary: 'Run an agent to completion', tags, permission: execute,
    params: wire.agentParams, body: wire.callBody,
    handler: ({ params, body, context, signal, resourceId, runtime }) =>
      runtime.agents.generate(params.agentId, { ...wire.callOptions(body), context, signal, resourceId }),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/stream', summary: 'Stream an agent run (Mastra chunks over SSE)', tags,
    permission: execute, params: wire.agentParams, body: wire.callBody,
    handler: async ({ params, body, context, signal, resourceId, runtime }) =>
      sse(await runtime.agents.stream(params.agentId, { ...wire.callOptions(body), context, signal, resourceId })),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/chat', summary: 'Chat with an agent (AI SDK useChat stream)', tags,
    permission: execute, params: wire.agentParams, body: wire.chatBody,
    handler: async ({ params, body, context, signal, resourceId, runtime }) =>
      uiMessageStream(await runtime.agents.chat(params.agentId, { ...wire.chatOptions(body), context, signal, resourceId })),
  }),
]
