import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ADMIN, ALICE, BOB, failure, startClientApp, type ClientApp } from './fixture.js'
import { closeClean } from '../harness/lifecycle.js'

// `@mastra/client-js` itself, unchanged, against a mount: the memory family.
describe.each(hosts)('@mastra/client-js memory on $name', (factory) => {
  let app: ClientApp

  beforeAll(async () => {
    app = await startClientApp(factory)
  })
  afterAll(() => closeClean(app))

  const textsOf = (messages: any[]) => messages.map((m) => m.content.content)

  it('createMemoryThread(), getMemoryThread().get() and listMemoryThreads() with its order', async () => {
    const client = app.client(ALICE)
    const created = await client.createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-first', title: 'First' })
    expect(created).toMatchObject({ id: 'm-first', resourceId: 'alice', title: 'First' })
    await client.createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-second', title: 'Second' })
    expect(await client.getMemoryThread({ threadId: 'm-first', agentId: 'support' }).get()).toMatchObject({ id: 'm-first', title: 'First' })
    const ascending = await client.listMemoryThreads({ agentId: 'support', orderBy: { field: 'createdAt', direction: 'ASC' } })
    const ids = ascending.threads.map((t: any) => t.id).filter((id: string) => id.startsWith('m-'))
    expect(ids).toEqual(['m-first', 'm-second'])
    const page = await client.listMemoryThreads({ agentId: 'support', perPage: 1, page: 0 })
    expect(page).toMatchObject({ page: 0, perPage: 1, hasMore: true })
    expect((await app.client(BOB).listMemoryThreads({ agentId: 'support' })).threads.map((t: any) => t.id)).not.toContain('m-first')
  })

  it('saveMessageToMemory(), listThreadMessages() and MemoryThread.listMessages()', async () => {
    const client = app.client(ALICE)
    await client.createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-talk' })
    const saved = await client.saveMessageToMemory({
      agentId: 'support',
      messages: [
        { id: 'talk-1', threadId: 'm-talk', resourceId: 'alice', role: 'user', content: { format: 2, parts: [{ type: 'text', text: 'My parcel is late' }] }, createdAt: new Date(1_000) },
        { id: 'talk-2', threadId: 'm-talk', resourceId: 'alice', role: 'assistant', content: { format: 2, parts: [{ type: 'text', text: 'It ships tomorrow' }] }, createdAt: new Date(2_000) },
      ] as any,
    })
    expect(saved.messages.map((m: any) => m.id)).toEqual(['talk-1', 'talk-2'])
    const listed = await client.listThreadMessages('m-talk', { agentId: 'support' })
    expect(textsOf(listed.messages)).toEqual(['My parcel is late', 'It ships tomorrow'])
    const paged = await client.getMemoryThread({ threadId: 'm-talk', agentId: 'support' }).listMessages({ page: 1, perPage: 1 })
    expect(textsOf(paged.messages)).toEqual(['It ships tomorrow'])
    expect(paged.uiMessages?.[0]).toMatchObject({ id: 'talk-2', role: 'assistant' })
  })

  it('MemoryThread.update(), clone() and deleteMessages()', async () => {
    const client = app.client(ALICE)
    await client.createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-edit' })
    await client.saveMessageToMemory({ agentId: 'support', messages: [{ id: 'edit-1', threadId: 'm-edit', resourceId: 'alice', role: 'user', content: 'keep me', createdAt: new Date() }] as any })
    const thread = client.getMemoryThread({ threadId: 'm-edit', agentId: 'support' })
    expect(await thread.update({ title: 'Edited', metadata: { tag: 'x' } })).toMatchObject({ title: 'Edited', metadata: { tag: 'x' } })
    const cloned = await thread.clone({ newThreadId: 'm-edit-copy', title: 'Copy' })
    expect(cloned.thread).toMatchObject({ id: 'm-edit-copy', title: 'Copy', resourceId: 'alice' })
    expect(textsOf(cloned.clonedMessages)).toEqual(['keep me'])
    expect(await thread.deleteMessages(['edit-1'])).toEqual({ success: true, message: '1 message deleted' })
    expect((await thread.listMessages()).messages).toEqual([])
    expect((await client.listThreadMessages('m-edit-copy', { agentId: 'support' })).total).toBe(1)
  })

  it('MemoryThread.delete() and deleteThread() remove the thread', async () => {
    const client = app.client(ALICE)
    await client.createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-gone-1' })
    await client.createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-gone-2' })
    expect(await client.getMemoryThread({ threadId: 'm-gone-1', agentId: 'support' }).delete()).toEqual({ result: 'Thread deleted' })
    expect(await client.deleteThread('m-gone-2', { agentId: 'support' })).toEqual({ result: 'Thread deleted' })
    for (const id of ['m-gone-1', 'm-gone-2']) {
      expect((await failure(client.getMemoryThread({ threadId: id, agentId: 'support' }).get())).status).toBe(404)
    }
  })

  it('getWorkingMemory() and updateWorkingMemory()', async () => {
    const client = app.client(ALICE)
    await client.createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-notes' })
    expect(await client.getWorkingMemory({ agentId: 'support', threadId: 'm-notes', resourceId: 'alice' })).toEqual({
      workingMemory: '# Customer', source: 'thread',
    })
    expect(await client.updateWorkingMemory({ agentId: 'support', threadId: 'm-notes', workingMemory: '# Customer\n- Name: Alice' })).toEqual({ success: true })
    const updated: any = await client.getWorkingMemory({ agentId: 'support', threadId: 'm-notes' })
    expect(updated.workingMemory).toBe('# Customer\n- Name: Alice')
  })

  it('getMemoryStatus() and getMemoryConfig()', async () => {
    const client = app.client(ALICE)
    expect(await client.getMemoryStatus('support')).toEqual({ result: true, memoryType: 'local' })
    expect(await client.getMemoryStatus('concierge')).toEqual({ result: false, memoryType: 'local' })
    expect(await client.getMemoryConfig({ agentId: 'support' })).toEqual({
      memoryType: 'local',
      config: { lastMessages: 10, semanticRecall: false, workingMemory: { enabled: true, scope: 'thread', template: '# Customer' } },
    })
    expect((await client.getMemoryConfig({ agentId: 'concierge' })).config).toBeNull()
  })

  it('searchMemory() ranks the caller’s own messages, in one thread or all', async () => {
    const alice = app.client(ALICE)
    await alice.createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-search', title: 'Refunds' })
    await alice.saveMessageToMemory({
      agentId: 'support',
      messages: [
        { id: 'search-1', threadId: 'm-search', resourceId: 'alice', role: 'user', content: 'refund for the refund of my refund', createdAt: new Date() },
        { id: 'search-2', threadId: 'm-search', resourceId: 'alice', role: 'user', content: 'when will the refund arrive', createdAt: new Date() },
      ] as any,
    })
    await app.client(BOB).saveMessageToMemory({
      agentId: 'support', messages: [{ id: 'search-bob', threadId: 'm-search-bob', resourceId: 'bob', role: 'user', content: 'bob wants a refund', createdAt: new Date() }] as any,
    })
    const found = await alice.searchMemory({ agentId: 'support', resourceId: 'alice', searchQuery: 'refund' })
    expect(found).toMatchObject({ count: 2, query: 'refund', searchScope: 'resource', searchType: 'lexical' })
    expect(found.results.map((r: any) => r.id)).toEqual(['search-1', 'search-2'])
    expect(found.results[0]).toMatchObject({ threadId: 'm-search', threadTitle: 'Refunds', content: 'refund for the refund of my refund' })
    const inThread = await alice.searchMemory({ agentId: 'support', resourceId: 'alice', threadId: 'm-search', searchQuery: 'arrive' })
    expect(inThread).toMatchObject({ count: 1, searchScope: 'thread' })
    const forged = await alice.searchMemory({ agentId: 'support', resourceId: 'bob', searchQuery: 'bob' })
    expect(forged.results).toEqual([])
  })

  it('MemoryThread.transfer() moves a thread for an unscoped caller, and is refused to a scoped one', async () => {
    await app.client(ALICE).createMemoryThread({ agentId: 'support', resourceId: 'alice', threadId: 'm-move' })
    const refused = await failure(app.client(ALICE).getMemoryThread({ threadId: 'm-move', agentId: 'support' }).transfer({ resourceId: 'bob' }))
    expect(refused.status).toBe(403)
    expect(refused.body.code).toBe('FORBIDDEN')
    const moved = await app.client(ADMIN).getMemoryThread({ threadId: 'm-move', agentId: 'support' }).transfer({ resourceId: 'bob' })
    expect(moved).toMatchObject({ id: 'm-move', resourceId: 'bob' })
    expect(await app.client(BOB).getMemoryThread({ threadId: 'm-move', agentId: 'support' }).get()).toMatchObject({ resourceId: 'bob' })
    expect((await failure(app.client(ALICE).getMemoryThread({ threadId: 'm-move', agentId: 'support' }).get())).status).toBe(404)
  })
})
