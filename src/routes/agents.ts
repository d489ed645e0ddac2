import type { UIMessage } from 'ai'
import { z } from 'zod'
import type { AgentDescription } from '../agents/agent-types.js'
import type { MessageListInput } from '../agents/messages.js'
import { assertMessageCount, idSchema } from '../core/limits.js'
import { defineRoute, sse, uiMessageStream, type Route } from '../http/route.js'
import type { Services } from '../services/services.js'

const tags = ['agents']
const read = 'agents:read'
const execute = 'agents:execute'

const agentParams = z.object({ agentId: idSchema() })

// Messages are checked in depth by the agent (field paths like messages.0.content); here only the envelope.
const callBody = z.looseObject({
  messages: z.union([z.string().min(1), z.array(z.unknown()).min(1)]),
  memory: z
    .looseObject({
      thread: z.union([idSchema(), z.looseObject({ id: idSchema() })]).optional(),
      resource: idSchema().optional(),
    })
    .optional(),
  maxSteps: z.number().int().positive().max(50).optional(),
  output: z.record(z.string(), z.unknown()).optional(),
})

const chatBody = z.looseObject({
  id: idSchema().optional(),
  messages: z.array(z.unknown()).min(1),
  trigger: z.enum(['submit-message', 'regenerate-message']).optional(),
  messageId: z.string().optional(),
  memory: z.looseObject({ resource: idSchema().optional() }).optional(),
})

type CallBody = z.infer<typeof callBody>

function callOptions(body: CallBody, runtime: Services) {
  if (Array.isArray(body.messages)) assertMessageCount(body.messages.length, runtime.limits.messagesPerCall)
  return {
    messages: body.messages as MessageListInput,
    memory: body.memory,
    maxSteps: body.maxSteps,
    output: body.output,
  }
}

export const agentRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/agents', summary: 'List agents', tags, permission: read,
    handler: async ({ runtime }) => {
      const out: Record<string, AgentDescription> = {}
      for (const key of Object.keys(runtime.agents)) out[key] = await runtime.agents[key].describe()
      return out
    },
  }),
  defineRoute({
    method: 'GET', path: '/agents/:agentId', summary: 'Get an agent', tags, permission: read,
    params: agentParams,
    handler: ({ params, runtime }) => runtime.getAgent(params.agentId).describe(),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/generate', summary: 'Run an agent to completion', tags, permission: execute,
    params: agentParams, body: callBody,
    handler: ({ params, body, context, signal, resourceId, runtime }) =>
      runtime.getAgent(params.agentId).generate({ ...callOptions(body, runtime), context, signal, resourceId }),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/stream', summary: 'Stream an agent run (Mastra chunks over SSE)', tags,
    permission: execute, params: agentParams, body: callBody,
    handler: async ({ params, body, context, signal, resourceId, runtime }) =>
      sse(await runtime.getAgent(params.agentId).stream({ ...callOptions(body, runtime), context, signal, resourceId })),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/chat', summary: 'Chat with an agent (AI SDK useChat stream)', tags,
    permission: execute, params: agentParams, body: chatBody,
    handler: async ({ params, body, context, signal, resourceId, runtime }) => {
      assertMessageCount(body.messages.length, runtime.limits.messagesPerCall)
      const stream = await runtime.getAgent(params.agentId).chat({
        id: body.id,
        messages: body.messages as UIMessage[],
        memory: body.memory,
        trigger: body.trigger,
        messageId: body.messageId,
        context,
        signal,
        resourceId,
      })
      return uiMessageStream(stream)
    },
  }),
]
