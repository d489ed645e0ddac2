import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { sseFrames } from '../harness/http.js'
import { ALICE, BOB, chatTurn, promptLines, startAgentApp, systemPrompt, userMessage, type AgentApp } from './agents-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const TENANTS = [
  { token: ALICE, tenant: 'acme' },
  { token: BOB, tenant: 'globex' },
]

describe.each(hosts)('agent chat and request context on $name', (factory) => {
  let app: AgentApp

  beforeEach(async () => {
    app = await startAgentApp(factory)
  })
  afterEach(() => closeClean(app))

  describe('/chat', () => {
    it('answers with the AI SDK UI message stream and its headers', async () => {
      const res = await fetch(app.url('/agents/guide/chat'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
        body: JSON.stringify({ id: 'c1', trigger: 'submit-message', messages: [userMessage('u1', 'hi there')] }),
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/event-stream')
      expect(res.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1')
      expect(res.headers.get('x-host-app')).toBe(factory.name)
      const text = await res.text()
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true)
      const frames = sseFrames(text)
      expect(frames.map((f) => f.type)).toEqual([
        'start', 'start-step', 'text-start', 'text-delta', 'text-delta', 'text-delta', 'text-end', 'finish-step', 'finish',
      ])
      expect(frames.filter((f) => f.type === 'text-delta').map((f) => f.delta).join('')).toBe('Echo: hi there')
    })

    it('is read by DefaultChatTransport end to end', async () => {
      const turn = await chatTurn(app, 'guide', 'c2', [userMessage('u1', 'hello')])
      expect(turn.chunks[0]).toMatchObject({ type: 'start' })
      expect(turn.chunks.at(-1)).toMatchObject({ type: 'finish' })
      expect(turn.message.role).toBe('assistant')
      expect(turn.message.parts).toEqual([{ type: 'step-start' }, { type: 'text', text: 'Echo: hello', state: 'done' }])
    })

    it('delivers a tool call, its result and the final text to useChat', async () => {
      const turn = await chatTurn(app, 'support', randomUUID(), [userMessage('u1', 'weather in Oslo?')])
      const output = { city: 'Oslo', temp: 21, tenant: 'acme' }
      expect(turn.chunks.map((c) => c.type)).toEqual([
        'start', 'start-step', 'tool-input-available', 'tool-output-available', 'finish-step',
        'start-step', 'text-start', 'text-delta', 'text-delta', 'text-delta', 'text-end', 'finish-step', 'finish',
      ])
      expect(turn.message.parts).toEqual([
        { type: 'step-start' },
        { type: 'tool-weather', toolCallId: 'call-1', state: 'output-available', input: { city: 'Oslo' }, output },
        { type: 'step-start' },
        { type: 'text', text: `Tool said: ${JSON.stringify(output)}`, state: 'done' },
      ])
    })

    it('refuses the transport without the host’s credentials', async () => {
      await expect(chatTurn(app, 'guide', 'c3', [userMessage('u1', 'hi')], { token: 'nobody-token' })).rejects.toThrow(/UNAUTHENTICATED/)
      expect(app.models.guide.doStreamCalls).toHaveLength(0)
    })
  })

  describe('context from the host’s auth middleware', () => {
    it.each(TENANTS)('reaches dynamic instructions and tools on generate ($tenant)', async ({ token, tenant }) => {
      const res = await app.as(token).post('/agents/support/generate', { messages: 'weather please' })
      expect(res.status).toBe(200)
      expect(res.body.toolResults[0].payload.result).toEqual({ city: 'Oslo', temp: 21, tenant })
      const calls = app.models.support.doGenerateCalls
      expect(calls).toHaveLength(2)
      for (const options of calls) expect(systemPrompt(options)).toBe(`You help the customers of ${tenant}.`)
    })

    it.each(TENANTS)('reaches dynamic instructions and tools on stream ($tenant)', async ({ token, tenant }) => {
      const res = await app.as(token).post('/agents/support/stream', { messages: 'weather please' })
      const result = sseFrames(res.text).find((f) => f.type === 'tool-result')
      expect(result.payload.result).toEqual({ city: 'Oslo', temp: 21, tenant })
      expect(systemPrompt(app.models.support.doStreamCalls[0])).toBe(`You help the customers of ${tenant}.`)
    })

    it.each(TENANTS)('reaches dynamic instructions and tools on chat ($tenant)', async ({ token, tenant }) => {
      const turn = await chatTurn(app, 'support', randomUUID(), [userMessage('u1', 'weather please')], { token })
      expect(turn.message.parts[1]).toMatchObject({ type: 'tool-weather', output: { tenant } })
      expect(promptLines(app.models.support.doStreamCalls[0])[0]).toBe(`system: You help the customers of ${tenant}.`)
    })

    it('keeps each request’s tenant when two run at once', async () => {
      const [alice, bob] = await Promise.all(
        TENANTS.map(({ token }) => app.as(token).post('/agents/support/generate', { messages: 'weather please' })),
      )
      expect(alice.body.toolResults[0].payload.result.tenant).toBe('acme')
      expect(bob.body.toolResults[0].payload.result.tenant).toBe('globex')
      const systems = app.models.support.doGenerateCalls.map(systemPrompt).sort()
      expect(systems).toEqual([
        'You help the customers of acme.', 'You help the customers of acme.',
        'You help the customers of globex.', 'You help the customers of globex.',
      ])
    })

    it('ignores a tenant a client puts in requestContext', async () => {
      const res = await app.as(BOB).post('/agents/support/generate', { messages: 'weather please', requestContext: { tenant: 'acme' } })
      expect(res.body.toolResults[0].payload.result.tenant).toBe('globex')
    })
  })
})
