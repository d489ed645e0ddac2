import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MockLanguageModelV3 } from 'ai/test'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { Memory } from '../../../src/memory/memory.js'
import { createRuntime, type Runtime } from '../../../src/runtime.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { callRoute as call, closeServers, failure } from '../../harness/node-client.js'

let store: SqliteStore
let agentStore: SqliteStore
let runtime: Runtime

beforeEach(() => {
  store = new SqliteStore(':memory:')
  agentStore = new SqliteStore(':memory:')
  // Only `memory` is read from an agent by these routes; the model is never called.
  const agent = (id: string, memory?: Memory) => new Agent({ id, instructions: 'x', model: new MockLanguageModelV3(), memory })
  const agents = {
    profiled: agent('profiled', new Memory({ store: agentStore, workingMemory: { schema: z.object({ name: z.string(), tags: z.array(z.string()) }) } })),
    perThread: agent('perThread', new Memory({ workingMemory: { scope: 'thread', template: '# Notes' } })),
    plain: agent('plain'),
  }
  runtime = createRuntime({ store, agents })
})
afterEach(async () => {
  await closeServers()
  await store.close()
  await agentStore.close()
})

const thread = (id: string, resourceId = 'alice', extra: Record<string, unknown> = {}) =>
  call(runtime, 'POST', '/memory/threads', { body: { threadId: id, resourceId, ...extra } })
const save = (threadId: string, texts: string[], resourceId = 'alice', scope?: string) =>
  call(runtime, 'POST', '/memory/save-messages', {
    resourceId: scope,
    body: { messages: texts.map((text, i) => ({ id: `${threadId}-${text}`, threadId, resourceId, role: i % 2 ? 'assistant' : 'user', content: text })) },
  })

describe('threads routes', () => {
  it('creates a thread in Mastra’s shape and refuses a duplicate id with 409', async () => {
    const created = await thread('t1', 'alice', { title: 'wire', metadata: { a: 1 } })
    expect(created).toEqual({ id: 't1', resourceId: 'alice', title: 'wire', metadata: { a: 1 }, createdAt: expect.any(String), updatedAt: created.createdAt })
    expect(await failure(thread('t1'))).toMatchObject({ status: 409, code: 'CONFLICT' })
    const generated = await call(runtime, 'POST', '/memory/threads', { body: { resourceId: 'alice' } })
    expect(generated.id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('requires resourceId when unscoped and takes the caller’s scope over the body’s', async () => {
    expect(await failure(call(runtime, 'POST', '/memory/threads', { body: {} }))).toMatchObject({ status: 400, issues: [{ field: 'resourceId' }] })
    const scoped = await call(runtime, 'POST', '/memory/threads', { resourceId: 'alice', body: { resourceId: 'mallory', threadId: 's1' } })
    expect(scoped.resourceId).toBe('alice')
  })

  it('lists with Mastra’s page envelope, clamps perPage and answers past the end with the total', async () => {
    for (let i = 0; i < 3; i++) await thread(`t${i}`)
    await thread('b1', 'bob')
    const list = await call(runtime, 'GET', '/memory/threads', { query: { resourceId: 'alice' } })
    expect(list).toMatchObject({ total: 3, page: 0, perPage: 100, hasMore: false })
    expect(list.threads.map((t: { id: string }) => t.id)).toEqual(['t2', 't1', 't0'])
    expect(await call(runtime, 'GET', '/memory/threads', { query: { resourceId: 'alice', perPage: '2' } })).toMatchObject({ hasMore: true })
    expect(await call(runtime, 'GET', '/memory/threads', { query: { perPage: '5000' } })).toMatchObject({ perPage: 1000, total: 4 })
    expect(await call(runtime, 'GET', '/memory/threads', { query: { resourceId: 'alice', page: '7', perPage: '2' } })).toEqual({
      threads: [], total: 3, page: 7, perPage: 2, hasMore: false,
    })
    const oldestFirst = await call(runtime, 'GET', '/memory/threads', { query: { resourceId: 'alice', orderBy: '{"field":"createdAt","direction":"ASC"}' } })
    expect(oldestFirst.threads[0].id).toBe('t0')
  })

  it.each(['0', '-3', 'abc', ''])('rejects perPage=%j with a 400 naming the field', async (perPage) => {
    expect(await failure(call(runtime, 'GET', '/memory/threads', { query: { perPage } }))).toMatchObject({
      status: 400, code: 'VALIDATION_ERROR', issues: [{ field: 'perPage' }],
    })
  })

  it('rejects a negative page and an unknown order', async () => {
    expect(await failure(call(runtime, 'GET', '/memory/threads', { query: { page: '-1' } }))).toMatchObject({ status: 400 })
    expect(await failure(call(runtime, 'GET', '/memory/threads', { query: { orderBy: 'title' } }))).toMatchObject({ status: 400 })
  })

  it('gets, patches and deletes a thread with its messages', async () => {
    await thread('t1', 'alice', { title: 'old', metadata: { a: 1 } })
    await save('t1', ['hi', 'hello'])
    const patched = await call(runtime, 'PATCH', '/memory/threads/:threadId', { params: { threadId: 't1' }, body: { title: 'new' } })
    expect(patched).toMatchObject({ title: 'new', metadata: { a: 1 } })
    expect(await call(runtime, 'GET', '/memory/threads/:threadId', { params: { threadId: 't1' } })).toMatchObject({ title: 'new' })
    expect(await call(runtime, 'DELETE', '/memory/threads/:threadId', { params: { threadId: 't1' } })).toEqual({ result: 'Thread deleted' })
    expect(await store.threads.getMessages(['t1-hi'])).toEqual([])
    expect(await failure(call(runtime, 'GET', '/memory/threads/:threadId', { params: { threadId: 't1' } }))).toMatchObject({ status: 404, code: 'NOT_FOUND' })
  })
})

describe('resource scoping', () => {
  beforeEach(async () => {
    await thread('alice-t', 'alice')
    await thread('bob-t', 'bob')
    await save('bob-t', ['secret'], 'bob')
  })
  const params = { threadId: 'bob-t' }
  const asAlice = { resourceId: 'alice', params }

  it('lists only the caller’s threads whatever resourceId the client sends', async () => {
    const list = await call(runtime, 'GET', '/memory/threads', { resourceId: 'alice', query: { resourceId: 'bob' } })
    expect(list.threads.map((t: { id: string }) => t.id)).toEqual(['alice-t'])
    expect(list.total).toBe(1)
  })

  it('answers 404 for another resource’s thread on every route', async () => {
    const attempts = [
      call(runtime, 'GET', '/memory/threads/:threadId', asAlice),
      call(runtime, 'PATCH', '/memory/threads/:threadId', { ...asAlice, body: { title: 'x' } }),
      call(runtime, 'DELETE', '/memory/threads/:threadId', asAlice),
      call(runtime, 'GET', '/memory/threads/:threadId/messages', asAlice),
      call(runtime, 'POST', '/memory/threads/:threadId/clone', { ...asAlice, body: {} }),
      call(runtime, 'GET', '/memory/threads/:threadId/working-memory', asAlice),
      call(runtime, 'POST', '/memory/threads/:threadId/working-memory', { ...asAlice, body: { workingMemory: 'x' } }),
      save('bob-t', ['injected'], 'alice', 'alice'),
      call(runtime, 'POST', '/memory/messages/delete', { resourceId: 'alice', body: { messageIds: ['bob-t-secret'] } }),
    ].map(failure)
    for (const attempt of attempts) expect(await attempt).toMatchObject({ status: 404, code: 'NOT_FOUND' })
    expect(await store.threads.getThread('bob-t')).toMatchObject({ title: null })
    expect(await store.threads.getMessages(['bob-t-secret', 'bob-t-injected'])).toHaveLength(1)
  })
})

describe('message routes', () => {
  beforeEach(async () => {
    await thread('t1')
  })

  it('lists messages oldest first with uiMessages, paged', async () => {
    await save('t1', ['one', 'two', 'three'])
    const page = await call(runtime, 'GET', '/memory/threads/:threadId/messages', { params: { threadId: 't1' }, query: { perPage: '2' } })
    expect(Object.keys(page)).toEqual(['messages', 'total', 'page', 'perPage', 'hasMore', 'uiMessages'])
    expect(page).toMatchObject({ total: 3, page: 0, perPage: 2, hasMore: true })
    expect(page.messages[0]).toEqual({
      id: 't1-one', content: { format: 2, parts: [{ type: 'text', text: 'one' }], content: 'one' },
      role: 'user', createdAt: expect.any(String), threadId: 't1', resourceId: 'alice',
    })
    expect(page.uiMessages[1]).toEqual({ id: 't1-two', role: 'assistant', parts: [{ type: 'text', text: 'two' }] })
    const last = await call(runtime, 'GET', '/memory/threads/:threadId/messages', { params: { threadId: 't1' }, query: { page: '1', perPage: '2' } })
    expect(last.messages.map((m: { id: string }) => m.id)).toEqual(['t1-three'])
  })

  it('saves parts and format-2 content, and creates a missing thread for the message’s resource', async () => {
    const saved = await call(runtime, 'POST', '/memory/save-messages', {
      body: {
        messages: [
          { threadId: 'fresh', resourceId: 'carol', role: 'user', parts: [{ type: 'text', text: 'parts' }] },
          { threadId: 'fresh', resourceId: 'carol', role: 'assistant', content: { format: 2, parts: [{ type: 'text', text: 'f2' }] } },
        ],
      },
    })
    expect(saved.messages.map((m: { content: { content: string } }) => m.content.content)).toEqual(['parts', 'f2'])
    expect(await store.threads.getThread('fresh')).toMatchObject({ resourceId: 'carol' })
  })

  it('rejects an unscoped message without resourceId, and a message id taken by another thread', async () => {
    const missing = call(runtime, 'POST', '/memory/save-messages', { body: { messages: [{ threadId: 't1', role: 'user', content: 'x' }] } })
    expect(await failure(missing)).toMatchObject({ status: 400, issues: [{ field: 'messages.0.resourceId' }] })
    await thread('t2')
    await save('t2', ['shared'])
    const hijack = call(runtime, 'POST', '/memory/save-messages', { body: { messages: [{ id: 't2-shared', threadId: 't1', resourceId: 'alice', role: 'user', content: 'x' }] } })
    expect(await failure(hijack)).toMatchObject({ status: 409 })
  })

  it('deletes messages given as a string, ids or {id} objects, and 404s for an unknown id', async () => {
    await save('t1', ['a', 'b', 'c', 'd'])
    const del = (messageIds: unknown) => call(runtime, 'POST', '/memory/messages/delete', { body: { messageIds } })
    expect(await del('t1-a')).toEqual({ success: true, message: '1 message deleted' })
    expect(await del(['t1-b', { id: 't1-c' }])).toEqual({ success: true, message: '2 messages deleted' })
    expect(await failure(del(['t1-d', 'nope']))).toMatchObject({ status: 404 })
    expect(await store.threads.getMessages(['t1-d'])).toHaveLength(1)
  })

  it('clones a thread with new message ids, leaving the source untouched', async () => {
    await save('t1', ['one', 'two', 'three'])
    const { thread: copy, clonedMessages } = await call(runtime, 'POST', '/memory/threads/:threadId/clone', {
      params: { threadId: 't1' }, body: { newThreadId: 'copy', title: 'Copy', options: { messageLimit: 2 } },
    })
    expect(copy).toMatchObject({ id: 'copy', resourceId: 'alice', title: 'Copy', metadata: { clone: { sourceThreadId: 't1' } } })
    expect(clonedMessages.map((m: { content: { content: string } }) => m.content.content)).toEqual(['two', 'three'])
    expect(clonedMessages.some((m: { id: string }) => m.id.startsWith('t1-'))).toBe(false)
    expect((await store.threads.listMessages({ threadId: 't1', page: 0, perPage: 10 }))!.total).toBe(3)
    const again = call(runtime, 'POST', '/memory/threads/:threadId/clone', { params: { threadId: 't1' }, body: { newThreadId: 'copy' } })
    expect(await failure(again)).toMatchObject({ status: 409 })
  })
})

describe('agentId and working memory routes', () => {
  it('uses the agent’s memory store, 404s for an unknown agent, and falls back for an agent without memory', async () => {
    await call(runtime, 'POST', '/memory/threads', { query: { agentId: 'profiled' }, body: { threadId: 'p1', resourceId: 'alice' } })
    expect(await agentStore.threads.getThread('p1')).not.toBeNull()
    expect(await store.threads.getThread('p1')).toBeNull()
    expect(await failure(call(runtime, 'GET', '/memory/threads', { query: { agentId: 'ghost' } }))).toMatchObject({ status: 404 })
    await call(runtime, 'POST', '/memory/threads', { query: { agentId: 'plain' }, body: { threadId: 'r1', resourceId: 'alice' } })
    expect(await store.threads.getThread('r1')).not.toBeNull()
  })

  it('reads and sets template-mode working memory (no agent: resource scope, no template)', async () => {
    await thread('t1')
    const params = { threadId: 't1' }
    expect(await call(runtime, 'GET', '/memory/threads/:threadId/working-memory', { params })).toEqual({ workingMemory: null, source: 'resource' })
    expect(await call(runtime, 'POST', '/memory/threads/:threadId/working-memory', { params, body: { workingMemory: '# Alice' } })).toEqual({ success: true })
    expect(await call(runtime, 'GET', '/memory/threads/:threadId/working-memory', { params })).toEqual({ workingMemory: '# Alice', source: 'resource' })
  })

  it('starts a thread-scoped agent memory from its template', async () => {
    await call(runtime, 'POST', '/memory/threads', { query: { agentId: 'perThread' }, body: { threadId: 'n1', resourceId: 'alice' } })
    const got = await call(runtime, 'GET', '/memory/threads/:threadId/working-memory', { params: { threadId: 'n1' }, query: { agentId: 'perThread' } })
    expect(got).toEqual({ workingMemory: '# Notes', source: 'thread' })
  })

  it('validates schema-mode working memory and stores it as JSON', async () => {
    const opts = { params: { threadId: 'p1' }, query: { agentId: 'profiled' } }
    await call(runtime, 'POST', '/memory/threads', { query: { agentId: 'profiled' }, body: { threadId: 'p1', resourceId: 'alice' } })
    await call(runtime, 'POST', '/memory/threads/:threadId/working-memory', { ...opts, body: { workingMemory: { name: 'Alice', tags: ['x'] } } })
    const got = await call(runtime, 'GET', '/memory/threads/:threadId/working-memory', opts)
    expect(JSON.parse(got.workingMemory)).toEqual({ name: 'Alice', tags: ['x'] })
    const bad = call(runtime, 'POST', '/memory/threads/:threadId/working-memory', { ...opts, body: { workingMemory: { tags: 'x' } } })
    expect(await failure(bad)).toMatchObject({ status: 400, issues: [{ field: 'workingMemory' }] })
  })
})
