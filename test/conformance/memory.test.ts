import { validateUIMessages } from 'ai'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { eventually } from '../harness/http.js'
import {
  ALICE,
  ISO_DATE,
  MESSAGE_KEYS,
  memoryRequests,
  NOT_FOUND,
  startMemoryApp,
  THREAD_KEYS,
  type MemoryApp,
  type MemoryClient,
} from './memory-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

describe.each(hosts)('memory routes on $name', (factory) => {
  let app: MemoryApp
  let alice: MemoryClient

  beforeEach(async () => {
    app = await startMemoryApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  describe('threads', () => {
    it('creates a thread in Mastra’s shape and reads it back', async () => {
      const created = await alice.post('/memory/threads', { threadId: 't1', title: 'Trip', metadata: { a: 1 } })
      expect(created.status).toBe(200)
      expect(Object.keys(created.body)).toEqual(THREAD_KEYS)
      expect(created.body).toEqual({
        id: 't1', resourceId: 'alice', title: 'Trip', metadata: { a: 1 },
        createdAt: expect.stringMatching(ISO_DATE), updatedAt: created.body.createdAt,
      })
      const read = await alice.get('/memory/threads/t1')
      expect(read.status).toBe(200)
      expect(read.body).toEqual(created.body)
    })

    it('generates an id, a null title and empty metadata when none are sent', async () => {
      const thread = await alice.thread()
      expect(thread.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(thread).toMatchObject({ resourceId: 'alice', title: null, metadata: {} })
    })

    it('refuses a taken thread id with 409', async () => {
      await alice.thread({ threadId: 'dup' })
      const again = await alice.post('/memory/threads', { threadId: 'dup' })
      expect(again.status).toBe(409)
      expect(again.body).toEqual({ error: 'Thread dup already exists', code: 'CONFLICT' })
    })

    it('lists the caller’s threads newest first in Mastra’s page envelope', async () => {
      for (const id of ['t0', 't1', 't2']) await alice.thread({ threadId: id })
      const list = await alice.get('/memory/threads')
      expect(list.status).toBe(200)
      expect(Object.keys(list.body)).toEqual(['threads', 'total', 'page', 'perPage', 'hasMore'])
      expect(list.body).toMatchObject({ total: 3, page: 0, perPage: 100, hasMore: false })
      expect(list.body.threads.map((t: any) => t.id)).toEqual(['t2', 't1', 't0'])
      for (const thread of list.body.threads) expect(Object.keys(thread)).toEqual(THREAD_KEYS)
      const oldest = await alice.get('/memory/threads?sortDirection=ASC')
      expect(oldest.body.threads.map((t: any) => t.id)).toEqual(['t0', 't1', 't2'])
    })

    it('orders by updatedAt, in the plain and in Mastra’s JSON form', async () => {
      await alice.thread({ threadId: 'old' })
      const second = await alice.thread({ threadId: 'new' })
      // The clock must move past 'new' so the touch makes 'old' strictly the latest.
      await eventually(() => Date.now() > Date.parse(second.updatedAt))
      expect((await alice.patch('/memory/threads/old', { title: 'touched' })).status).toBe(200)
      const plain = await alice.get('/memory/threads?orderBy=updatedAt')
      expect(plain.body.threads.map((t: any) => t.id)).toEqual(['old', 'new'])
      const orderBy = encodeURIComponent(JSON.stringify({ field: 'updatedAt', direction: 'ASC' }))
      const json = await alice.get(`/memory/threads?orderBy=${orderBy}`)
      expect(json.body.threads.map((t: any) => t.id)).toEqual(['new', 'old'])
      const bad = await alice.get('/memory/threads?orderBy=title')
      expect(bad.status).toBe(400)
      expect(bad.body.issues).toEqual([{ field: 'orderBy', message: expect.any(String) }])
    })

    it('updates title and metadata with PATCH, keeping what is not sent', async () => {
      const thread = await alice.thread({ threadId: 'p1', title: 'Before', metadata: { keep: true } })
      const renamed = await alice.patch('/memory/threads/p1', { title: 'After' })
      expect(renamed.status).toBe(200)
      expect(Object.keys(renamed.body)).toEqual(THREAD_KEYS)
      expect(renamed.body).toMatchObject({ id: 'p1', resourceId: 'alice', title: 'After', metadata: { keep: true }, createdAt: thread.createdAt })
      expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(thread.updatedAt))
      const retagged = await alice.patch('/memory/threads/p1', { title: null, metadata: { tag: 'x' } })
      expect(retagged.body).toMatchObject({ title: null, metadata: { tag: 'x' } })
      expect((await alice.get('/memory/threads/p1')).body).toEqual(retagged.body)
    })

    it('deletes a thread together with its messages and thread-scoped working memory', async () => {
      await alice.thread({ threadId: 'd1' })
      await alice.save('d1', ['one', 'two'])
      await alice.post('/memory/threads/d1/working-memory?agentId=notes', { workingMemory: 'secret plans' })
      const deleted = await alice.delete('/memory/threads/d1')
      expect(deleted.status).toBe(200)
      expect(deleted.body).toEqual({ result: 'Thread deleted' })
      for (const path of ['/memory/threads/d1', '/memory/threads/d1/messages', '/memory/threads/d1/working-memory']) {
        const gone = await alice.get(path)
        expect(gone.status).toBe(404)
        expect(gone.body).toEqual(NOT_FOUND)
      }
      expect((await alice.delete('/memory/threads/d1')).status).toBe(404)
      const orphans = await alice.post('/memory/messages/delete', { messageIds: ['d1-1'] })
      expect(orphans.status).toBe(404)
      // The ids are free again: the old messages no longer exist anywhere.
      await alice.save('d1', ['fresh'])
      const reborn = await alice.get('/memory/threads/d1/messages')
      expect(reborn.body.messages.map((m: any) => m.content.content)).toEqual(['fresh'])
      expect((await alice.get('/memory/threads/d1/working-memory?agentId=notes')).body.workingMemory).toBe('# Notes')
    })

    it('answers 404 in the envelope for unknown thread ids on every thread route', async () => {
      for (const request of memoryRequests('no-such-thread').filter((r) => r.path.includes('no-such-thread'))) {
        const res = await alice.send(request.path, { method: request.method, json: request.json })
        expect(res.status, `${request.method} ${request.path}`).toBe(404)
        expect(res.body).toEqual(NOT_FOUND)
      }
    })
  })

  describe('messages', () => {
    it('saves the content forms Mastra clients send and lists them oldest first with UI messages', async () => {
      await alice.thread({ threadId: 'm' })
      const saved = await alice.post('/memory/save-messages', {
        messages: [
          { id: 'b', threadId: 'm', role: 'assistant', createdAt: '2030-01-01T00:00:02.000Z', parts: [{ type: 'text', text: 'second' }] },
          { id: 'a', threadId: 'm', role: 'user', createdAt: '2030-01-01T00:00:01.000Z', content: 'first' },
          {
            id: 'c', threadId: 'm', role: 'user', createdAt: Date.parse('2030-01-01T00:00:03.000Z'),
            content: { format: 2, parts: [{ type: 'text', text: 'third' }], metadata: { lang: 'en' } },
          },
        ],
      })
      expect(saved.status).toBe(200)
      expect(saved.body.messages).toHaveLength(3)
      for (const message of saved.body.messages) expect(Object.keys(message)).toEqual(MESSAGE_KEYS)

      const page = await alice.get('/memory/threads/m/messages')
      expect(page.status).toBe(200)
      expect(Object.keys(page.body)).toEqual(['messages', 'total', 'page', 'perPage', 'hasMore', 'uiMessages'])
      expect(page.body).toMatchObject({ total: 3, page: 0, perPage: 40, hasMore: false })
      expect(page.body.messages[0]).toEqual({
        id: 'a', role: 'user', threadId: 'm', resourceId: 'alice', createdAt: '2030-01-01T00:00:01.000Z',
        content: { format: 2, parts: [{ type: 'text', text: 'first' }], content: 'first' },
      })
      expect(page.body.messages.map((m: any) => m.id)).toEqual(['a', 'b', 'c'])
      expect(page.body.messages[2].content).toEqual({ format: 2, parts: [{ type: 'text', text: 'third' }], content: 'third', metadata: { lang: 'en' } })
      expect(page.body.uiMessages).toEqual([
        { id: 'a', role: 'user', parts: [{ type: 'text', text: 'first' }] },
        { id: 'b', role: 'assistant', parts: [{ type: 'text', text: 'second' }] },
        { id: 'c', role: 'user', parts: [{ type: 'text', text: 'third' }], metadata: { lang: 'en' } },
      ])
      await expect(validateUIMessages({ messages: page.body.uiMessages })).resolves.toHaveLength(3)
    })

    it('upserts a re-saved message id instead of adding a second message', async () => {
      await alice.thread({ threadId: 'u' })
      await alice.save('u', ['draft', 'reply'])
      const edited = await alice.post('/memory/save-messages', { messages: [{ id: 'u-1', threadId: 'u', role: 'user', content: 'final' }] })
      expect(edited.body.messages).toMatchObject([{ id: 'u-1', content: { content: 'final' } }])
      const page = await alice.get('/memory/threads/u/messages')
      expect(page.body.total).toBe(2)
      expect(page.body.messages.map((m: any) => [m.id, m.content.content])).toEqual([['u-1', 'final'], ['u-2', 'reply']])
    })

    it('creates the thread a message names when it does not exist yet, for the caller', async () => {
      await alice.save('implicit', ['hello'])
      const thread = await alice.get('/memory/threads/implicit')
      expect(thread.status).toBe(200)
      expect(thread.body).toMatchObject({ id: 'implicit', resourceId: 'alice', title: null })
    })

    it('leaves no new thread behind when a batch that would create it is refused with 409', async () => {
      await alice.thread({ threadId: 'kept' })
      await alice.save('kept', ['original'])
      const refused = await alice.post('/memory/save-messages', {
        messages: [
          { id: 'fresh-1', threadId: 'fresh', role: 'user', content: 'new thread' },
          { id: 'kept-1', threadId: 'fresh', role: 'user', content: 'hijack' },
        ],
      })
      expect(refused.status).toBe(409)
      expect(refused.body.code).toBe('CONFLICT')
      expect((await alice.get('/memory/threads/fresh')).body).toEqual(NOT_FOUND)
      expect((await alice.get('/memory/threads')).body.threads.map((t: any) => t.id)).toEqual(['kept'])
      expect((await alice.get('/memory/threads/kept/messages')).body.messages.map((m: any) => m.content.content)).toEqual(['original'])
    })

    it('deletes messages given as a string, a string[] or {id}[]', async () => {
      await alice.thread({ threadId: 'x' })
      await alice.save('x', ['1', '2', '3', '4', '5'])
      const one = await alice.post('/memory/messages/delete', { messageIds: 'x-1' })
      expect(one.status).toBe(200)
      expect(one.body).toEqual({ success: true, message: '1 message deleted' })
      const list = await alice.post('/memory/messages/delete', { messageIds: ['x-2', 'x-3'] })
      expect(list.body).toEqual({ success: true, message: '2 messages deleted' })
      const objects = await alice.post('/memory/messages/delete', { messageIds: [{ id: 'x-4' }] })
      expect(objects.body).toEqual({ success: true, message: '1 message deleted' })
      const page = await alice.get('/memory/threads/x/messages')
      expect(page.body.messages.map((m: any) => m.id)).toEqual(['x-5'])
      expect(page.body.total).toBe(1)
      const unknown = await alice.post('/memory/messages/delete', { messageIds: ['x-5', 'nope'] })
      expect(unknown.status).toBe(404)
      expect(unknown.body).toEqual({ error: 'Message nope not found', code: 'NOT_FOUND' })
      expect((await alice.get('/memory/threads/x/messages')).body.total).toBe(1)
    })
  })

  describe('clone', () => {
    it('copies the messages under new ids and leaves the source untouched', async () => {
      await alice.thread({ threadId: 'src', title: 'Plan', metadata: { k: 'v' } })
      await alice.save('src', ['a', 'b', 'c'])
      const before = (await alice.get('/memory/threads/src/messages')).body
      const cloned = await alice.post('/memory/threads/src/clone', { newThreadId: 'copy' })
      expect(cloned.status).toBe(200)
      expect(Object.keys(cloned.body).sort()).toEqual(['clonedMessages', 'thread'])
      expect(cloned.body.thread).toMatchObject({ id: 'copy', resourceId: 'alice', title: 'Clone of Plan', metadata: { k: 'v', clone: { sourceThreadId: 'src' } } })
      const copies = cloned.body.clonedMessages
      expect(copies.map((m: any) => m.content.content)).toEqual(['a', 'b', 'c'])
      for (const copy of copies) expect(copy).toMatchObject({ threadId: 'copy', resourceId: 'alice' })
      const sourceIds = before.messages.map((m: any) => m.id)
      expect(new Set([...sourceIds, ...copies.map((m: any) => m.id)]).size).toBe(6)
      expect((await alice.get('/memory/threads/copy/messages')).body.messages).toEqual(copies)
      expect((await alice.get('/memory/threads/src/messages')).body).toEqual(before)
      expect((await alice.get('/memory/threads/src')).body.title).toBe('Plan')
    })

    it('copies only the newest messages with options.messageLimit, and takes title and metadata from the body', async () => {
      await alice.thread({ threadId: 'long', title: 'Long' })
      await alice.save('long', ['1', '2', '3', '4'])
      const cloned = await alice.post('/memory/threads/long/clone', { title: 'Short', metadata: { n: 2 }, options: { messageLimit: 2 } })
      expect(cloned.status).toBe(200)
      expect(cloned.body.thread.id).toMatch(/^[0-9a-f-]{36}$/)
      expect(cloned.body.thread).toMatchObject({ title: 'Short', metadata: { n: 2 } })
      expect(cloned.body.clonedMessages.map((m: any) => m.content.content)).toEqual(['3', '4'])
      expect((await alice.get(`/memory/threads/${cloned.body.thread.id}/messages`)).body.total).toBe(2)
      expect((await alice.get('/memory/threads/long/messages')).body.total).toBe(4)
    })

    it('copies the thread-scoped working memory with the thread', async () => {
      await alice.thread({ threadId: 'wm-src' })
      await alice.save('wm-src', ['hi'])
      await alice.post('/memory/threads/wm-src/working-memory?agentId=notes', { workingMemory: '# Notes\n- likes tea' })
      const cloned = await alice.post('/memory/threads/wm-src/clone?agentId=notes', { newThreadId: 'wm-copy' })
      expect(cloned.status).toBe(200)
      const copied = await alice.get('/memory/threads/wm-copy/working-memory?agentId=notes')
      expect(copied.body).toEqual({ workingMemory: '# Notes\n- likes tea', source: 'thread' })
      // A copy, not a shared value: changing the clone's leaves the source's as it was.
      await alice.post('/memory/threads/wm-copy/working-memory?agentId=notes', { workingMemory: '# Notes\n- clone only' })
      expect((await alice.get('/memory/threads/wm-src/working-memory?agentId=notes')).body.workingMemory).toBe('# Notes\n- likes tea')
    })

    it('refuses a taken newThreadId with 409 and clones nothing', async () => {
      await alice.thread({ threadId: 'one' })
      await alice.thread({ threadId: 'two' })
      await alice.save('one', ['hi'])
      const taken = await alice.post('/memory/threads/one/clone', { newThreadId: 'two' })
      expect(taken.status).toBe(409)
      expect(taken.body.code).toBe('CONFLICT')
      expect((await alice.get('/memory/threads/two/messages')).body.total).toBe(0)
    })
  })

  describe('working memory', () => {
    it('reads null until set, then what was posted, scoped to the resource', async () => {
      await alice.thread({ threadId: 'w1' })
      await alice.thread({ threadId: 'w2' })
      expect((await alice.get('/memory/threads/w1/working-memory')).body).toEqual({ workingMemory: null, source: 'resource' })
      const set = await alice.post('/memory/threads/w1/working-memory', { workingMemory: '# Alice\n- likes tea' })
      expect(set.status).toBe(200)
      expect(set.body).toEqual({ success: true })
      const other = await alice.get('/memory/threads/w2/working-memory')
      expect(other.body).toEqual({ workingMemory: '# Alice\n- likes tea', source: 'resource' })
    })

    it('uses the agent’s working memory config with ?agentId', async () => {
      await alice.thread({ threadId: 'n1' })
      await alice.thread({ threadId: 'n2' })
      expect((await alice.get('/memory/threads/n1/working-memory?agentId=notes')).body).toEqual({ workingMemory: '# Notes', source: 'thread' })
      await alice.post('/memory/threads/n1/working-memory?agentId=notes', { workingMemory: '# Notes\n- n1 only' })
      expect((await alice.get('/memory/threads/n1/working-memory?agentId=notes')).body.workingMemory).toBe('# Notes\n- n1 only')
      expect((await alice.get('/memory/threads/n2/working-memory?agentId=notes')).body.workingMemory).toBe('# Notes')
      const wrongType = await alice.post('/memory/threads/n1/working-memory?agentId=notes', { workingMemory: { name: 'x' } })
      expect(wrongType.status).toBe(400)
      expect(wrongType.body.issues).toEqual([{ field: 'workingMemory', message: expect.any(String) }])
    })
  })

  describe('?agentId', () => {
    it('uses the runtime store for an agent whose memory has none of its own', async () => {
      await alice.post('/memory/threads?agentId=helper', { threadId: 'h1' })
      await alice.post('/memory/save-messages?agentId=helper', { messages: [{ threadId: 'h1', role: 'user', content: 'hey' }] })
      expect((await alice.get('/memory/threads/h1/messages')).body.total).toBe(1)
      expect((await alice.get('/memory/threads?agentId=helper')).body.threads.map((t: any) => t.id)).toEqual(['h1'])
    })

    it('uses the agent’s own memory store when it has one', async () => {
      const created = await alice.post('/memory/threads?agentId=archivist', { threadId: 'ar1', title: 'Archived' })
      expect(created.status).toBe(200)
      expect((await alice.get('/memory/threads/ar1?agentId=archivist')).body.title).toBe('Archived')
      expect((await alice.get('/memory/threads/ar1')).status).toBe(404)
      expect((await alice.get('/memory/threads')).body.total).toBe(0)
      expect((await alice.get('/memory/threads?agentId=archivist')).body.total).toBe(1)
    })

    it('answers 404 in the envelope for an unknown agent on every route', async () => {
      await alice.thread({ threadId: 'k' })
      for (const request of memoryRequests('k')) {
        const res = await alice.send(`${request.path}?agentId=nope`, { method: request.method, json: request.json })
        expect(res.status, `${request.method} ${request.path}`).toBe(404)
        expect(res.body).toEqual({ error: 'Agent with id nope not found', code: 'NOT_FOUND' })
      }
      expect((await alice.get('/memory/threads/k')).status).toBe(200)
    })
  })
})
