import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts, ADMIN } from '../harness/hosts.js'
import { ALICE, BOB, ISO_DATE, NOT_FOUND, startMemoryApp, THREAD_KEYS, type MemoryApp, type MemoryClient } from './memory-fixture.js'
import { closeClean, nextMillisecond } from '../harness/lifecycle.js'


describe.each(hosts)('memory search, status, config and transfer on $name', (factory) => {
  let app: MemoryApp
  let alice: MemoryClient
  let bob: MemoryClient

  beforeEach(async () => {
    // The admin is not scoped to a resource; everyone else to their own.
    app = await startMemoryApp(factory, { resourceId: (p) => (p.role === 'admin' ? undefined : String(p.id)) })
    alice = app.as(ALICE)
    bob = app.as(BOB)
  })
  afterEach(() => closeClean(app))

  async function seed(): Promise<void> {
    await alice.thread({ threadId: 'a1', title: 'Billing' })
    await alice.save('a1', ['Where is my invoice?', 'Your invoice, invoice 42, is attached; the previous invoice too'])
    await alice.thread({ threadId: 'a2' })
    await alice.save('a2', ['Invoices are archived after a year', 'Nothing else to report'])
    await bob.thread({ threadId: 'b1' })
    await bob.save('b1', ['Bob wants his invoice'])
  }

  describe('GET /memory/search', () => {
    it('ranks the caller’s messages that hold every word, in Mastra’s shape, never another resource’s', async () => {
      await seed()
      const res = await alice.get('/memory/search?searchQuery=invoice')
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ count: 3, query: 'invoice', searchScope: 'resource', searchType: 'lexical' })
      expect(res.body.results.map((r: any) => r.id)[0]).toBe('a1-2')
      expect(res.body.results.map((r: any) => r.id).sort()).toEqual(['a1-1', 'a1-2', 'a2-1'])
      expect(res.body.results[0]).toEqual({
        id: 'a1-2', role: 'assistant', content: 'Your invoice, invoice 42, is attached; the previous invoice too',
        createdAt: expect.stringMatching(ISO_DATE), threadId: 'a1', threadTitle: 'Billing', score: expect.any(Number),
      })
      expect(res.body.results.find((r: any) => r.id === 'a2-1')).not.toHaveProperty('threadTitle')
      expect(res.text).not.toContain('Bob')
      const narrow = await alice.get('/memory/search?searchQuery=where%20invoice')
      expect(narrow.body.results.map((r: any) => r.id)).toEqual(['a1-1'])
    })

    it('keeps a scoped caller to its own resource whatever resourceId it names', async () => {
      await seed()
      const res = await alice.get('/memory/search?searchQuery=invoice&resourceId=bob')
      expect(res.body.results.map((r: any) => r.threadId).sort()).toEqual(['a1', 'a1', 'a2'])
      const unscoped = await app.as(ADMIN).get('/memory/search?searchQuery=invoice&resourceId=bob')
      expect(unscoped.body.results.map((r: any) => r.id)).toEqual(['b1-1'])
    })

    it('narrows to one thread the caller can see; another resource’s thread is 404 like a missing one', async () => {
      await seed()
      const res = await alice.get('/memory/search?searchQuery=invoice&threadId=a2')
      expect(res.body).toMatchObject({ count: 1, searchScope: 'thread' })
      expect(res.body.results[0].id).toBe('a2-1')
      const theirs = await alice.get('/memory/search?searchQuery=invoice&threadId=b1')
      const missing = await alice.get('/memory/search?searchQuery=invoice&threadId=zz')
      expect(theirs.status).toBe(404)
      expect(theirs.body).toEqual(NOT_FOUND)
      expect(theirs.text).toBe(missing.text)
    })

    it('searches the memory of the agent ?agentId names, and caps the results at ?limit', async () => {
      await seed()
      await alice.post('/memory/save-messages?agentId=archivist', {
        messages: [{ id: 'ar-1', threadId: 'ar', role: 'user', content: 'An archived invoice' }],
      })
      const archived = await alice.get('/memory/search?searchQuery=invoice&agentId=archivist')
      expect(archived.body.results.map((r: any) => r.id)).toEqual(['ar-1'])
      expect((await alice.get('/memory/search?searchQuery=invoice&agentId=nope')).status).toBe(404)
      expect((await alice.get('/memory/search?searchQuery=invoice&limit=1')).body.results.map((r: any) => r.id)).toEqual(['a1-2'])
    })

    it('finds a message as soon as it is saved, and no longer once it is deleted', async () => {
      await alice.thread({ threadId: 'live' })
      await alice.save('live', ['The parcel is lost'])
      expect((await alice.get('/memory/search?searchQuery=parcel')).body.count).toBe(1)
      await alice.post('/memory/messages/delete', { messageIds: ['live-1'] })
      expect((await alice.get('/memory/search?searchQuery=parcel')).body.count).toBe(0)
    })

    it('answers 400 naming the field for a missing or wordless query or a bad limit, and 401 anonymously', async () => {
      const cases: Array<[string, string]> = [
        ['/memory/search', 'searchQuery'],
        ['/memory/search?searchQuery=%22*%20--', 'searchQuery'],
        ['/memory/search?searchQuery=x&limit=0', 'limit'],
        ['/memory/search?searchQuery=x&limit=many', 'limit'],
      ]
      for (const [path, field] of cases) {
        const res = await alice.get(path)
        expect(res.status, path).toBe(400)
        expect(res.body.code, path).toBe('VALIDATION_ERROR')
        expect(res.body.issues.map((issue: any) => issue.field), path).toContain(field)
      }
      expect((await app.as().get('/memory/search?searchQuery=x')).status).toBe(401)
    })
  })

  describe('GET /memory/status and /memory/config', () => {
    it('says whether an agent keeps memory', async () => {
      expect((await alice.get('/memory/status?agentId=helper')).body).toEqual({ result: true, memoryType: 'local' })
      expect((await alice.get('/memory/status?agentId=plain')).body).toEqual({ result: false, memoryType: 'local' })
    })

    it('describes an agent’s memory: history length, working memory, no semantic recall', async () => {
      expect((await alice.get('/memory/config?agentId=helper')).body).toEqual({
        memoryType: 'local',
        config: { lastMessages: 10, semanticRecall: false, workingMemory: { enabled: false, scope: 'resource' } },
      })
      expect((await alice.get('/memory/config?agentId=notes')).body.config.workingMemory).toEqual({
        enabled: true, scope: 'thread', template: '# Notes',
      })
      expect((await alice.get('/memory/config?agentId=plain')).body).toEqual({ memoryType: 'local', config: null })
    })

    it('needs a known agent and a signed-in caller', async () => {
      for (const path of ['/memory/status', '/memory/config']) {
        const missing = await alice.get(path)
        expect(missing.status, path).toBe(400)
        expect(missing.body.issues, path).toEqual([expect.objectContaining({ field: 'agentId' })])
        expect((await alice.get(`${path}?agentId=nope`)).body).toEqual({ error: 'Agent with id nope not found', code: 'NOT_FOUND' })
        expect((await app.as().get(`${path}?agentId=helper`)).status).toBe(401)
      }
    })
  })

  describe('POST /memory/threads/:threadId/transfer', () => {
    it('lets an unscoped caller move a thread and its messages to another resource', async () => {
      await seed()
      const res = await app.as(ADMIN).post('/memory/threads/a1/transfer', { resourceId: 'bob' })
      expect(res.status).toBe(200)
      expect(Object.keys(res.body)).toEqual(THREAD_KEYS)
      expect(res.body).toMatchObject({ id: 'a1', resourceId: 'bob', title: 'Billing' })
      expect((await alice.get('/memory/threads/a1')).status).toBe(404)
      const messages = await bob.get('/memory/threads/a1/messages')
      expect(messages.body.messages.map((m: any) => m.resourceId)).toEqual(['bob', 'bob'])
      expect((await bob.get('/memory/search?searchQuery=attached')).body.results.map((r: any) => r.id)).toEqual(['a1-2'])
      expect((await alice.get('/memory/search?searchQuery=attached')).body.count).toBe(0)
    })

    it('answers 403 when a scoped caller names a resource it does not own, and moves nothing', async () => {
      await seed()
      const res = await alice.post('/memory/threads/a1/transfer', { resourceId: 'bob' })
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ error: 'A thread can only be transferred to a resource the caller owns', code: 'FORBIDDEN' })
      expect((await alice.get('/memory/threads/a1')).body.resourceId).toBe('alice')
      expect((await bob.get('/memory/threads/a1')).status).toBe(404)
      const own = await alice.post('/memory/threads/a1/transfer', { resourceId: 'alice' })
      expect(own.status).toBe(200)
      expect(own.body.resourceId).toBe('alice')
    })

    it('answers 404 for another resource’s thread before saying anything about the target', async () => {
      await seed()
      const theirs = await bob.post('/memory/threads/a1/transfer', { resourceId: 'alice' })
      expect(theirs.status).toBe(404)
      expect(theirs.body).toEqual(NOT_FOUND)
      expect((await bob.post('/memory/threads/a1/transfer', { resourceId: 'bob' })).body).toEqual(NOT_FOUND)
      expect((await app.as(ADMIN).post('/memory/threads/zz/transfer', { resourceId: 'bob' })).body).toEqual(NOT_FOUND)
    })

    it('answers 400 without a target resource', async () => {
      await seed()
      const res = await app.as(ADMIN).post('/memory/threads/a1/transfer', {})
      expect(res.status).toBe(400)
      expect(res.body.issues).toEqual([expect.objectContaining({ field: 'resourceId' })])
    })
  })

  describe('GET /memory/threads as @mastra/client-js orders it', () => {
    it('reads orderBy[field] and orderBy[direction]', async () => {
      // Each write a millisecond after the one before: orders by time, not by ties.
      await alice.thread({ threadId: 'first' })
      await nextMillisecond()
      await alice.thread({ threadId: 'second' })
      await nextMillisecond()
      await alice.save('first', ['touched later'])
      const ids = async (query: string) => (await alice.get(`/memory/threads?${query}`)).body.threads.map((t: any) => t.id)
      expect(await ids('orderBy%5Bfield%5D=updatedAt&orderBy%5Bdirection%5D=DESC')).toEqual(['first', 'second'])
      expect(await ids('orderBy%5Bfield%5D=createdAt&orderBy%5Bdirection%5D=DESC')).toEqual(['second', 'first'])
      expect(await ids('orderBy%5Bfield%5D=createdAt&orderBy%5Bdirection%5D=ASC')).toEqual(['first', 'second'])
    })
  })
})
