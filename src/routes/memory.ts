import { defineRoute, type HandlerArgs, type Route } from '../http/route.js'
import { toUIMessages } from '../memory/message-format.js'
import type { ThreadCaller } from '../services/threads.js'
import * as wire from './mastra/memory.js'

const tags = ['memory']
const read = 'memory:read'
const write = 'memory:write'

/** The caller's scope, and the agent whose memory `?agentId` names. */
function caller({ query, resourceId }: HandlerArgs<unknown, { agentId?: string }>): ThreadCaller {
  return { resourceId, agentId: query.agentId }
}

export const memoryRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/memory/threads', summary: 'List threads', tags, permission: read,
    query: wire.listThreadsQuery, response: wire.threadPageResponse,
    handler: async (args) => {
      const { query } = args
      const perPage = Math.min(query.perPage, wire.MAX_PER_PAGE)
      const { items, total } = await args.runtime.threads.list(caller(args), {
        resourceId: query.resourceId,
        page: query.page,
        perPage,
        ...wire.threadOrder(query.orderBy ?? query['orderBy[field]'], query.sortDirection ?? query['orderBy[direction]']),
      })
      return { threads: items, ...wire.pageInfo(total, query.page, perPage) }
    },
  }),
  defineRoute({
    method: 'POST', path: '/memory/threads', summary: 'Create a thread', tags, permission: write,
    query: wire.agentQuery, body: wire.createThreadBody, response: wire.threadResponse,
    handler: (args) => args.runtime.threads.create(caller(args), args.body),
  }),
  defineRoute({
    method: 'GET', path: '/memory/status', summary: 'Whether an agent keeps memory', tags, permission: read,
    query: wire.requiredAgentQuery, response: wire.memoryStatusResponse,
    handler: ({ query, runtime }) => ({ result: runtime.agents.get(query.agentId).memory !== undefined, memoryType: 'local' as const }),
  }),
  defineRoute({
    method: 'GET', path: '/memory/config', summary: 'An agent’s memory configuration', tags, permission: read,
    query: wire.requiredAgentQuery, response: wire.memoryConfigResponse,
    handler: ({ query, runtime }) => wire.memoryConfig(runtime.agents.get(query.agentId).memory),
  }),
  defineRoute({
    method: 'GET', path: '/memory/search', summary: 'Search the caller’s messages by words (lexical, ranked)', tags,
    permission: read, query: wire.searchQuery, response: wire.searchResponse,
    handler: async (args) => {
      const { searchQuery, resourceId, threadId, limit } = args.query
      const hits = await args.runtime.threads.search(caller(args), { query: searchQuery, resourceId, threadId, limit })
      return wire.searchResult(searchQuery, threadId, hits)
    },
  }),
  defineRoute({
    method: 'GET', path: '/memory/threads/:threadId', summary: 'Get a thread', tags, permission: read,
    params: wire.threadParams, query: wire.agentQuery, response: wire.threadResponse,
    handler: (args) => args.runtime.threads.get(caller(args), args.params.threadId),
  }),
  defineRoute({
    method: 'PATCH', path: '/memory/threads/:threadId', summary: 'Update a thread’s title or metadata', tags,
    permission: write, params: wire.threadParams, query: wire.agentQuery, body: wire.updateThreadBody,
    response: wire.threadResponse,
    handler: (args) =>
      args.runtime.threads.update(caller(args), args.params.threadId, { title: args.body.title, metadata: args.body.metadata }),
  }),
  defineRoute({
    method: 'DELETE', path: '/memory/threads/:threadId', summary: 'Delete a thread and its messages', tags,
    permission: write, params: wire.threadParams, query: wire.agentQuery,
    handler: async (args) => {
      await args.runtime.threads.delete(caller(args), args.params.threadId)
      return { result: 'Thread deleted' }
    },
  }),
  defineRoute({
    method: 'GET', path: '/memory/threads/:threadId/messages', summary: 'List a thread’s messages, oldest first',
    tags, permission: read, params: wire.threadParams, query: wire.listMessagesQuery,
    response: wire.messagePageResponse,
    handler: async (args) => {
      const { page } = args.query
      const perPage = Math.min(args.query.perPage, wire.MAX_PER_PAGE)
      const { items, total } = await args.runtime.threads.listMessages(caller(args), args.params.threadId, { page, perPage })
      return { messages: items, ...wire.pageInfo(total, page, perPage), uiMessages: toUIMessages(items) }
    },
  }),
  defineRoute({
    method: 'POST', path: '/memory/save-messages', summary: 'Save messages (upsert by id)', tags, permission: write,
    query: wire.agentQuery, body: wire.saveMessagesBody,
    handler: async (args) => ({ messages: await args.runtime.threads.saveMessages(caller(args), wire.messagesToSave(args.body)) }),
  }),
  defineRoute({
    method: 'POST', path: '/memory/messages/delete', summary: 'Delete messages by id', tags, permission: write,
    query: wire.agentQuery, body: wire.deleteMessagesBody,
    handler: async (args) => {
      const count = await args.runtime.threads.deleteMessages(caller(args), wire.messageIdsOf(args.body.messageIds))
      return { success: true, message: `${count} message${count === 1 ? '' : 's'} deleted` }
    },
  }),
  defineRoute({
    method: 'POST', path: '/memory/threads/:threadId/clone', summary: 'Copy a thread and its messages', tags,
    permission: write, params: wire.threadParams, query: wire.agentQuery, body: wire.cloneThreadBody,
    response: wire.cloneResponse,
    handler: (args) =>
      args.runtime.threads.clone(caller(args), args.params.threadId, { ...args.body, messageLimit: args.body.options?.messageLimit }),
  }),
  defineRoute({
    method: 'POST', path: '/memory/threads/:threadId/transfer', summary: 'Give a thread and its messages to another resource',
    tags, permission: write, params: wire.threadParams, query: wire.agentQuery, body: wire.transferBody,
    response: wire.threadResponse,
    handler: (args) => args.runtime.threads.transfer(caller(args), args.params.threadId, args.body.resourceId),
  }),
  defineRoute({
    method: 'GET', path: '/memory/threads/:threadId/working-memory', summary: 'Get a thread’s working memory', tags,
    permission: read, params: wire.threadParams, query: wire.agentQuery, response: wire.workingMemoryResponse,
    handler: (args) => args.runtime.threads.getWorkingMemory(caller(args), args.params.threadId),
  }),
  defineRoute({
    method: 'POST', path: '/memory/threads/:threadId/working-memory', summary: 'Set a thread’s working memory', tags,
    permission: write, params: wire.threadParams, query: wire.agentQuery, body: wire.workingMemoryBody,
    handler: async (args) => {
      await args.runtime.threads.setWorkingMemory(caller(args), args.params.threadId, args.body.workingMemory)
      return { success: true }
    },
  }),
]
