import { randomUUID } from 'node:crypto'
import { DefaultChatTransport, readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { eventually } from '../harness/http.js'
import { ALICE, BOB, HELD, openStream, startAgentApp, TestChat, userMessage, type AgentApp } from './agents-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const textOf = (message: UIMessage | undefined) =>
  (message?.parts ?? []).filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join('')

/** What `useChat({ resume: true })` asks on load: the transport's reconnect call. */
function reconnect(app: AgentApp, agentId: string, chatId: string, token = ALICE) {
  const transport = new DefaultChatTransport<UIMessage>({ api: app.url(`/agents/${agentId}/chat`), headers: { authorization: `Bearer ${token}` } })
  return transport.reconnectToStream({ chatId })
}

async function readChunks(stream: ReadableStream<UIMessageChunk>): Promise<{ chunks: UIMessageChunk[]; message: UIMessage | undefined }> {
  const [forChunks, forMessage] = stream.tee()
  const chunks: UIMessageChunk[] = []
  const collecting = forChunks.pipeTo(new WritableStream({ write: (chunk) => void chunks.push(chunk) }))
  let message: UIMessage | undefined
  for await (const snapshot of readUIMessageStream({ stream: forMessage })) message = snapshot
  await collecting
  return { chunks, message }
}

const chatBody = (chatId: string, text: string) => ({ id: chatId, trigger: 'submit-message', messages: [userMessage(randomUUID(), text)] })

describe.each(hosts)('rejoining and stopping chats on $name', (factory) => {
  let app: AgentApp

  afterEach(() => closeClean(app))

  it('answers 204 when the chat has no running turn', async () => {
    app = await startAgentApp(factory)
    expect(await reconnect(app, 'support', randomUUID())).toBeNull()
    const res = await fetch(app.url(`/agents/support/chat/${randomUUID()}/stream`), { headers: { authorization: `Bearer ${ALICE}` } })
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
  })

  it('rejoins a turn still generating after a reload: the whole reply from its start, exactly once, ending [DONE]', async () => {
    app = await startAgentApp(factory, { mount: { onDisconnect: 'continue' } })
    const chatId = randomUUID()
    const first = await openStream(app.url('/agents/support/chat'), chatBody(chatId, 'hold on'))
    await first.until('held')
    first.disconnect()
    await eventually(() => app.models.support.held() === 1)

    const stream = await reconnect(app, 'support', chatId)
    expect(stream).not.toBeNull()
    // Another resource asking about the same chat learns nothing.
    expect(await reconnect(app, 'support', chatId, BOB)).toBeNull()
    const reading = readChunks(stream!)
    app.models.support.release()
    const { chunks, message } = await reading
    expect(chunks.filter((c) => c.type === 'start')).toHaveLength(1)
    expect(chunks.at(-1)?.type).toBe('finish')
    expect(textOf(message)).toBe(HELD.before + HELD.after)

    // Once finished there is nothing to rejoin, and memory holds the same reply, not marked aborted.
    expect(await reconnect(app, 'support', chatId)).toBeNull()
    const stored = (await app.as(ALICE).get(`/memory/threads/${chatId}/messages?agentId=support`)).body.uiMessages as UIMessage[]
    expect(stored.at(-1)).toMatchObject({ id: message!.id, role: 'assistant' })
    expect(stored.at(-1)!.metadata).toBeUndefined()
    expect(textOf(stored.at(-1))).toBe(HELD.before + HELD.after)
    const raw = await fetch(app.url(`/agents/support/chat/${chatId}/stream`), { headers: { authorization: `Bearer ${ALICE}` } })
    expect(raw.status).toBe(204)
  })

  it('lets useChat’s resumeStream() pick the reply up where a reload left it', async () => {
    app = await startAgentApp(factory, { mount: { onDisconnect: 'continue' } })
    const chatId = randomUUID()
    const first = await openStream(app.url('/agents/support/chat'), chatBody(chatId, 'hold on'))
    await first.until('held')
    first.disconnect()
    await eventually(() => app.models.support.held() === 1)
    const stored = (await app.as(ALICE).get(`/memory/threads/${chatId}/messages?agentId=support`)).body.uiMessages as UIMessage[]
    const chat = new TestChat(app, 'support', chatId, { messages: stored })
    const resumed = chat.resumeStream()
    await eventually(() => chat.status === 'streaming')
    app.models.support.release()
    await resumed
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant'])
    expect(textOf(chat.lastMessage)).toBe(HELD.before + HELD.after)
  })

  it('stops a running turn from another connection, keeping the partial reply in memory', async () => {
    app = await startAgentApp(factory)
    const chatId = randomUUID()
    const first = await openStream(app.url('/agents/support/chat'), chatBody(chatId, 'hang on'))
    await first.until('partial')
    expect((await app.as(BOB).post(`/agents/support/chat/${chatId}/stop`)).body).toEqual({ stopped: false })
    const stopped = await app.as(ALICE).post(`/agents/support/chat/${chatId}/stop`)
    expect(stopped.body).toMatchObject({ stopped: true, status: 'canceled' })
    expect(app.models.support.hung[0].aborted).toBe(true)
    await expect(first.until('never-sent')).rejects.toThrow(/stream ended/)
    const stored = (await app.as(ALICE).get(`/memory/threads/${chatId}/messages?agentId=support`)).body.uiMessages as UIMessage[]
    expect(stored.at(-1)).toMatchObject({ role: 'assistant', metadata: { aborted: true } })
    expect(textOf(stored.at(-1))).toBe('partial ')
    expect((await app.as(ALICE).post(`/agents/support/chat/${chatId}/stop`)).body).toEqual({ stopped: false })
    const run = (await app.as(ALICE).get(`/agents/support/runs/${stopped.body.runId}`)).body
    expect(run).toMatchObject({ kind: 'chat', threadId: chatId, status: 'canceled' })
  })
})
