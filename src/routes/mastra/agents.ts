import type { UIMessage } from 'ai'
import { z } from 'zod'
import type { AgentCallOptions, AgentChatOptions } from '../../agents/agent-types.js'
import type { MessageListInput } from '../../agents/messages.js'
import { idSchema } from '../../core/limits.js'
import type { ProviderUse } from '../../services/agents.js'

export const agentParams = z.object({ agentId: idSchema() })

// Messages are checked in depth by the agent (field paths like messages.0.content); here only the envelope.
export const callBody = z.looseObject({
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

export const chatBody = z.looseObject({
  id: idSchema().optional(),
  messages: z.array(z.unknown()).min(1),
  trigger: z.enum(['submit-message', 'regenerate-message']).optional(),
  messageId: z.string().optional(),
  memory: z.looseObject({ resource: idSchema().optional() }).optional(),
})

/** A generate or stream body as agent call options (the caller's context is added by the route). */
export function callOptions(body: z.infer<typeof callBody>): AgentCallOptions {
  return { messages: body.messages as MessageListInput, memory: body.memory, maxSteps: body.maxSteps, output: body.output }
}

/** A `useChat` body as chat options. */
export function chatOptions(body: z.infer<typeof chatBody>): AgentChatOptions {
  const { id, trigger, messageId, memory } = body
  return { id, messages: body.messages as UIMessage[], memory, trigger, messageId }
}

export const toolParams = z.object({ toolId: idSchema() })
export const executeToolBody = z.looseObject({ data: z.unknown() })

export const agentToolParams = agentParams.extend({ toolId: idSchema() })

/**
 * Mastra's `GET /agents/providers` entry for a provider the agents use. The app configured
 * these models itself, so each is `connected`; which variable holds its key is the app's
 * business (`envVar` is empty).
 */
export function providerEntry(use: ProviderUse) {
  return {
    id: use.provider,
    name: use.provider,
    label: use.provider,
    description: `Used by ${use.agents.join(', ')}`,
    envVar: [] as string[],
    connected: true,
    models: use.models,
  }
}

export const providersResponse = z.object({
  providers: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      label: z.string(),
      description: z.string(),
      envVar: z.array(z.string()),
      connected: z.boolean(),
      models: z.array(z.string()),
    }),
  ),
})
