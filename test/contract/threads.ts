import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpError } from '../../src/core/errors.js'
import type { Store, StoredMessage, Thread } from '../../src/storage/types.js'

/** The thread, message and working-memory behaviour every `Store` implementation must show. */
export function threadStoreContract(open: () => Store | Promise<Store>): void {
  let store: Store

  beforeEach(async () => {
    store = await open()
  })
  afterEach(async () => {
    await store.close()
  })

  function thread(id: string, resourceId = 'user-1', at = 1_000): Thread {
    return { id, resourceId, title: `title ${id}`, metadata: { n: id }, createdAt: new Date(at), updatedAt: new Date(at) }
  }

  function message(id: string, threadId: string, text = id, at = 5_000): StoredMessage {
    return {
      id,
      content: { format: 2, parts: [{ type: 'text', text }], content: text },
      role: 'user',
      createdAt: new Date(at),
      threadId,
      resourceId: 'user-1',
    }
  }

  async function rejection(promise: Promise<unknown>): Promise<HttpError> {
    const error = await promise.then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(HttpError)
    return error as HttpError
  }

  describe('threads', () => {
    it('creates, reads, updates and refuses a taken id', async () => {
      expect(await store.threads.createThread(thread('t1'))).toBe(true)
      expect(await store.threads.createThread({ ...thread('t1', 'intruder'), title: 'stolen' })).toBe(false)
      const read = await store.threads.getThread('t1')
      expect(read).toEqual(thread('t1'))
      expect(Object.keys(read!)).toEqual(['id', 'resourceId', 'title', 'metadata', 'createdAt', 'updatedAt'])

      const updated = await store.threads.updateThread('t1', { title: 'renamed' })
      expect(updated?.title).toBe('renamed')
      expect(updated?.metadata).toEqual({ n: 't1' })
      expect(updated!.updatedAt.getTime()).toBeGreaterThan(1_000)
      expect(await store.threads.updateThread('missing', { title: 'x' })).toBeNull()
      expect(await store.threads.getThread('missing')).toBeNull()
    })

    it('saveThread upserts title and metadata but never moves the thread to another owner', async () => {
      await store.threads.saveThread(thread('t1'))
      const saved = await store.threads.saveThread({ ...thread('t1', 'intruder', 2_000), title: 'new', metadata: { b: 2 } })
      expect(saved).toMatchObject({ resourceId: 'user-1', title: 'new', metadata: { b: 2 } })
      expect(saved.createdAt.getTime()).toBe(1_000)
    })

    it('lists one resource’s threads, ordered and paged, with the total', async () => {
      for (let i = 0; i < 5; i++) await store.threads.createThread(thread(`a${i}`, 'user-a', 1_000 + i))
      await store.threads.createThread(thread('b0', 'user-b', 500))
      const base = { resourceId: 'user-a', perPage: 2, orderBy: 'createdAt', direction: 'DESC' } as const

      const first = await store.threads.listThreads({ ...base, page: 0 })
      expect(first.items.map((t) => t.id)).toEqual(['a4', 'a3'])
      expect(first.total).toBe(5)
      expect((await store.threads.listThreads({ ...base, page: 2 })).items.map((t) => t.id)).toEqual(['a0'])
      const past = await store.threads.listThreads({ ...base, page: 9 })
      expect(past).toEqual({ items: [], total: 5 })

      const ascending = await store.threads.listThreads({ ...base, page: 0, perPage: 10, direction: 'ASC' })
      expect(ascending.items.map((t) => t.id)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'])
      const everyone = await store.threads.listThreads({ ...base, resourceId: undefined, page: 0, perPage: 10 })
      expect(everyone.total).toBe(6)
      expect(everyone.items.at(-1)?.id).toBe('b0')
    })

    it('orders by updatedAt when asked, so a thread with a new message comes first', async () => {
      await store.threads.createThread(thread('old', 'user-1', 1_000))
      await store.threads.createThread(thread('new', 'user-1', 2_000))
      await store.threads.saveMessages([message('m1', 'old')])
      const query = { resourceId: 'user-1', page: 0, perPage: 10, direction: 'DESC' } as const
      expect((await store.threads.listThreads({ ...query, orderBy: 'updatedAt' })).items[0].id).toBe('old')
      expect((await store.threads.listThreads({ ...query, orderBy: 'createdAt' })).items[0].id).toBe('new')
    })

    it('pages threads with equal timestamps without overlap or gaps', async () => {
      for (let i = 0; i < 7; i++) await store.threads.createThread(thread(`t${i}`, 'user-1', 1_000))
      const seen: string[] = []
      for (let page = 0; page < 4; page++) {
        const { items } = await store.threads.listThreads({ resourceId: 'user-1', page, perPage: 2, orderBy: 'createdAt', direction: 'DESC' })
        seen.push(...items.map((t) => t.id))
      }
      expect(new Set(seen).size).toBe(7)
    })
  })

  describe('messages', () => {
    beforeEach(async () => {
      await store.threads.createThread(thread('t1'))
    })

    it('lists oldest first, keeps insertion order for equal timestamps, and pages with a total', async () => {
      await store.threads.saveMessages([message('c', 't1', 'c', 3_000), message('a', 't1', 'a', 1_000)])
      await store.threads.saveMessages([message('b1', 't1', 'b1', 2_000), message('b2', 't1', 'b2', 2_000)])
      await store.threads.saveMessages([message('b3', 't1', 'b3', 2_000)])
      const all = (await store.threads.listMessages({ threadId: 't1', page: 0, perPage: 10 }))!
      expect(all.items.map((m) => m.id)).toEqual(['a', 'b1', 'b2', 'b3', 'c'])
      expect(all.total).toBe(5)
      expect(Object.keys(all.items[0])).toEqual(['id', 'content', 'role', 'createdAt', 'threadId', 'resourceId'])
      const second = (await store.threads.listMessages({ threadId: 't1', page: 1, perPage: 2 }))!
      expect(second.items.map((m) => m.id)).toEqual(['b2', 'b3'])
      expect(((await store.threads.listMessages({ threadId: 't1', page: 5, perPage: 2 }))!).items).toEqual([])
      expect((await store.threads.lastMessages('t1', 2)).map((m) => m.id)).toEqual(['b3', 'c'])
    })

    it('lists nothing (null) for a missing thread or another resource’s, and the page for the owner', async () => {
      await store.threads.saveMessages([message('m1', 't1', 'first', 1_000)])
      const owner = (await store.threads.getThread('t1'))!.resourceId
      expect(await store.threads.listMessages({ threadId: 'nope', page: 0, perPage: 10 })).toBeNull()
      expect(await store.threads.listMessages({ threadId: 't1', page: 0, perPage: 10, resourceId: `${owner}-other` })).toBeNull()
      const mine = (await store.threads.listMessages({ threadId: 't1', page: 0, perPage: 10, resourceId: owner }))!
      expect([mine.items.map((m) => m.id), mine.total]).toEqual([['m1'], 1])
    })

    it('upserts by id: a re-saved message changes content but keeps its place', async () => {
      await store.threads.saveMessages([message('m1', 't1', 'first', 1_000), message('m2', 't1', 'second', 2_000)])
      const [saved] = await store.threads.saveMessages([message('m1', 't1', 'edited', 9_000)])
      expect(saved.content.content).toBe('edited')
      const { items, total } = (await store.threads.listMessages({ threadId: 't1', page: 0, perPage: 10 }))!
      expect(items.map((m) => m.content.content)).toEqual(['edited', 'second'])
      expect(total).toBe(2)
    })

    it('touches the thread’s updatedAt on save', async () => {
      await store.threads.saveMessages([message('m1', 't1')])
      expect((await store.threads.getThread('t1'))!.updatedAt.getTime()).toBeGreaterThan(1_000)
    })

    it('refuses an id that lives in another thread, saving nothing of the batch', async () => {
      await store.threads.createThread(thread('t2', 'user-2'))
      await store.threads.saveMessages([message('victim', 't2', 'private')])
      const error = await rejection(store.threads.saveMessages([message('fresh', 't1'), message('victim', 't1', 'hijack')]))
      expect(error.status).toBe(409)
      expect((await store.threads.getMessages(['victim']))[0].content.content).toBe('private')
      expect(await store.threads.getMessages(['fresh'])).toEqual([])
    })

    it('creates the batch’s new threads in its transaction: a refused batch leaves none behind', async () => {
      await store.threads.saveMessages([message('taken', 't1')])
      const fresh = thread('fresh', 'user-1', 2_000)
      const refused = await rejection(store.threads.saveMessages([message('a', 'fresh'), message('taken', 'fresh')], [fresh]))
      expect(refused.status).toBe(409)
      expect(await store.threads.getThread('fresh')).toBeNull()
      expect(await store.threads.getMessages(['a'])).toEqual([])
      const saved = await store.threads.saveMessages([message('a', 'fresh')], [fresh])
      expect(saved.map((m) => m.id)).toEqual(['a'])
      expect(await store.threads.getThread('fresh')).toMatchObject({ id: 'fresh', resourceId: 'user-1', title: 'title fresh' })
    })

    it('uses a new thread that exists by then only when the same resource owns it', async () => {
      await store.threads.createThread(thread('raced', 'user-1'))
      await store.threads.createThread(thread('theirs', 'user-2'))
      const joined = await store.threads.saveMessages([message('m1', 'raced')], [thread('raced', 'user-1', 9_000)])
      expect(joined.map((m) => m.threadId)).toEqual(['raced'])
      expect((await store.threads.getThread('raced'))!.createdAt.getTime()).toBe(1_000)
      const refused = await rejection(store.threads.saveMessages([message('m2', 'theirs')], [thread('theirs', 'user-1')]))
      expect(refused.status).toBe(404)
      expect(await store.threads.getMessages(['m2'])).toEqual([])
      expect((await store.threads.getThread('theirs'))!.resourceId).toBe('user-2')
    })

    it('answers 404 for messages saved into a missing thread', async () => {
      expect((await rejection(store.threads.saveMessages([message('m', 'nope')]))).status).toBe(404)
    })

    it('stores all of 200 concurrent saves to one thread, none lost or duplicated', async () => {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.threads.saveMessages([message(`m${i}`, 't1', `text ${i}`, 1_000)])),
      )
      const { items, total } = (await store.threads.listMessages({ threadId: 't1', page: 0, perPage: 1000 }))!
      expect(total).toBe(200)
      expect(new Set(items.map((m) => m.id)).size).toBe(200)
    })

    it('deletes messages by id and keeps the total right', async () => {
      await store.threads.saveMessages([message('m1', 't1'), message('m2', 't1'), message('m3', 't1')])
      expect(await store.threads.deleteMessages(['m1', 'm3', 'unknown'])).toBe(2)
      const { items, total } = (await store.threads.listMessages({ threadId: 't1', page: 0, perPage: 10 }))!
      expect(items.map((m) => m.id)).toEqual(['m2'])
      expect(total).toBe(1)
    })

    it('deleting a thread removes its messages and thread-scoped working memory', async () => {
      await store.threads.saveMessages([message('m1', 't1'), message('m2', 't1')])
      await store.workingMemory.setWorkingMemory('thread', 't1', 'notes')
      await store.workingMemory.setWorkingMemory('resource', 'user-1', 'profile')
      expect(await store.threads.deleteThread('t1')).toBe(true)
      expect(await store.threads.getMessages(['m1', 'm2'])).toEqual([])
      expect(await store.workingMemory.getWorkingMemory('thread', 't1')).toBeNull()
      expect(await store.workingMemory.getWorkingMemory('resource', 'user-1')).toBe('profile')
      expect(await store.threads.deleteThread('t1')).toBe(false)
    })

    it('clones a thread with new message ids and leaves the source untouched', async () => {
      await store.threads.saveMessages([message('m1', 't1', 'one', 1_000), message('m2', 't1', 'two', 2_000), message('m3', 't1', 'three', 3_000)])
      const copy = { ...thread('copy', 'user-1', 4_000) }
      const cloned = await store.threads.cloneThread({ sourceThreadId: 't1', thread: copy, messageLimit: 2 })
      expect(cloned.map((m) => m.content.content)).toEqual(['two', 'three'])
      expect(cloned.every((m) => m.threadId === 'copy' && !['m2', 'm3'].includes(m.id))).toBe(true)
      expect(((await store.threads.listMessages({ threadId: 'copy', page: 0, perPage: 10 }))!).total).toBe(2)
      expect(((await store.threads.listMessages({ threadId: 't1', page: 0, perPage: 10 }))!).total).toBe(3)
      expect((await rejection(store.threads.cloneThread({ sourceThreadId: 't1', thread: copy }))).status).toBe(409)
      expect((await rejection(store.threads.cloneThread({ sourceThreadId: 'nope', thread: thread('x') }))).status).toBe(404)
    })

    it('clones the thread-scoped working memory with the thread, and only that', async () => {
      await store.workingMemory.setWorkingMemory('thread', 't1', 'thread notes')
      await store.workingMemory.setWorkingMemory('resource', 'user-1', 'profile')
      await store.threads.cloneThread({ sourceThreadId: 't1', thread: thread('copy') })
      expect(await store.workingMemory.getWorkingMemory('thread', 'copy')).toBe('thread notes')
      await store.threads.createThread(thread('bare'))
      await store.threads.cloneThread({ sourceThreadId: 'bare', thread: thread('bare-copy') })
      expect(await store.workingMemory.getWorkingMemory('thread', 'bare-copy')).toBeNull()
      expect(await store.workingMemory.getWorkingMemory('resource', 'user-1')).toBe('profile')
    })
  })

  describe('working memory', () => {
    it('keeps one value per scope and id', async () => {
      await store.workingMemory.setWorkingMemory('thread', 'x', 'thread value')
      await store.workingMemory.setWorkingMemory('resource', 'x', 'resource value')
      expect(await store.workingMemory.getWorkingMemory('thread', 'x')).toBe('thread value')
      expect(await store.workingMemory.getWorkingMemory('resource', 'x')).toBe('resource value')
      expect(await store.workingMemory.getWorkingMemory('resource', 'y')).toBeNull()
    })

    it('applies concurrent read-modify-write updates one after another', async () => {
      await Promise.all(
        Array.from({ length: 50 }, () =>
          store.workingMemory.updateWorkingMemory('resource', 'counter', (current) => String(Number(current ?? 0) + 1)),
        ),
      )
      expect(await store.workingMemory.getWorkingMemory('resource', 'counter')).toBe('50')
    })
  })
}
