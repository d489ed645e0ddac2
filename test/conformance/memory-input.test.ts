import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ALICE, startMemoryApp, type MemoryApp, type MemoryClient } from './memory-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const LISTS = ['/memory/threads', '/memory/threads/p/messages']

/** The fields a 400 names, after checking it is the validation envelope. */
function invalidFields(res: { status: number; body: any }): string[] {
  expect(res.status).toBe(400)
  expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', error: expect.any(String) })
  return res.body.issues.map((issue: { field: string }) => issue.field)
}

describe.each(hosts)('memory paging and input checks on $name', (factory) => {
  let app: MemoryApp
  let alice: MemoryClient

  beforeEach(async () => {
    app = await startMemoryApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  describe('pagination', () => {
    it('pages threads and answers a page past the end with the total and hasMore false', async () => {
      for (const id of ['t1', 't2', 't3']) await alice.thread({ threadId: id })
      const first = await alice.get('/memory/threads?perPage=2')
      expect(first.body).toMatchObject({ total: 3, page: 0, perPage: 2, hasMore: true })
      expect(first.body.threads.map((t: any) => t.id)).toEqual(['t3', 't2'])
      const last = await alice.get('/memory/threads?perPage=2&page=1')
      expect(last.body).toMatchObject({ total: 3, page: 1, perPage: 2, hasMore: false })
      expect(last.body.threads.map((t: any) => t.id)).toEqual(['t1'])
      const past = await alice.get('/memory/threads?perPage=2&page=5')
      expect(past.status).toBe(200)
      expect(past.body).toEqual({ threads: [], total: 3, page: 5, perPage: 2, hasMore: false })
    })

    it('pages messages oldest first and answers a page past the end with the total', async () => {
      await alice.thread({ threadId: 'p' })
      await alice.save('p', ['1', '2', '3', '4', '5'])
      const first = await alice.get('/memory/threads/p/messages?perPage=2')
      expect(first.body).toMatchObject({ total: 5, page: 0, perPage: 2, hasMore: true })
      expect(first.body.messages.map((m: any) => m.id)).toEqual(['p-1', 'p-2'])
      expect(first.body.uiMessages.map((m: any) => m.id)).toEqual(['p-1', 'p-2'])
      const last = await alice.get('/memory/threads/p/messages?perPage=2&page=2')
      expect(last.body).toMatchObject({ total: 5, page: 2, perPage: 2, hasMore: false })
      expect(last.body.messages.map((m: any) => m.id)).toEqual(['p-5'])
      const past = await alice.get('/memory/threads/p/messages?perPage=2&page=9')
      expect(past.body).toEqual({ messages: [], uiMessages: [], total: 5, page: 9, perPage: 2, hasMore: false })
    })

    it('rejects a zero, negative, fractional or non-numeric perPage or page with 400 naming the field', async () => {
      await alice.thread({ threadId: 'p' })
      for (const path of LISTS) {
        for (const perPage of ['0', '-1', '2.5', 'abc', '']) {
          expect(invalidFields(await alice.get(`${path}?perPage=${perPage}`)), `${path} perPage=${perPage}`).toEqual(['perPage'])
        }
        for (const page of ['-1', '1.5', 'first']) {
          expect(invalidFields(await alice.get(`${path}?page=${page}`)), `${path} page=${page}`).toEqual(['page'])
        }
        expect(invalidFields(await alice.get(`${path}?perPage=1&perPage=2`))).toEqual(['perPage'])
      }
    })

    it('clamps a huge perPage to 1000 for threads and messages', async () => {
      await alice.thread({ threadId: 'big' })
      const messages = Array.from({ length: 1001 }, (_, i) => ({ id: `big-${i}`, threadId: 'big', role: 'user', content: `#${i}` }))
      // One call carries at most 1000 messages.
      expect((await alice.post('/memory/save-messages', { messages: messages.slice(0, 1000) })).status).toBe(200)
      expect((await alice.post('/memory/save-messages', { messages: messages.slice(1000) })).status).toBe(200)
      const page = await alice.get('/memory/threads/big/messages?perPage=100000')
      expect(page.body).toMatchObject({ total: 1001, page: 0, perPage: 1000, hasMore: true })
      expect(page.body.messages).toHaveLength(1000)
      expect(page.body.uiMessages).toHaveLength(1000)
      const rest = await alice.get('/memory/threads/big/messages?perPage=100000&page=1')
      expect(rest.body.messages.map((m: any) => m.id)).toEqual(['big-1000'])
      const threads = await alice.get('/memory/threads?perPage=9999999')
      expect(threads.body).toMatchObject({ total: 1, perPage: 1000, hasMore: false })
    })
  })

  it('round-trips thread ids that need URL encoding', async () => {
    for (const id of ['with space', 'ünïcode', 'a/b', 'a%2F', 'a?b=c', 'x.json']) {
      expect((await alice.post('/memory/threads', { threadId: id })).status, id).toBe(200)
      await alice.save(id, ['hi'])
      const path = `/memory/threads/${encodeURIComponent(id)}`
      expect((await alice.get(path)).body.id, id).toBe(id)
      expect((await alice.get(`${path}/messages`)).body.messages.map((m: any) => m.threadId)).toEqual([id])
    }
    expect((await alice.get('/memory/threads')).body.total).toBe(6)
  })

  describe('bad input', () => {
    it('answers 400 BAD_JSON for malformed JSON on every route with a body', async () => {
      await alice.thread({ threadId: 'j' })
      const routes = [
        ['POST', '/memory/threads'],
        ['PATCH', '/memory/threads/j'],
        ['POST', '/memory/save-messages'],
        ['POST', '/memory/messages/delete'],
        ['POST', '/memory/threads/j/clone'],
        ['POST', '/memory/threads/j/working-memory'],
      ]
      for (const [method, path] of routes) {
        const res = await alice.send(path, { method, headers: { 'content-type': 'application/json' }, body: '{"title": "x",' })
        expect(res.status, `${method} ${path}`).toBe(400)
        expect(res.body).toEqual({ error: expect.stringMatching(/^Malformed JSON/), code: 'BAD_JSON' })
      }
      expect((await alice.get('/memory/threads/j')).body.title).toBeNull()
    })

    it('answers 415 for a body that is not JSON', async () => {
      const res = await alice.send('/memory/threads', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'title=x' })
      expect(res.status).toBe(415)
      expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    })

    it('names the wrong-typed fields of thread bodies and changes nothing', async () => {
      expect(invalidFields(await alice.post('/memory/threads', { title: 5 }))).toEqual(['title'])
      expect(invalidFields(await alice.post('/memory/threads', { metadata: 'x', threadId: '' })).sort()).toEqual(['metadata', 'threadId'])
      expect(invalidFields(await alice.post('/memory/threads', ['not', 'an', 'object']))).toEqual([''])
      await alice.thread({ threadId: 'typed', title: 'Kept' })
      expect(invalidFields(await alice.patch('/memory/threads/typed', { title: 5 }))).toEqual(['title'])
      expect(invalidFields(await alice.patch('/memory/threads/typed', { metadata: [1] }))).toEqual(['metadata'])
      expect((await alice.get('/memory/threads/typed')).body).toMatchObject({ title: 'Kept', metadata: {} })
      expect((await alice.get('/memory/threads')).body.total).toBe(1)
    })

    it('names what is wrong with save-messages and saves none of the batch', async () => {
      await alice.thread({ threadId: 's' })
      const ok = { threadId: 's', role: 'user', content: 'fine' }
      expect(invalidFields(await alice.post('/memory/save-messages', {}))).toEqual(['messages'])
      expect((await alice.post('/memory/save-messages')).body.code).toBe('VALIDATION_ERROR')
      expect(invalidFields(await alice.post('/memory/save-messages', { messages: 'hi' }))).toEqual(['messages'])
      expect(invalidFields(await alice.post('/memory/save-messages', { messages: [ok, { role: 'user', content: 'x' }] }))).toEqual(['messages.1.threadId'])
      expect(invalidFields(await alice.post('/memory/save-messages', { messages: [{ ...ok, role: 'robot' }] }))).toEqual(['messages.0.role'])
      expect(invalidFields(await alice.post('/memory/save-messages', { messages: [{ threadId: 's', role: 'user' }] }))).toEqual(['messages.0.content'])
      expect(invalidFields(await alice.post('/memory/save-messages', { messages: [ok, { ...ok, createdAt: 'yesterday' }] }))).toEqual(['messages.1.createdAt'])
      expect(invalidFields(await alice.post('/memory/save-messages', { messages: [{ ...ok, content: 42 }] }))).toEqual(['messages.0.content'])
      expect((await alice.get('/memory/threads/s/messages')).body.total).toBe(0)
      expect((await alice.get('/memory/threads')).body.total).toBe(1)
    })

    it('names what is wrong with messages/delete, clone and working memory bodies', async () => {
      await alice.thread({ threadId: 'b' })
      await alice.save('b', ['keep'])
      expect(invalidFields(await alice.post('/memory/messages/delete', {}))).toEqual(['messageIds'])
      expect(invalidFields(await alice.post('/memory/messages/delete', { messageIds: 5 }))).toEqual(['messageIds'])
      expect(invalidFields(await alice.post('/memory/messages/delete', { messageIds: [{ id: 7 }] }))[0]).toMatch(/^messageIds/)
      expect((await alice.get('/memory/threads/b/messages')).body.total).toBe(1)
      expect(invalidFields(await alice.post('/memory/threads/b/clone', { options: { messageLimit: 0 } }))).toEqual(['options.messageLimit'])
      expect(invalidFields(await alice.post('/memory/threads/b/clone', { options: { messageLimit: 'all' } }))).toEqual(['options.messageLimit'])
      expect(invalidFields(await alice.post('/memory/threads/b/clone', { title: 5 }))).toEqual(['title'])
      expect((await alice.get('/memory/threads')).body.total).toBe(1)
      expect(invalidFields(await alice.post('/memory/threads/b/working-memory', {}))).toEqual(['workingMemory'])
      expect(invalidFields(await alice.post('/memory/threads/b/working-memory', { workingMemory: 5 }))).toEqual(['workingMemory'])
      expect((await alice.get('/memory/threads/b/working-memory')).body.workingMemory).toBeNull()
    })

    it('gives the same answers behind the host app’s own JSON parser, and never a 500', async () => {
      const parsed = await startMemoryApp(factory, { parser: true })
      try {
        const client = parsed.as(ALICE)
        const thread = await client.thread({ threadId: 'hp', title: 'Parsed' })
        expect(thread).toMatchObject({ id: 'hp', resourceId: 'alice', title: 'Parsed' })
        await client.save('hp', ['via the host parser'])
        expect((await client.get('/memory/threads/hp/messages')).body.uiMessages).toEqual([
          { id: 'hp-1', role: 'user', parts: [{ type: 'text', text: 'via the host parser' }] },
        ])
        expect(invalidFields(await client.post('/memory/threads', { title: 5 }))).toEqual(['title'])
        expect(invalidFields(await client.post('/memory/save-messages', { messages: [{ role: 'user', content: 'x' }] }))).toEqual(['messages.0.threadId'])
        // The host's parser answers malformed JSON itself, in its own format; still a 400.
        const malformed = await client.send('/memory/threads', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":' })
        expect(malformed.status).toBe(400)
        expect(parsed.unexpected).toEqual([])
      } finally {
        await parsed.close()
      }
    })
  })
})
