import { encodeUiStream } from '../agents/agent.js'
import { defineRoute, json, sse, uiMessageStream, type HandlerArgs, type Route } from '../http/route.js'
import * as wire from './mastra/agents.js'

const tags = ['agents']
const read = 'agents:read'
const execute = 'agents:execute'

/**
 * Who runs an agent call and how: the caller's context and resource, stopped by the client
 * going away only when the mount says `onDisconnect: 'abort'`, and what fails without failing
 * the call (a tool, the model mid-stream, the run log) to the mount's `onError` with the request.
 */
export function runOptions(args: Pick<HandlerArgs, 'context' | 'disconnect' | 'resourceId' | 'mount' | 'onError'>) {
  const { context, resourceId, mount, onError } = args
  return {
    context,
    resourceId,
    // Linked to the run's own controller directly: the request makes no AbortSignal for it.
    signal: mount.onDisconnect === 'abort' ? args.disconnect : undefined,
    onError,
  }
}

export const agentRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/agents', summary: 'List agents', tags, permission: read,
    handler: ({ runtime }) => runtime.agents.describeAll(),
  }),
  defineRoute({
    method: 'GET', path: '/agents/providers', summary: 'List the model providers and model ids the agents use', tags,
    permission: read, response: wire.providersResponse,
    handler: async ({ runtime }) => ({ providers: (await runtime.agents.providers()).map(wire.providerEntry) }),
  }),
  defineRoute({
    method: 'GET', path: '/agents/:agentId', summary: 'Get an agent', tags, permission: read,
    params: wire.agentParams,
    handler: ({ params, runtime }) => runtime.agents.get(params.agentId).describe(),
  }),
  defineRoute({
    method: 'GET', path: '/agents/:agentId/tools/:toolId', summary: 'Get one of the agent’s tools, as this request gets them',
    tags, permission: read, params: wire.agentToolParams,
    handler: async ({ params, context, runtime }) => (await runtime.agents.tool(params.agentId, params.toolId, context)).describe(),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/tools/:toolId/execute', summary: 'Run one of the agent’s tools with `data` as its input',
    tags, permission: 'tools:execute', params: wire.agentToolParams, body: wire.executeToolBody,
    handler: async ({ params, body, context, signal, runtime }) =>
      // A tool may return nothing; the response is still JSON.
      json((await runtime.agents.executeTool(params.agentId, params.toolId, body.data, { context, signal })) ?? null),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/generate', summary: 'Run an agent to completion', tags, permission: execute,
    params: wire.agentParams, body: wire.callBody,
    handler: (args) => args.runtime.agents.generate(args.params.agentId, { ...wire.callOptions(args.body), ...runOptions(args) }),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/stream', summary: 'Stream an agent run (Mastra chunks over SSE)', tags,
    permission: execute, params: wire.agentParams, body: wire.callBody,
    handler: async (args) => {
      const run = await args.runtime.agents.startStream(args.params.agentId, { ...wire.callOptions(args.body), ...runOptions(args) })
      return sse(run.events.follow(0), { ids: true })
    },
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/chat', summary: 'Chat with an agent (AI SDK useChat stream)', tags,
    permission: execute, params: wire.agentParams, body: wire.chatBody,
    handler: async (args) => {
      const run = await args.runtime.agents.startChat(args.params.agentId, { ...wire.chatOptions(args.body), ...runOptions(args) })
      return uiMessageStream(encodeUiStream(run.events.follow(0), { ids: true }))
    },
  }),
]
