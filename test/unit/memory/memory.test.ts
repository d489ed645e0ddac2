import type { UIMessage } from 'ai'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HttpError } from '../../../src/core/errors.js'
import { Memory } from '../../../src/memory/memory.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'

let store: SqliteStore
beforeEach(() => {
  store = new SqliteStore(':memory:')
})
afterEach(async () => {
  await store.close()
})

const turn = (memory: Memory, threadId = 't1', resourceId = 'user-1') => memory.openTurn({ threadId, resourceId, context: {} })
const user = (id: string, text: string): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] })
const assistant = (id: string, text: string): UIMessage => ({ id, role: 'assistant', parts: [{ type: 'text', text }] })

function texts(messages: UIMessage[]): string[] {
  return messages.map((m) => m.parts.map((p) => (p.type === 'text' ? p.text : p.type)).join(''))
}

describe('Memory.openTurn', () => {
  it('creates the thread for the resource on first use', async () => {
    const first = await turn(new Memory({ store }))
    expect(first.history).toEqual([])
    expect(await store.threads.getThread('t1')).toMatchObject({ id: 't1', resourceId: 'user-1' })
  })

  it('answers 404 "Thread not found" for a thread another resource owns', async () => {
    const memory = new Memory({ store })
    await turn(memory, 't1', 'owner')
    const error = await turn(memory, 't1', 'intruder').catch((err: unknown) => err)
    expect(error).toBeInstanceOf(HttpError)
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'Thread not found' })
  })

  it('lets exactly one of two resources racing for a new thread own it', async () => {
    const memory = new Memory({ store })
    const results = await Promise.allSettled([turn(memory, 'race', 'a'), turn(memory, 'race', 'b')])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1)
  })

  it('replays the last N stored messages, oldest first', async () => {
    const memory = new Memory({ store, lastMessages: 3 })
    for (let i = 1; i <= 3; i++) {
      const t = await turn(memory)
      await t.saveInput([user(`u${i}`, `question ${i}`)])
      await t.saveReply(assistant(`a${i}`, `answer ${i}`))
    }
    const { history } = await turn(memory)
    expect(texts(history)).toEqual(['answer 2', 'question 3', 'answer 3'])
    expect(texts((await turn(new Memory({ store, lastMessages: 0 }))).history)).toEqual([])
  })

  it('upserts re-sent input by id instead of duplicating it', async () => {
    const memory = new Memory({ store })
    const t = await turn(memory)
    await t.saveInput([user('u1', 'hello')])
    await t.saveInput([user('u1', 'hello (edited)'), user('u2', 'more')])
    expect(texts((await turn(memory)).history)).toEqual(['hello (edited)', 'more'])
  })

  it('marks an aborted reply with metadata.aborted', async () => {
    const memory = new Memory({ store })
    const t = await turn(memory)
    await t.saveReply({ ...assistant('a1', 'partial'), metadata: { modelId: 'm' } }, { aborted: true })
    const [stored] = await store.threads.getMessages(['a1'])
    expect(stored.content.metadata).toEqual({ modelId: 'm', aborted: true })
    expect((await turn(memory)).history[0].metadata).toEqual({ modelId: 'm', aborted: true })
    await t.saveReply(assistant('a2', 'complete'))
    expect((await store.threads.getMessages(['a2']))[0].content.metadata).toBeUndefined()
  })

  it('has no system text and no tools without working memory', async () => {
    const t = await turn(new Memory({ store }))
    expect(t.system).toBeUndefined()
    expect(t.tools).toEqual({})
  })

  it('offers working memory as system text and an update tool bound to the turn', async () => {
    const memory = new Memory({ store, workingMemory: { template: '# User\n- Name:' } })
    const t = await turn(memory)
    expect(t.system).toContain('# User\n- Name:')
    expect(Object.keys(t.tools)).toEqual(['updateWorkingMemory'])
    await t.tools.updateWorkingMemory.execute!({ memory: '# User\n- Name: Ada' }, { toolCallId: 'c', messages: [] })
    expect((await turn(memory, 't2')).system).toContain('- Name: Ada')
    expect((await turn(new Memory({ store, workingMemory: { enabled: false } }))).system).toBeUndefined()
  })

  it('uses the store the caller lends when it has none of its own, and says so when there is none', async () => {
    const memory = new Memory()
    await expect(turn(memory)).rejects.toThrow(/no store/)
    await memory.openTurn({ threadId: 't1', resourceId: 'user-1', context: {}, store })
    expect(await store.threads.getThread('t1')).not.toBeNull()
  })

  it('prefers its own store over the one a caller lends', async () => {
    const lent = new SqliteStore(':memory:')
    try {
      await new Memory({ store }).openTurn({ threadId: 'own', resourceId: 'user-1', context: {}, store: lent })
      expect(await store.threads.getThread('own')).not.toBeNull()
      expect(await lent.threads.getThread('own')).toBeNull()
    } finally {
      await lent.close()
    }
  })
})
