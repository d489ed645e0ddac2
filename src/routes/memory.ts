import { randomUUID } from 'node:crypto'
import { conflict, invalid, notFound } from '../core/errors.js'
import { assertMessageCount } from '../core/limits.js'
import { defineRoute, type Route } from '../http/route.js'
import type { Memory } from '../memory/memory.js'
import { contentFromInput, toUIMessages } from '../memory/message-format.js'
import { WorkingMemory } from '../memory/working-memory.js'
import * as wire from '../memory/wire-schemas.js'
import type { Services } from '../services/services.js'
import type { ListThreadsQuery, StoredMessage, Store, Thread } from '../storage/types.js'

const tags = ['memory']
const read = 'memory:read'
const write = 'memory:write'

/**
 * The store a request works on: the agent's memory store with `?agentId` (unknown agent → 404),
 * else the runtime's. An agent without memory falls back to the runtime's store, as Mastra does.
 */
function memoryOf(runtime: Services, agentId: string | undefined): { store: Store; memory?: Memory } {
  if (agentId === undefined) return { store: runtime.store }
  const memory = runtime.getAgent(agentId).memory
  return memory ? { store: memory.store, memory } : { store: runtime.store }
}

/** The thread, or 404 when it is missing or, for a scoped caller, owned by another resource. */
async function visibleThread(store: Store, threadId: string, scope: string | undefined): Promise<Thread> {
  const thread = await store.threads.getThread(threadId)
  if (!thread || (scope !== undefined && thread.resourceId !== scope)) throw notFound('Thread not found')
  return thread
}

function pageInfo(total: number, page: number, perPage: number) {
  return { total, page, perPage, hasMore: (page + 1) * perPage < total }
}

/** `?orderBy=updatedAt&sortDirection=ASC`, or Mastra's JSON form `?orderBy={"field","direction"}`. */
function threadOrder(
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

function messageIdsOf(input: string | { id: string } | Array<string | { id: string }>): string[] {
  const list = Array.isArray(input) ? input : [input]
  return [...new Set(list.map((ref) => (typeof ref === 'string' ? ref : ref.id)))]
}

function dateOf(value: string | number | undefined, field: string): Date {
  if (value === undefined) return new Date()
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) throw invalid(field, 'not a valid date')
  return date
}

export const memoryRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/memory/threads', summary: 'List threads', tags, permission: read,
    query: wire.listThreadsQuery, response: wire.threadPageResponse,
    handler: async ({ query, runtime, resourceId }) => {
      const { store } = memoryOf(runtime, query.agentId)
      const perPage = Math.min(query.perPage, wire.MAX_PER_PAGE)
      const { items, total } = await store.threads.listThreads({
        resourceId: resourceId ?? query.resourceId,
        page: query.page,
        perPage,
        ...threadOrder(query.orderBy, query.sortDirection),
      })
      return { threads: items, ...pageInfo(total, query.page, perPage) }
    },
  }),
  defineRoute({
    method: 'POST', path: '/memory/threads', summary: 'Create a thread', tags, permission: write,
    query: wire.agentQuery, body: wire.createThreadBody, response: wire.threadResponse,
    handler: async ({ query, body, runtime, resourceId }) => {
      const { store } = memoryOf(runtime, query.agentId)
      const owner = resourceId ?? body.resourceId
      if (owner === undefined) throw invalid('resourceId', 'Required')
      const now = new Date()
      const thread: Thread = {
        id: body.threadId ?? randomUUID(),
        resourceId: owner,
        title: body.title ?? null,
        metadata: body.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      }
      if (!(await store.threads.createThread(thread))) throw conflict(`Thread ${thread.id} already exists`)
      return thread
    },
  }),
  defineRoute({
    method: 'GET', path: '/memory/threads/:threadId', summary: 'Get a thread', tags, permission: read,
    params: wire.threadParams, query: wire.agentQuery, response: wire.threadResponse,
    handler: async ({ params, query, runtime, resourceId }) =>
      visibleThread(memoryOf(runtime, query.agentId).store, params.threadId, resourceId),
  }),
  defineRoute({
    method: 'PATCH', path: '/memory/threads/:threadId', summary: 'Update a thread’s title or metadata', tags,
    permission: write, params: wire.threadParams, query: wire.agentQuery, body: wire.updateThreadBody,
    response: wire.threadResponse,
    handler: async ({ params, query, body, runtime, resourceId }) => {
      const { store } = memoryOf(runtime, query.agentId)
      await visibleThread(store, params.threadId, resourceId)
      const updated = await store.threads.updateThread(params.threadId, { title: body.title, metadata: body.metadata })
      if (!updated) throw notFound('Thread not found')
      return updated
    },
  }),
  defineRoute({
    method: 'DELETE', path: '/memory/threads/:threadId', summary: 'Delete a thread and its messages', tags,
    permission: write, params: wire.threadParams, query: wire.agentQuery,
    handler: async ({ params, query, runtime, resourceId }) => {
      const { store } = memoryOf(runtime, query.agentId)
      await visibleThread(store, params.threadId, resourceId)
      await store.threads.deleteThread(params.threadId)
      return { result: 'Thread deleted' }
    },
  }),
  defineRoute({
    method: 'GET', path: '/memory/threads/:threadId/messages', summary: 'List a thread’s messages, oldest first',
    tags, permission: read, params: wire.threadParams, query: wire.listMessagesQuery,
    response: wire.messagePageResponse,
    handler: async ({ params, query, runtime, resourceId }) => {
      const { store } = memoryOf(runtime, query.agentId)
      await visibleThread(store, params.threadId, resourceId)
      const perPage = Math.min(query.perPage, wire.MAX_PER_PAGE)
      const { items, total } = await store.threads.listMessages({ threadId: params.threadId, page: query.page, perPage })
      return { messages: items, ...pageInfo(total, query.page, perPage), uiMessages: toUIMessages(items) }
    },
  }),
  defineRoute({
    method: 'POST', path: '/memory/save-messages', summary: 'Save messages (upsert by id)', tags, permission: write,
    query: wire.agentQuery, body: wire.saveMessagesBody,
    handler: async ({ query, body, runtime, resourceId }) => {
      assertMessageCount(body.messages.length, runtime.limits.messagesPerCall)
      const { store } = memoryOf(runtime, query.agentId)
      const messages: StoredMessage[] = body.messages.map((m, i) => {
        const owner = resourceId ?? m.resourceId
        if (owner === undefined) throw invalid(`messages.${i}.resourceId`, 'Required')
        return {
          id: m.id ?? randomUUID(),
          content: contentFromInput({ content: m.content, parts: m.parts, metadata: m.metadata }),
          role: m.role,
          createdAt: dateOf(m.createdAt, `messages.${i}.createdAt`),
          threadId: m.threadId,
          resourceId: owner,
        }
      })
      // A missing thread is created for the message's resource, as Mastra allows saving first:
      // in the store's transaction with the messages, so a refused batch leaves nothing behind.
      const checked = new Set<string>()
      const missing: Thread[] = []
      const now = new Date()
      for (const message of messages) {
        if (checked.has(message.threadId)) continue
        checked.add(message.threadId)
        const thread = await store.threads.getThread(message.threadId)
        if (!thread) {
          missing.push({ id: message.threadId, resourceId: message.resourceId, title: null, metadata: {}, createdAt: now, updatedAt: now })
        } else if (resourceId !== undefined && thread.resourceId !== resourceId) throw notFound('Thread not found')
      }
      return { messages: await store.threads.saveMessages(messages, missing) }
    },
  }),
  defineRoute({
    method: 'POST', path: '/memory/messages/delete', summary: 'Delete messages by id', tags, permission: write,
    query: wire.agentQuery, body: wire.deleteMessagesBody,
    handler: async ({ query, body, runtime, resourceId }) => {
      const { store } = memoryOf(runtime, query.agentId)
      const ids = messageIdsOf(body.messageIds)
      const found = await store.threads.getMessages(ids)
      const byId = new Map(found.map((m) => [m.id, m]))
      const owners = new Map<string, string | undefined>()
      for (const id of ids) {
        const message = byId.get(id)
        if (message && resourceId !== undefined && !owners.has(message.threadId)) {
          owners.set(message.threadId, (await store.threads.getThread(message.threadId))?.resourceId)
        }
        // Another resource's message answers exactly like a missing one.
        if (!message || (resourceId !== undefined && owners.get(message.threadId) !== resourceId)) {
          throw notFound(`Message ${id} not found`)
        }
      }
      const count = await store.threads.deleteMessages(ids)
      return { success: true, message: `${count} message${count === 1 ? '' : 's'} deleted` }
    },
  }),
  defineRoute({
    method: 'POST', path: '/memory/threads/:threadId/clone', summary: 'Copy a thread and its messages', tags,
    permission: write, params: wire.threadParams, query: wire.agentQuery, body: wire.cloneThreadBody,
    response: wire.cloneResponse,
    handler: async ({ params, query, body, runtime, resourceId }) => {
      const { store } = memoryOf(runtime, query.agentId)
      const source = await visibleThread(store, params.threadId, resourceId)
      const now = new Date()
      const thread: Thread = {
        id: body.newThreadId ?? randomUUID(),
        resourceId: resourceId ?? body.resourceId ?? source.resourceId,
        title: body.title !== undefined ? body.title : source.title === null ? null : `Clone of ${source.title}`,
        metadata: { ...(body.metadata ?? source.metadata), clone: { sourceThreadId: source.id, clonedAt: now.toISOString() } },
        createdAt: now,
        updatedAt: now,
      }
      const clonedMessages = await store.threads.cloneThread({
        sourceThreadId: source.id,
        thread,
        messageLimit: body.options?.messageLimit,
      })
      return { thread, clonedMessages }
    },
  }),
  defineRoute({
    method: 'GET', path: '/memory/threads/:threadId/working-memory', summary: 'Get a thread’s working memory', tags,
    permission: read, params: wire.threadParams, query: wire.agentQuery, response: wire.workingMemoryResponse,
    handler: async ({ params, query, runtime, resourceId }) => {
      const { store, memory } = memoryOf(runtime, query.agentId)
      const thread = await visibleThread(store, params.threadId, resourceId)
      const workingMemory = memory?.workingMemory ?? new WorkingMemory({}, () => store)
      const target = { threadId: thread.id, resourceId: thread.resourceId }
      return { workingMemory: await workingMemory.read(target), source: workingMemory.scope }
    },
  }),
  defineRoute({
    method: 'POST', path: '/memory/threads/:threadId/working-memory', summary: 'Set a thread’s working memory', tags,
    permission: write, params: wire.threadParams, query: wire.agentQuery, body: wire.workingMemoryBody,
    handler: async ({ params, query, body, runtime, resourceId }) => {
      const { store, memory } = memoryOf(runtime, query.agentId)
      const thread = await visibleThread(store, params.threadId, resourceId)
      const workingMemory = memory?.workingMemory ?? new WorkingMemory({}, () => store)
      await workingMemory.replace({ threadId: thread.id, resourceId: thread.resourceId }, body.workingMemory)
      return { success: true }
    },
  }),
]
