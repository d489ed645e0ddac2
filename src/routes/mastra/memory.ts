import { newId } from '../../core/ids.js'
import { z } from 'zod'
import { invalid } from '../../core/errors.js'
import { idSchema } from '../../core/limits.js'
import { contentFromInput } from '../../memory/message-format.js'
import type { Memory } from '../../memory/memory.js'
import type { MessageToSave } from '../../services/threads.js'
import type { ListThreadsQuery, MessageSearchHit } from '../../storage/types.js'

/** Largest page any memory listing returns; bigger requests are clamped to it. */
export const MAX_PER_PAGE = 1000
export const DEFAULT_THREADS_PER_PAGE = 100
export const DEFAULT_MESSAGES_PER_PAGE = 40

const record = z.record(z.string(), z.unknown())
const part = z.looseObject({ type: z.string() })
const agentId = idSchema().optional().describe('Use this agent’s memory store (Mastra clients send it)')
const page = z.coerce.number().int().min(0).default(0).describe('0-based page number')
const perPage = (fallback: number) =>
  z.coerce.number().int().min(1).default(fallback).describe(`Page size (default ${fallback}, at most ${MAX_PER_PAGE})`)

export const agentQuery = z.object({ agentId })
export const threadParams = z.object({ threadId: idSchema() })

export const listThreadsQuery = z.object({
  agentId,
  resourceId: idSchema().optional(),
  page,
  perPage: perPage(DEFAULT_THREADS_PER_PAGE),
  orderBy: z
    .string()
    .optional()
    .describe('createdAt (default) or updatedAt; Mastra’s JSON form {"field","direction"} is accepted too'),
  sortDirection: z.enum(['ASC', 'DESC', 'asc', 'desc']).optional(),
  // How @mastra/client-js sends the order.
  'orderBy[field]': z.enum(['createdAt', 'updatedAt']).optional(),
  'orderBy[direction]': z.enum(['ASC', 'DESC', 'asc', 'desc']).optional(),
})

export const listMessagesQuery = z.object({ agentId, page, perPage: perPage(DEFAULT_MESSAGES_PER_PAGE) })

export const requiredAgentQuery = z.object({ agentId: idSchema().describe('The agent whose memory is described') })

export const searchQuery = z.object({
  agentId,
  searchQuery: z.string().min(1).max(1000).describe('Words to find (lexical: every word, or a word’s start, must occur)'),
  resourceId: idSchema().optional().describe('Whose messages, when auth does not scope the request'),
  threadId: idSchema().optional().describe('Only this thread’s messages'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
})

export const transferBody = z.object({ resourceId: idSchema().describe('The resource that gets the thread and its messages') })

export const createThreadBody = z.object({
  resourceId: idSchema().optional().describe('Required unless auth scopes the request to a resource'),
  title: z.string().nullable().optional(),
  metadata: record.optional(),
  threadId: idSchema().optional(),
})

export const updateThreadBody = z.object({ title: z.string().nullable().optional(), metadata: record.optional() })

const formatTwoContent = z.looseObject({
  format: z.literal(2),
  parts: z.array(part),
  content: z.string().optional(),
  metadata: record.optional(),
})

export const saveMessagesBody = z.object({
  messages: z.array(
    z
      .object({
        id: idSchema().optional(),
        threadId: idSchema(),
        resourceId: idSchema().optional(),
        role: z.enum(['user', 'assistant', 'system']),
        content: z.union([z.string(), formatTwoContent, z.array(part)]).optional(),
        parts: z.array(part).optional(),
        metadata: record.optional(),
        createdAt: z.union([z.string(), z.number()]).optional(),
      })
      .refine((m) => m.content !== undefined || m.parts !== undefined, {
        message: 'content or parts is required',
        path: ['content'],
      }),
  ),
})

const messageRef = z.union([idSchema(), z.object({ id: idSchema() })])
export const deleteMessagesBody = z.object({ messageIds: z.union([messageRef, z.array(messageRef)]) })

export const cloneThreadBody = z.object({
  newThreadId: idSchema().optional(),
  resourceId: idSchema().optional(),
  title: z.string().nullable().optional(),
  metadata: record.optional(),
  options: z.object({ messageLimit: z.number().int().min(1).optional() }).optional(),
})

export const workingMemoryBody = z.object({
  workingMemory: z.union([z.string(), record]).describe('Text (template mode) or an object / JSON text (schema mode)'),
})

// Response shapes, for OpenAPI: dates travel as ISO strings.
const date = z.string().describe('ISO 8601')
export const threadResponse = z.object({
  id: z.string(),
  resourceId: z.string(),
  title: z.string().nullable(),
  metadata: record,
  createdAt: date,
  updatedAt: date,
})
export const messageResponse = z.object({
  id: z.string(),
  content: formatTwoContent,
  role: z.enum(['user', 'assistant', 'system']),
  createdAt: date,
  threadId: z.string(),
  resourceId: z.string(),
})
const uiMessage = z.looseObject({ id: z.string(), role: z.string(), parts: z.array(part), metadata: z.unknown().optional() })
const pageFields = { total: z.number(), page: z.number(), perPage: z.number(), hasMore: z.boolean() }
export const threadPageResponse = z.object({ threads: z.array(threadResponse), ...pageFields })
export const messagePageResponse = z.object({
  messages: z.array(messageResponse),
  ...pageFields,
  uiMessages: z.array(uiMessage),
})
export const cloneResponse = z.object({ thread: threadResponse, clonedMessages: z.array(messageResponse) })
export const memoryStatusResponse = z.object({ result: z.boolean(), memoryType: z.literal('local') })
export const memoryConfigResponse = z.object({
  memoryType: z.literal('local'),
  config: z
    .object({
      lastMessages: z.number(),
      semanticRecall: z.literal(false),
      workingMemory: z.looseObject({ enabled: z.boolean(), scope: z.enum(['thread', 'resource']) }),
    })
    .nullable(),
})
export const searchResponse = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      role: z.string(),
      content: z.string(),
      createdAt: date,
      threadId: z.string(),
      threadTitle: z.string().optional(),
      score: z.number().describe('Relevance within this response; higher is better'),
    }),
  ),
  count: z.number(),
  query: z.string(),
  searchScope: z.enum(['thread', 'resource']),
  searchType: z.literal('lexical'),
})
export const workingMemoryResponse = z.object({
  workingMemory: z.string().nullable(),
  source: z.enum(['thread', 'resource']),
})

// ---- from the wire ----------------------------------------------------------

/** `?orderBy=updatedAt&sortDirection=ASC`, or Mastra's JSON form `?orderBy={"field","direction"}`. */
export function threadOrder(
  orderBy: string | undefined,
  sortDirection: string | undefined,
): Pick<ListThreadsQuery, 'orderBy' | 'direction'> {
  let field: unknown = orderBy
  let direction: unknown = sortDirection
  if (orderBy?.startsWith('{')) {
    let parsed: { field?: unknown; direction?: unknown }
    try {
      parsed = JSON.parse(orderBy)
    } catch {
      throw invalid('orderBy', 'expected createdAt, updatedAt or {"field","direction"}')
    }
    field = parsed.field
    direction = sortDirection ?? parsed.direction
  }
  field ??= 'createdAt'
  direction = typeof direction === 'string' ? direction.toUpperCase() : 'DESC'
  if (field !== 'createdAt' && field !== 'updatedAt') throw invalid('orderBy', 'expected createdAt or updatedAt')
  if (direction !== 'ASC' && direction !== 'DESC') throw invalid('sortDirection', 'expected ASC or DESC')
  return { orderBy: field, direction }
}

/** `messageIds` as Mastra clients send it: one id, ids, or `{ id }` objects; duplicates dropped. */
export function messageIdsOf(input: z.infer<typeof deleteMessagesBody>['messageIds']): string[] {
  const list = Array.isArray(input) ? input : [input]
  return [...new Set(list.map((ref) => (typeof ref === 'string' ? ref : ref.id)))]
}

function dateOf(value: string | number | undefined, field: string): Date {
  if (value === undefined) return new Date()
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) throw invalid(field, 'not a valid date')
  return date
}

/** The save-messages body as messages to store; the owner is settled by the thread service. */
export function messagesToSave(body: z.infer<typeof saveMessagesBody>): MessageToSave[] {
  return body.messages.map((m, i) => ({
    id: m.id ?? newId(),
    content: contentFromInput({ content: m.content, parts: m.parts, metadata: m.metadata }),
    role: m.role,
    createdAt: dateOf(m.createdAt, `messages.${i}.createdAt`),
    threadId: m.threadId,
    resourceId: m.resourceId,
  }))
}

/** A listing's page fields, and whether another page follows. */
export function pageInfo(total: number, page: number, perPage: number) {
  return { total, page, perPage, hasMore: (page + 1) * perPage < total }
}

// ---- to the wire --------------------------------------------------------------

/** Mastra's memory config of an agent: what we have of it (no semantic recall: search is lexical). */
export function memoryConfig(memory: Memory | undefined) {
  if (!memory) return { memoryType: 'local' as const, config: null }
  const { workingMemory } = memory
  const shape = workingMemory.schema ? { schema: z.toJSONSchema(workingMemory.schema) } : workingMemory.template !== undefined ? { template: workingMemory.template } : {}
  return {
    memoryType: 'local' as const,
    config: {
      lastMessages: memory.lastMessages,
      semanticRecall: false as const,
      workingMemory: { enabled: workingMemory.enabled, scope: workingMemory.scope, ...shape },
    },
  }
}

/** Mastra's search answer: each hit with its text, its thread and its score. */
export function searchResult(query: string, threadId: string | undefined, hits: MessageSearchHit[]) {
  const results = hits.map(({ message, threadTitle, score }) => ({
    id: message.id,
    role: message.role,
    content: message.content.content ?? '',
    createdAt: message.createdAt.toISOString(),
    threadId: message.threadId,
    ...(threadTitle === null ? {} : { threadTitle }),
    score,
  }))
  return { results, count: results.length, query, searchScope: threadId === undefined ? 'resource' : 'thread', searchType: 'lexical' } as const
}
