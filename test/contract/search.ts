import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store, StoredMessage, Thread } from '../../src/storage/types.js'

/** Lexical message search and thread transfer: the same answers from every `Store`. */
export function searchContract(open: () => Store | Promise<Store>): void {
  let store: Store

  beforeEach(async () => {
    store = await open()
  })
  afterEach(async () => {
    await store.close()
  })

  function thread(id: string, resourceId: string, title: string | null = `title ${id}`): Thread {
    return { id, resourceId, title, metadata: {}, createdAt: new Date(1_000), updatedAt: new Date(1_000) }
  }

  function message(id: string, threadId: string, resourceId: string, text: string | null, at = 5_000): StoredMessage {
    const parts = text === null ? [{ type: 'step-start' }] : [{ type: 'text', text }]
    return {
      id,
      content: text === null ? { format: 2, parts } : { format: 2, parts, content: text },
      role: 'user',
      createdAt: new Date(at),
      threadId,
      resourceId,
    }
  }

  async function seed(): Promise<void> {
    await store.threads.createThread(thread('a1', 'alice', 'Billing'))
    await store.threads.createThread(thread('a2', 'alice', null))
    await store.threads.createThread(thread('b1', 'bob'))
    await store.threads.saveMessages([
      message('m1', 'a1', 'alice', 'Where is my invoice for March?', 1_000),
      message('m2', 'a1', 'alice', 'The invoice was sent, invoice number 42, and a second invoice follows', 2_000),
      message('m3', 'a2', 'alice', 'Invoices are archived after a year', 3_000),
      message('m4', 'a2', 'alice', 'Nothing to see here', 4_000),
      message('m5', 'a2', 'alice', null, 5_000),
    ])
    await store.threads.saveMessages([message('b-m1', 'b1', 'bob', 'Bob asks about his invoice', 1_000)])
  }

  const ids = (hits: Array<{ message: StoredMessage }>) => hits.map((hit) => hit.message.id)

  describe('message search', () => {
    it('finds a resource’s messages by word or word start, best match first, never another resource’s', async () => {
      await seed()
      const hits = await store.threads.searchMessages({ text: 'invoice', resourceId: 'alice', limit: 10 })
      // m2 says it four times; how the other two compare is each engine's own business.
      expect(ids(hits)[0]).toBe('m2')
      expect(ids(hits).slice(1).sort()).toEqual(['m1', 'm3'])
      expect(hits[0].score).toBeGreaterThan(hits[1].score)
      expect(hits[0].threadTitle).toBe('Billing')
      expect(hits.find((hit) => hit.message.id === 'm3')?.threadTitle).toBeNull()
      expect(hits[0].message).toEqual((await store.threads.getMessages(['m2']))[0])
      expect(ids(await store.threads.searchMessages({ text: 'invoice', resourceId: 'bob', limit: 10 }))).toEqual(['b-m1'])
      expect(ids(await store.threads.searchMessages({ text: 'invoice', limit: 10 })).sort()).toEqual(['b-m1', 'm1', 'm2', 'm3'])
    })

    it('needs every term, ignores case and punctuation, and narrows to one thread', async () => {
      await seed()
      expect(ids(await store.threads.searchMessages({ text: 'INVOICE, march!', resourceId: 'alice', limit: 10 }))).toEqual(['m1'])
      expect(ids(await store.threads.searchMessages({ text: 'invoice march year', resourceId: 'alice', limit: 10 }))).toEqual([])
      expect(ids(await store.threads.searchMessages({ text: 'invoice', resourceId: 'alice', threadId: 'a2', limit: 10 }))).toEqual(['m3'])
      expect(ids(await store.threads.searchMessages({ text: 'invoice', resourceId: 'alice', limit: 1 }))).toEqual(['m2'])
    })

    it('finds nothing for a query without words, and treats search syntax as plain text', async () => {
      await seed()
      for (const text of ['', '   ', '*', '"', '-- ;', 'NOT OR AND', 'invoice" OR "nothing', 'text:invoice*']) {
        const hits = await store.threads.searchMessages({ text, resourceId: 'alice', limit: 10 })
        expect(hits.every((hit) => hit.message.resourceId === 'alice'), text).toBe(true)
      }
      expect(await store.threads.searchMessages({ text: ' ;* ', resourceId: 'alice', limit: 10 })).toEqual([])
      expect(ids(await store.threads.searchMessages({ text: 'invoice" OR "nothing', resourceId: 'alice', limit: 10 }))).toEqual([])
    })

    it('follows edits and deletes of messages and threads', async () => {
      await seed()
      await store.threads.saveMessages([message('m4', 'a2', 'alice', 'Now about an invoice', 4_000)])
      expect(ids(await store.threads.searchMessages({ text: 'nothing', resourceId: 'alice', limit: 10 }))).toEqual([])
      expect(ids(await store.threads.searchMessages({ text: 'invoice', resourceId: 'alice', threadId: 'a2', limit: 10 })).sort()).toEqual(['m3', 'm4'])
      await store.threads.deleteMessages(['m4'])
      expect(ids(await store.threads.searchMessages({ text: 'invoice', resourceId: 'alice', threadId: 'a2', limit: 10 }))).toEqual(['m3'])
      await store.threads.deleteThread('a1')
      expect(ids(await store.threads.searchMessages({ text: 'invoice', resourceId: 'alice', limit: 10 }))).toEqual(['m3'])
    })

    it('finds the messages of a cloned thread under the clone', async () => {
      await seed()
      await store.threads.cloneThread({ sourceThreadId: 'a1', thread: thread('copy', 'alice') })
      const hits = await store.threads.searchMessages({ text: 'march', resourceId: 'alice', threadId: 'copy', limit: 10 })
      expect(hits).toHaveLength(1)
      expect(hits[0].message.content.content).toBe('Where is my invoice for March?')
    })
  })

  describe('thread transfer', () => {
    it('moves a thread and its messages to another resource, keeping createdAt', async () => {
      await seed()
      const moved = await store.threads.transferThread('a1', 'carol')
      expect(moved).toMatchObject({ id: 'a1', resourceId: 'carol', title: 'Billing' })
      expect(moved!.createdAt.getTime()).toBe(1_000)
      expect(moved!.updatedAt.getTime()).toBeGreaterThan(1_000)
      expect((await store.threads.getThread('a1'))?.resourceId).toBe('carol')
      const { items } = (await store.threads.listMessages({ threadId: 'a1', page: 0, perPage: 10 }))!
      expect(items.map((m) => m.resourceId)).toEqual(['carol', 'carol'])
      expect(ids(await store.threads.searchMessages({ text: 'invoice', resourceId: 'carol', limit: 10 })).sort()).toEqual(['m1', 'm2'])
      expect(ids(await store.threads.searchMessages({ text: 'invoice', resourceId: 'alice', limit: 10 }))).toEqual(['m3'])
    })

    it('moves nothing when the current owner is not the one named, or the thread is missing', async () => {
      await seed()
      expect(await store.threads.transferThread('b1', 'alice', 'alice')).toBeNull()
      expect((await store.threads.getThread('b1'))?.resourceId).toBe('bob')
      expect((await store.threads.getMessages(['b-m1']))[0].resourceId).toBe('bob')
      expect(await store.threads.transferThread('nope', 'alice')).toBeNull()
      expect((await store.threads.transferThread('b1', 'alice', 'bob'))?.resourceId).toBe('alice')
    })
  })
}
