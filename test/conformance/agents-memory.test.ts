import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { eventually, rawRequest, sseFrames } from '../harness/http.js'
import {
  ALICE,
  BOB,
  chatTurn,
  openStream,
  promptLines,
  startAgentApp,
  userMessage,
  type AgentApp,
  type AgentClient,
} from './agents-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const NOT_FOUND = { error: 'Thread not found', code: 'NOT_FOUND' }

describe.each(hosts)('agent memory over HTTP on $name', (factory) => {
  let app: AgentApp
  let alice: AgentClient

  beforeEach(async () => {
    app = await startAgentApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  const storedMessages = async (threadId: string) => {
    const res = await alice.get(`/memory/threads/${threadId}/messages`)
    expect(res.status).toBe(200)
    return res.body as { messages: any[]; uiMessages: any[]; total: number }
  }

  describe('generate and stream', () => {
    it('gives the second turn the first turn’s messages and stores the conversation', async () => {
      const memory = { thread: 'trip', resource: 'alice' }
      const first = await alice.post('/agents/support/generate', { messages: 'My name is Ada', memory })
      expect(first.status).toBe(200)
      const second = await alice.post('/agents/support/stream', { messages: 'What is my name?', memory })
      expect(sseFrames(second.text).at(-1).type).toBe('finish')
      expect(promptLines(app.models.support.doGenerateCalls[0]).slice(1)).toEqual(['user: My name is Ada'])
      expect(promptLines(app.models.support.doStreamCalls[0]).slice(1)).toEqual([
        'user: My name is Ada', 'assistant: Echo: My name is Ada', 'user: What is my name?',
      ])
      const stored = await storedMessages('trip')
      expect(stored.total).toBe(4)
      expect(stored.messages.map((m) => [m.role, m.content.content])).toEqual([
        ['user', 'My name is Ada'],
        ['assistant', 'Echo: My name is Ada'],
        ['user', 'What is my name?'],
        ['assistant', 'Echo: What is my name?'],
      ])
      for (const m of stored.messages) expect(m).toMatchObject({ threadId: 'trip', resourceId: 'alice', content: { format: 2 } })
      expect(stored.messages[3].id).toBe(sseFrames(second.text)[0].payload.messageId)
      expect(stored.uiMessages.map((m) => m.parts.filter((p: any) => p.type === 'text').map((p: any) => p.text))).toEqual([
        ['My name is Ada'], ['Echo: My name is Ada'], ['What is my name?'], ['Echo: What is my name?'],
      ])
    })

    it('replays a stored tool call and its result to the next turn', async () => {
      const memory = { thread: { id: 'tools' } }
      await alice.post('/agents/support/generate', { messages: 'weather in Oslo?', memory })
      await alice.post('/agents/support/generate', { messages: 'thanks', memory })
      expect(promptLines(app.models.support.doGenerateCalls[2]).slice(1)).toEqual([
        'user: weather in Oslo?',
        'assistant: [call weather]',
        'tool: [result weather]',
        'assistant: Tool said: {"city":"Oslo","temp":21,"tenant":"acme"}',
        'user: thanks',
      ])
    })

    it('stores both of two first turns that race on a new thread', async () => {
      const results = await Promise.all(
        ['one', 'two'].map((text) => alice.post('/agents/support/generate', { messages: text, memory: { thread: 'race' } })),
      )
      expect(results.map((r) => r.status)).toEqual([200, 200])
      const stored = await storedMessages('race')
      expect(stored.messages.map((m) => m.content.content).sort()).toEqual(['Echo: one', 'Echo: two', 'one', 'two'])
    })

    it('owns the thread by the signed-in resource, not the one a client names', async () => {
      await alice.post('/agents/support/generate', { messages: 'hi', memory: { thread: 'mine', resource: 'mallory' } })
      const thread = await alice.get('/memory/threads/mine')
      expect(thread.status).toBe(200)
      expect(thread.body.resourceId).toBe('alice')
    })
  })

  describe('chat', () => {
    it('uses the chat id as the thread and reloads what useChat showed', async () => {
      const u1 = userMessage('u1', 'My name is Ada')
      const first = await chatTurn(app, 'support', 'chat-1', [u1])
      const u2 = userMessage('u2', 'What is my name?')
      const second = await chatTurn(app, 'support', 'chat-1', [u1, first.message, u2])
      expect(promptLines(app.models.support.doStreamCalls[1]).slice(1)).toEqual([
        'user: My name is Ada', 'assistant: Echo: My name is Ada', 'user: What is my name?',
      ])
      const stored = await storedMessages('chat-1')
      expect(stored.uiMessages).toEqual([u1, first.message, u2, second.message])
      expect(stored.messages.map((m) => m.id)).toEqual(['u1', first.message.id, 'u2', second.message.id])
    })

    it('fills in history from memory when the client sends only the new message', async () => {
      const first = await chatTurn(app, 'support', 'chat-2', [userMessage('u1', 'weather in Oslo?')])
      await chatTurn(app, 'support', 'chat-2', [userMessage('u2', 'and tomorrow?')])
      expect(promptLines(app.models.support.doStreamCalls[2]).slice(1)).toEqual([
        'user: weather in Oslo?',
        'assistant: [call weather]',
        'tool: [result weather]',
        'assistant: Tool said: {"city":"Oslo","temp":21,"tenant":"acme"}',
        'user: and tomorrow?',
      ])
      const stored = await storedMessages('chat-2')
      expect(stored.uiMessages[1]).toEqual(first.message)
      expect(stored.total).toBe(4)
    })

    it('replaces the stored reply when useChat regenerates it', async () => {
      const u1 = userMessage('u1', 'weather in Oslo?')
      const first = await chatTurn(app, 'support', 'chat-3', [u1])
      const again = await chatTurn(app, 'support', 'chat-3', [u1], { trigger: 'regenerate-message', messageId: first.message.id })
      expect(again.message.id).toBe(first.message.id)
      expect(again.message.parts[1]).toMatchObject({ toolCallId: 'call-3' })
      expect(promptLines(app.models.support.doStreamCalls[2]).slice(1)).toEqual(['user: weather in Oslo?'])
      const stored = await storedMessages('chat-3')
      expect(stored.uiMessages).toEqual([u1, again.message])
    })
  })

  describe('model failures', () => {
    it('stores the user message but no empty assistant message when the chat model fails before any output', async () => {
      const res = await alice.post('/agents/support/chat', { id: 'chat-denied', messages: [userMessage('u1', 'denied')] })
      expect(res.status).toBe(200)
      expect(sseFrames(res.text).filter((f) => f.type === 'error')).toHaveLength(1)
      const stored = await storedMessages('chat-denied')
      expect(stored.messages.map((m) => [m.id, m.role])).toEqual([['u1', 'user']])
      // The provider's refusal reaches onError (pinned in failures.test.ts).
      expect(app.unexpected).toHaveLength(1)
      app.unexpected.length = 0
    })
  })

  describe('client disconnects', () => {
    it('keeps the user message and the partial reply, marked aborted, when /stream is cut', async () => {
      const stream = await openStream(app.url('/agents/support/stream'), { messages: 'please hang', memory: { thread: 'cut' } })
      expect(stream.status).toBe(200)
      await stream.until('text-delta')
      stream.disconnect()
      await eventually(() => app.models.support.hung[0]?.aborted)
      await eventually(async () => (await storedMessages('cut')).total === 2)
      const stored = await storedMessages('cut')
      expect(stored.messages[0]).toMatchObject({ role: 'user', content: { content: 'please hang' } })
      expect(stored.messages[1]).toMatchObject({ role: 'assistant', content: { content: 'partial ', metadata: { aborted: true } } })
      expect(stored.uiMessages[1].metadata).toEqual({ aborted: true })
    })

    it('keeps the user message and the partial reply, marked aborted, when /chat is cut', async () => {
      const body = { id: 'cut-chat', trigger: 'submit-message', messages: [userMessage('u1', 'please hang')] }
      const stream = await openStream(app.url('/agents/support/chat'), body)
      expect(stream.status).toBe(200)
      await stream.until('text-delta')
      stream.disconnect()
      await eventually(() => app.models.support.hung[0]?.aborted)
      await eventually(async () => (await storedMessages('cut-chat')).total === 2)
      const stored = await storedMessages('cut-chat')
      expect(stored.uiMessages[0]).toEqual(userMessage('u1', 'please hang'))
      expect(stored.messages[1]).toMatchObject({ role: 'assistant', content: { metadata: { aborted: true } } })
      expect(stored.uiMessages[1].parts).toContainEqual(expect.objectContaining({ type: 'text', text: 'partial ' }))
    })

    it('keeps the user message when /generate is cut', async () => {
      const { req } = rawRequest(app.url('/agents/support/generate'), {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
      })
      req.on('error', () => {})
      req.end(JSON.stringify({ messages: 'please hang', memory: { thread: 'cut-gen' } }))
      const signal = await eventually(() => app.models.support.hung[0])
      req.destroy()
      await eventually(() => signal.aborted)
      const stored = await storedMessages('cut-gen')
      expect(stored.messages.map((m) => [m.role, m.content.content])).toEqual([['user', 'please hang']])
      // A client hang-up is not an error of the server.
      await new Promise((r) => setTimeout(r, 100))
      expect(app.unexpected).toEqual([])
    })

    it('replays an aborted reply to the next turn', async () => {
      const stream = await openStream(app.url('/agents/support/stream'), { messages: 'please hang', memory: { thread: 'resume' } })
      await stream.until('text-delta')
      stream.disconnect()
      await eventually(async () => (await storedMessages('resume')).total === 2)
      await alice.post('/agents/support/generate', { messages: 'go on', memory: { thread: 'resume' } })
      expect(promptLines(app.models.support.doGenerateCalls[0]).slice(1)).toEqual([
        'user: please hang', 'assistant: partial ', 'user: go on',
      ])
    })
  })

  describe('another principal', () => {
    it('answers 404 for someone else’s thread on every agent route and leaves it untouched', async () => {
      await alice.post('/agents/support/generate', { messages: 'secret plans', memory: { thread: 'private' } })
      const callsBefore = app.models.support.doGenerateCalls.length + app.models.support.doStreamCalls.length
      const bob = app.as(BOB)
      const memory = { thread: 'private', resource: 'alice' }
      expect(await bob.post('/agents/support/generate', { messages: 'read it', memory })).toMatchObject({ status: 404, body: NOT_FOUND })
      expect(await bob.post('/agents/support/stream', { messages: 'read it', memory })).toMatchObject({ status: 404, body: NOT_FOUND })
      const chat = await bob.post('/agents/support/chat', { id: 'private', messages: [userMessage('b1', 'read it')] })
      expect(chat).toMatchObject({ status: 404, body: NOT_FOUND })
      expect(await bob.get('/memory/threads/private/messages')).toMatchObject({ status: 404, body: NOT_FOUND })
      expect(app.models.support.doGenerateCalls.length + app.models.support.doStreamCalls.length).toBe(callsBefore)
      const stored = await storedMessages('private')
      expect(stored.messages.map((m) => m.content.content)).toEqual(['secret plans', 'Echo: secret plans'])
    })

    it('refuses a message id taken in someone else’s thread instead of overwriting it', async () => {
      await chatTurn(app, 'support', 'alice-chat', [userMessage('shared-id', 'original')])
      const bob = app.as(BOB)
      const forged = [{ id: 'shared-id', role: 'user', parts: [{ type: 'text', text: 'forged' }] }]
      const chat = await bob.post('/agents/support/chat', { id: 'bob-chat', messages: forged })
      expect(chat).toMatchObject({ status: 409, body: { code: 'CONFLICT' } })
      const generated = await bob.post('/agents/support/generate', { messages: forged, memory: { thread: 'bob-thread' } })
      expect(generated).toMatchObject({ status: 409, body: { code: 'CONFLICT' } })
      const stored = await storedMessages('alice-chat')
      expect(stored.uiMessages[0]).toEqual(userMessage('shared-id', 'original'))
    })
  })
})
