import { MockLanguageModelV3 } from 'ai/test'
import { Agent } from '../../src/agents/agent.js'
import type { Principal } from '../../src/core/context.js'
import type { MountOptions } from '../../src/http/dispatch.js'
import { Memory } from '../../src/memory/memory.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import { openTestStore } from '../harness/stores.js'
import { apiClient, hostUser, PREFIX, type ApiClient, type HostFactory, type TestHost, ALICE, BOB } from '../harness/hosts.js'
import { call, type JsonResponse } from '../harness/http.js'

export { ALICE, BOB }

/** Every memory route with a valid request, for checks that must hold on all of them. */
export function memoryRequests(threadId: string): Array<{ method: string; path: string; json?: unknown }> {
  return [
    { method: 'GET', path: '/memory/threads' },
    { method: 'POST', path: '/memory/threads', json: { title: 'x' } },
    { method: 'GET', path: `/memory/threads/${threadId}` },
    { method: 'PATCH', path: `/memory/threads/${threadId}`, json: { title: 'renamed' } },
    { method: 'DELETE', path: `/memory/threads/${threadId}` },
    { method: 'GET', path: `/memory/threads/${threadId}/messages` },
    { method: 'POST', path: '/memory/save-messages', json: { messages: [{ threadId, role: 'user', content: 'hi' }] } },
    { method: 'POST', path: '/memory/messages/delete', json: { messageIds: ['m-1'] } },
    { method: 'POST', path: `/memory/threads/${threadId}/clone`, json: {} },
    { method: 'POST', path: `/memory/threads/${threadId}/transfer`, json: { resourceId: 'alice' } },
    { method: 'GET', path: `/memory/threads/${threadId}/working-memory` },
    { method: 'POST', path: `/memory/threads/${threadId}/working-memory`, json: { workingMemory: 'notes' } },
  ]
}

/** A signed-in (or anonymous) caller of one mounted app. */
export interface MemoryClient extends ApiClient {
  /** Creates a thread and returns it, failing loudly on anything but 200. */
  thread(body?: Record<string, unknown>): Promise<any>
  /** Saves `texts` as alternating user/assistant messages with ids `<threadId>-<n>`. */
  save(threadId: string, texts: string[]): Promise<any[]>
}

export function clientOf(host: TestHost, token?: string): MemoryClient {
  const client: MemoryClient = {
    ...apiClient(host, token),
    async thread(body = {}) {
      const res = await client.post('/memory/threads', body)
      if (res.status !== 200) throw new Error(`creating a thread answered ${res.status}: ${res.text}`)
      return res.body
    },
    async save(threadId, texts) {
      const messages = texts.map((text, i) => ({
        id: `${threadId}-${i + 1}`,
        threadId,
        role: i % 2 === 0 ? 'user' : 'assistant',
        content: text,
      }))
      const res = await client.post('/memory/save-messages', { messages })
      if (res.status !== 200) throw new Error(`saving messages answered ${res.status}: ${res.text}`)
      return res.body.messages
    },
  }
  return client
}

/** A host app mounting a runtime on a SQLite store, with the agents the memory routes name. */
export interface MemoryApp {
  runtime: Runtime
  host: TestHost
  /** Errors the mount answered as 500; a passing test leaves this empty. */
  unexpected: unknown[]
  as(token?: string): MemoryClient
  close(): Promise<void>
}

function mockModel() {
  return new MockLanguageModelV3({
    doGenerate: async () => {
      throw new Error('memory routes never call the model')
    },
  })
}

/**
 * Agents: `helper` keeps memory in the runtime's store, `archivist` in a store of its own,
 * `notes` has thread-scoped working memory with a template, `plain` has no memory.
 */
export async function startMemoryApp(
  factory: HostFactory,
  options: { parser?: boolean; path?: string; resourceId?: (principal: Principal) => string | undefined } = {},
): Promise<MemoryApp> {
  const store = openTestStore(options.path)
  const archive = openTestStore()
  const agent = (id: string, memory: Memory) => new Agent({ id, instructions: 'Help.', model: mockModel(), memory })
  const runtime = createRuntime({
    store,
    agents: {
      helper: agent('helper', new Memory()),
      archivist: agent('archivist', new Memory({ store: archive })),
      notes: agent('notes', new Memory({ workingMemory: { scope: 'thread', template: '# Notes' } })),
      plain: new Agent({ id: 'plain', instructions: 'Help.', model: mockModel() }),
    },
  })
  const unexpected: unknown[] = []
  const mount: MountOptions = {
    auth: { authenticate: (req) => hostUser(req.host) ?? null, resourceId: options.resourceId ?? ((p) => p.id) },
    onError: (err) => unexpected.push(err),
  }
  const host = await factory.create({ runtime, mount, parser: options.parser ?? false })
  return {
    runtime,
    host,
    unexpected,
    as: (token) => clientOf(host, token),
    async close() {
      await host.close()
      // As an app shuts down: the runtime lets the runs that just answered their callers be stored, then closes the store.
      await runtime.close()
      await archive.close()
    },
  }
}


export const THREAD_KEYS = ['id', 'resourceId', 'title', 'metadata', 'createdAt', 'updatedAt']
export const MESSAGE_KEYS = ['id', 'content', 'role', 'createdAt', 'threadId', 'resourceId']
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
export const NOT_FOUND = { error: 'Thread not found', code: 'NOT_FOUND' }
