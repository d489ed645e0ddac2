import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ALICE, BOB, memoryRequests, NOT_FOUND, startMemoryApp, type MemoryApp, type MemoryClient } from './memory-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const ids = (list: { body: any }) => list.body.threads.map((t: { id: string }) => t.id)

describe.each(hosts)('memory isolation between resources on $name', (factory) => {
  let app: MemoryApp
  let alice: MemoryClient
  let bob: MemoryClient

  beforeEach(async () => {
    app = await startMemoryApp(factory)
    alice = app.as(ALICE)
    bob = app.as(BOB)
  })
  afterEach(() => closeClean(app))

  /** Alice's thread with two messages and working memory, as bob will find it. */
  async function aliceThread() {
    await alice.thread({ threadId: 'a1', title: 'Alice private', metadata: { secret: true } })
    await alice.save('a1', ['my card ends 4242', 'noted'])
    await alice.post('/memory/threads/a1/working-memory', { workingMemory: '# Alice\n- allergic to nuts' })
    return {
      thread: (await alice.get('/memory/threads/a1')).body,
      messages: (await alice.get('/memory/threads/a1/messages')).body,
    }
  }

  it('lists only the caller’s threads, whatever ?resourceId it sends', async () => {
    await alice.thread({ threadId: 'a1' })
    await alice.thread({ threadId: 'a2' })
    await bob.thread({ threadId: 'b1' })
    for (const query of ['', '?resourceId=bob', '?resourceId=alice', '?resourceId=bob&agentId=helper']) {
      const list = await alice.get(`/memory/threads${query}`)
      expect(ids(list), query).toEqual(['a2', 'a1'])
      expect(list.body.total).toBe(2)
    }
    for (const query of ['', '?resourceId=alice']) {
      const list = await bob.get(`/memory/threads${query}`)
      expect(ids(list), query).toEqual(['b1'])
      expect(list.body.total).toBe(1)
    }
  })

  it('creates a thread for the caller even when the body names another resource', async () => {
    const created = await alice.post('/memory/threads', { threadId: 'forged', resourceId: 'bob' })
    expect(created.status).toBe(200)
    expect(created.body.resourceId).toBe('alice')
    expect(ids(await bob.get('/memory/threads'))).toEqual([])
    expect((await bob.get('/memory/threads/forged')).status).toBe(404)
    expect(ids(await alice.get('/memory/threads'))).toEqual(['forged'])
  })

  it('answers 404 to every route bob uses on alice’s thread, exactly as for a missing one', async () => {
    await aliceThread()
    for (const request of memoryRequests('a1').filter((r) => r.path.includes('a1'))) {
      for (const agent of ['', '?agentId=helper']) {
        const res = await bob.send(`${request.path}${agent}`, { method: request.method, json: request.json })
        const missing = await bob.send(`${request.path.replace('a1', 'zz')}${agent}`, { method: request.method, json: request.json })
        expect(res.status, `${request.method} ${request.path}${agent}`).toBe(404)
        expect(res.body).toEqual(NOT_FOUND)
        expect(res.text).toBe(missing.text)
      }
    }
  })

  it('leaves alice’s thread, messages and working memory as they were after bob’s attempts', async () => {
    const before = await aliceThread()
    const attempts = [
      await bob.patch('/memory/threads/a1', { title: 'pwned', metadata: {} }),
      await bob.post('/memory/save-messages', { messages: [{ id: 'evil', threadId: 'a1', role: 'user', content: 'injected' }] }),
      await bob.post('/memory/save-messages', { messages: [{ id: 'a1-1', threadId: 'a1', role: 'user', content: 'overwritten' }] }),
      await bob.post('/memory/messages/delete', { messageIds: ['a1-1'] }),
      await bob.post('/memory/threads/a1/working-memory', { workingMemory: 'bob was here' }),
      await bob.post('/memory/threads/a1/clone', { newThreadId: 'stolen' }),
      await bob.delete('/memory/threads/a1'),
    ]
    expect(attempts.map((res) => [res.status, res.body.code])).toEqual(attempts.map(() => [404, 'NOT_FOUND']))
    expect(attempts[1].body).toEqual(NOT_FOUND)
    expect((await alice.get('/memory/threads/a1')).body).toEqual(before.thread)
    expect((await alice.get('/memory/threads/a1/messages')).body).toEqual(before.messages)
    expect((await alice.get('/memory/threads/a1/working-memory')).body.workingMemory).toBe('# Alice\n- allergic to nuts')
    expect((await bob.get('/memory/threads/a1/working-memory')).status).toBe(404)
    expect(ids(await bob.get('/memory/threads'))).toEqual([])
    expect((await alice.get('/memory/threads/stolen')).status).toBe(404)
  })

  it('refuses to delete alice’s message ids for bob, even mixed with his own, and deletes none', async () => {
    await aliceThread()
    await bob.thread({ threadId: 'b1' })
    await bob.save('b1', ['mine'])
    for (const messageIds of ['a1-1', ['a1-1', 'a1-2'], [{ id: 'a1-2' }], ['b1-1', 'a1-1']]) {
      const res = await bob.post('/memory/messages/delete', { messageIds })
      expect(res.status, JSON.stringify(messageIds)).toBe(404)
      expect(res.body.code).toBe('NOT_FOUND')
    }
    expect((await alice.get('/memory/threads/a1/messages')).body.total).toBe(2)
    expect((await bob.get('/memory/threads/b1/messages')).body.total).toBe(1)
    const unknown = await bob.post('/memory/messages/delete', { messageIds: ['never-existed'] })
    expect(unknown.body).toEqual({ error: 'Message never-existed not found', code: 'NOT_FOUND' })
    const foreign = await bob.post('/memory/messages/delete', { messageIds: ['a1-1'] })
    expect(foreign.body).toEqual({ error: 'Message a1-1 not found', code: 'NOT_FOUND' })
  })

  it('saves nothing, and creates no thread, when one message of a batch targets alice’s thread', async () => {
    await aliceThread()
    const res = await bob.post('/memory/save-messages', {
      messages: [
        { id: 'b-1', threadId: 'bob-new', role: 'user', content: 'mine' },
        { id: 'b-2', threadId: 'a1', role: 'user', content: 'sneaky' },
      ],
    })
    expect(res.status).toBe(404)
    expect(res.body).toEqual(NOT_FOUND)
    expect((await bob.get('/memory/threads/bob-new')).status).toBe(404)
    expect(ids(await bob.get('/memory/threads'))).toEqual([])
    expect((await alice.get('/memory/threads/a1/messages')).body.total).toBe(2)
  })

  it('does not write into a thread alice creates between bob’s check and his insert', async () => {
    const threads = app.runtime.store.threads
    const getThread = threads.getThread.bind(threads)
    // Alice's insert lands right after the route found the thread missing, as a racing request's would.
    threads.getThread = async (id) => {
      const found = await getThread(id)
      if (id === 'contested' && !found) {
        const now = new Date()
        await threads.createThread({ id, resourceId: 'alice', title: 'Hers', metadata: {}, createdAt: now, updatedAt: now })
      }
      return found
    }
    const res = await bob.post('/memory/save-messages', { messages: [{ id: 'late', threadId: 'contested', role: 'user', content: 'mine?' }] })
    expect(res.status).toBe(404)
    expect(res.body).toEqual(NOT_FOUND)
    const hers = await alice.get('/memory/threads/contested/messages')
    expect(hers.body.total).toBe(0)
    expect((await alice.get('/memory/threads/contested')).body).toMatchObject({ resourceId: 'alice', title: 'Hers' })
  })

  it('stores bob’s messages and threads under bob whatever resourceId the body names', async () => {
    const saved = await bob.post('/memory/save-messages', {
      messages: [{ id: 'm', threadId: 'b-new', resourceId: 'alice', role: 'user', content: 'hi' }],
    })
    expect(saved.status).toBe(200)
    expect(saved.body.messages[0].resourceId).toBe('bob')
    expect((await bob.get('/memory/threads/b-new')).body.resourceId).toBe('bob')
    expect((await alice.get('/memory/threads/b-new')).status).toBe(404)
    const cloned = await bob.post('/memory/threads/b-new/clone', { newThreadId: 'b-copy', resourceId: 'alice' })
    expect(cloned.body.thread.resourceId).toBe('bob')
    expect(cloned.body.clonedMessages[0].resourceId).toBe('bob')
    expect(ids(await alice.get('/memory/threads'))).toEqual([])
  })

  it('keeps resource-scoped working memory apart per resource', async () => {
    await alice.thread({ threadId: 'a1' })
    await bob.thread({ threadId: 'b1' })
    await alice.post('/memory/threads/a1/working-memory', { workingMemory: 'alice notes' })
    expect((await bob.get('/memory/threads/b1/working-memory')).body).toEqual({ workingMemory: null, source: 'resource' })
    await bob.post('/memory/threads/b1/working-memory', { workingMemory: 'bob notes' })
    expect((await alice.get('/memory/threads/a1/working-memory')).body.workingMemory).toBe('alice notes')
  })

  it('answers 401 to an anonymous caller on every memory route', async () => {
    await alice.thread({ threadId: 'a1' })
    const anonymous = app.as()
    for (const request of memoryRequests('a1')) {
      const res = await anonymous.send(request.path, { method: request.method, json: request.json })
      expect(res.status, `${request.method} ${request.path}`).toBe(401)
      expect(res.body).toEqual({ error: 'Authentication required', code: 'UNAUTHENTICATED' })
    }
    const unknownToken = await app.as('stolen-token').get('/memory/threads')
    expect(unknownToken.status).toBe(401)
    expect((await alice.get('/memory/threads/a1')).body).toMatchObject({ id: 'a1', title: null })
    expect((await alice.get('/memory/threads')).body.total).toBe(1)
  })
})
