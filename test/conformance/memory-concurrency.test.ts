import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { closeClean, tempDir } from '../harness/lifecycle.js'
import { ALICE, BOB, startMemoryApp, type MemoryApp, type MemoryClient } from './memory-fixture.js'

const COUNT = 200

describe.each(hosts)('memory under concurrent requests on $name', (factory) => {
  let dir: ReturnType<typeof tempDir>
  let app: MemoryApp
  let alice: MemoryClient

  beforeEach(async () => {
    dir = tempDir()
    app = await startMemoryApp(factory, { path: join(dir.path, 'memory.db') })
    alice = app.as(ALICE)
  })
  afterEach(async () => {
    await closeClean(app)
    dir.remove()
  })

  it(`stores all of ${COUNT} parallel save-messages to one thread and keeps serving meanwhile`, async () => {
    await alice.thread({ threadId: 'busy' })
    const sent = Array.from({ length: COUNT }, (_, i) => `busy-${i}`)
    const saves = sent.map((id, i) =>
      alice.post('/memory/save-messages', { messages: [{ id, threadId: 'busy', role: i % 2 ? 'assistant' : 'user', content: `message ${i}` }] }),
    )
    const listing = alice.get('/memory/threads')
    const results = await Promise.all(saves)
    expect(results.map((r) => r.status)).toEqual(sent.map(() => 200))
    expect(results.map((r) => r.body.messages[0].id)).toEqual(sent)
    const list = await listing
    expect(list.status).toBe(200)
    expect(list.body.threads.map((t: any) => t.id)).toEqual(['busy'])

    const page = await alice.get('/memory/threads/busy/messages?perPage=1000')
    expect(page.body.total).toBe(COUNT)
    const stored = page.body.messages.map((m: any) => m.id)
    expect(stored).toHaveLength(COUNT)
    expect(new Set(stored).size).toBe(COUNT)
    expect([...stored].sort()).toEqual([...sent].sort())
    expect(page.body.uiMessages).toHaveLength(COUNT)
  })

  it('creates a thread once when parallel saves name it before it exists', async () => {
    const saves = Array.from({ length: 40 }, (_, i) =>
      alice.post('/memory/save-messages', { messages: [{ id: `new-${i}`, threadId: 'fresh', role: 'user', content: `#${i}` }] }),
    )
    const results = await Promise.all(saves)
    expect(results.map((r) => r.status)).toEqual(saves.map(() => 200))
    const list = await alice.get('/memory/threads')
    expect(list.body.threads.map((t: any) => t.id)).toEqual(['fresh'])
    expect((await alice.get('/memory/threads/fresh/messages?perPage=100')).body.total).toBe(40)
  })

  it('keeps two resources’ parallel writes apart', async () => {
    const bob = app.as(BOB)
    await alice.thread({ threadId: 'a' })
    await bob.thread({ threadId: 'b' })
    const writes = Array.from({ length: 50 }, (_, i) => [
      alice.post('/memory/save-messages', { messages: [{ id: `a-${i}`, threadId: 'a', role: 'user', content: 'alice' }] }),
      bob.post('/memory/save-messages', { messages: [{ id: `b-${i}`, threadId: 'b', role: 'user', content: 'bob' }] }),
      bob.post('/memory/save-messages', { messages: [{ id: `x-${i}`, threadId: 'a', role: 'user', content: 'intruder' }] }),
    ]).flat()
    const statuses = (await Promise.all(writes)).map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(100)
    expect(statuses.filter((s) => s === 404)).toHaveLength(50)
    const hers = (await alice.get('/memory/threads/a/messages?perPage=100')).body
    expect(hers.total).toBe(50)
    expect(hers.messages.every((m: any) => m.resourceId === 'alice' && m.content.content === 'alice')).toBe(true)
    expect((await bob.get('/memory/threads/b/messages?perPage=100')).body.total).toBe(50)
  })
})
