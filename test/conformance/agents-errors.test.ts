import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { call, sseFrames } from '../harness/http.js'
import { ALICE, SECRET, startAgentApp, userMessage, type AgentApp, type AgentClient } from './agents-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const fieldsOf = (body: { issues?: Array<{ field: string }> }) => (body.issues ?? []).map((issue) => issue.field)

describe.each(hosts)('agent request errors on $name', (factory) => {
  let app: AgentApp
  let alice: AgentClient

  beforeEach(async () => {
    app = await startAgentApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  const expectInvalid = (res: { status: number; body: any }, fields: string[]) => {
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('VALIDATION_ERROR')
    expect(typeof res.body.error).toBe('string')
    expect(fieldsOf(res.body)).toEqual(fields)
  }

  describe('bad input is a clear 4xx, never a 500', () => {
    it('answers 400 for missing or empty messages on generate and stream', async () => {
      for (const route of ['generate', 'stream']) {
        expectInvalid(await alice.post(`/agents/guide/${route}`, {}), ['messages'])
        expectInvalid(await alice.post(`/agents/guide/${route}`, { messages: '' }), ['messages'])
        expectInvalid(await alice.post(`/agents/guide/${route}`, { messages: [] }), ['messages'])
      }
      // No body at all: the envelope names the required field that is missing.
      const empty = await call(app.url('/agents/guide/generate'), { method: 'POST', token: ALICE })
      expectInvalid(empty, ['messages'])
      expect(empty.body.error).toMatch(/^Invalid request body/)
      expect(app.models.guide.doGenerateCalls).toHaveLength(0)
      expect(app.models.guide.doStreamCalls).toHaveLength(0)
    })

    it('answers 400 naming the field for wrong types', async () => {
      expectInvalid(await alice.post('/agents/guide/generate', { messages: 5 }), ['messages'])
      expectInvalid(await alice.post('/agents/guide/generate', { messages: 'hi', maxSteps: 'x' }), ['maxSteps'])
      expectInvalid(await alice.post('/agents/guide/stream', { messages: 'hi', maxSteps: 0 }), ['maxSteps'])
      expectInvalid(await alice.post('/agents/guide/generate', { messages: 'hi', memory: { thread: 7 } }), ['memory.thread'])
      expectInvalid(await alice.post('/agents/guide/generate', { messages: [{ role: 'user', content: 'ok' }, 42] }), ['messages.1'])
      expectInvalid(await alice.post('/agents/guide/generate', { messages: [{ role: 'robot', content: 'hi' }] }), ['messages.0.role'])
      expect(app.models.guide.doGenerateCalls).toHaveLength(0)
    })

    it('answers 400 for an invalid `output` schema before calling the model', async () => {
      expectInvalid(await alice.post('/agents/guide/generate', { messages: 'hi', output: 'json please' }), ['output'])
      expectInvalid(await alice.post('/agents/guide/generate', { messages: 'hi', output: { type: 'banana' } }), ['output.type'])
      expectInvalid(
        await alice.post('/agents/guide/stream', { messages: 'hi', output: { type: 'object', properties: { a: { type: 'nope' } } } }),
        ['output.properties.a.type'],
      )
      expect(app.models.guide.doGenerateCalls).toHaveLength(0)
      expect(app.models.guide.doStreamCalls).toHaveLength(0)
    })

    it('answers 400 for chat bodies useChat would never send', async () => {
      expectInvalid(await alice.post('/agents/guide/chat', { id: 'c1' }), ['messages'])
      expectInvalid(await alice.post('/agents/guide/chat', { id: 'c1', messages: [] }), ['messages'])
      expectInvalid(await alice.post('/agents/guide/chat', { id: 'c1', messages: [{ role: 'user', content: 'hi' }] }), ['messages.0.parts'])
      expectInvalid(await alice.post('/agents/guide/chat', { id: 'c1', messages: [userMessage('u1', 'hi')], trigger: 'shout' }), ['trigger'])
      // The chat id names the memory thread, so an agent with memory needs one.
      expectInvalid(await alice.post('/agents/support/chat', { messages: [userMessage('u1', 'hi')] }), ['id'])
      expect(app.models.guide.doStreamCalls).toHaveLength(0)
    })

    it('answers 404 for an unknown agent on every run route', async () => {
      for (const route of ['generate', 'stream', 'chat']) {
        const res = await alice.post(`/agents/nope/${route}`, { id: 'c', messages: [userMessage('u1', 'hi')] })
        expect(res.status).toBe(404)
        expect(res.body).toEqual({ error: 'Agent with id nope not found', code: 'NOT_FOUND' })
      }
    })

    it('answers 413 for a message over the body limit', async () => {
      const res = await alice.post('/agents/guide/generate', { messages: 'x'.repeat(1024 * 1024 + 1) })
      expect(res.status).toBe(413)
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE')
      expect(app.models.guide.doGenerateCalls).toHaveLength(0)
    })

    it('answers 400 BAD_JSON for malformed JSON', async () => {
      for (const route of ['generate', 'stream', 'chat']) {
        const res = await call(app.url(`/agents/guide/${route}`), {
          method: 'POST',
          token: ALICE,
          headers: { 'content-type': 'application/json' },
          body: '{"messages": "hi",',
        })
        expect(res.status).toBe(400)
        expect(res.body.code).toBe('BAD_JSON')
      }
    })
  })

  describe('model failures', () => {
    it('answers 502 UPSTREAM_ERROR without internals when the model fails in generate', async () => {
      const failed = await alice.post('/agents/guide/generate', { messages: 'please explode' })
      expect(failed.status).toBe(502)
      expect(failed.body).toEqual({ error: 'The model call failed', code: 'UPSTREAM_ERROR' })
      const denied = await alice.post('/agents/guide/generate', { messages: 'denied' })
      expect(denied.status).toBe(502)
      expect(denied.body).toEqual({ error: 'The model provider returned an error (status 401)', code: 'UPSTREAM_ERROR' })
      for (const res of [failed, denied]) expect(res.text).not.toMatch(new RegExp(`${SECRET}|/srv/|internal\\.example`))
      // Both reach onError (pinned in failures.test.ts).
      expect(app.unexpected).toHaveLength(2)
      app.unexpected.length = 0
    })

    it('ends a stream that fails mid-way with one final error frame', async () => {
      const res = await fetch(app.url('/agents/guide/stream'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
        body: JSON.stringify({ messages: 'please explode' }),
      })
      expect(res.status).toBe(200)
      const text = await res.text()
      const frames = sseFrames(text)
      expect(frames.map((f) => f.type)).toEqual(['start', 'step-start', 'text-start', 'text-delta', 'error'])
      expect(frames[3].payload).toEqual({ id: 't1', text: 'partial ' })
      expect(frames.at(-1)).toEqual({ type: 'error', runId: frames[0].runId, from: 'AGENT', payload: { message: 'The model call failed' } })
      expect(text).not.toContain(SECRET)
      expect(app.unexpected).toHaveLength(1)
      app.unexpected.length = 0
    })

    it('reports a provider refusal at stream start as an error frame', async () => {
      const res = await alice.post('/agents/guide/stream', { messages: 'denied' })
      expect(res.status).toBe(200)
      const frames = sseFrames(res.text)
      expect(frames.at(-1)).toMatchObject({ type: 'error', payload: { message: 'The model provider returned an error (status 401)' } })
      expect(frames.filter((f) => f.type === 'error')).toHaveLength(1)
      expect(res.text).not.toContain(SECRET)
      expect(app.unexpected).toHaveLength(1)
      app.unexpected.length = 0
    })

    it('reports a failing tool to the model and the client without its internals', async () => {
      const generated = await alice.post('/agents/support/generate', { messages: 'weather in Atlantis?' })
      expect(generated.status).toBe(200)
      expect(generated.body.text).toBe('Tool said: [error-text]')
      const streamed = await alice.post('/agents/support/stream', { messages: 'weather in Atlantis?' })
      const frames = sseFrames(streamed.text)
      expect(frames.find((f) => f.type === 'tool-error').payload).toEqual({
        toolCallId: 'call-3', toolName: 'weather', args: { city: 'Atlantis' }, error: 'Tool weather failed',
      })
      expect(frames.at(-1).type).toBe('finish')
      const chat = await alice.post('/agents/support/chat', { id: 'c-tool', messages: [userMessage('u1', 'weather in Atlantis?')] })
      expect(sseFrames(chat.text).find((f) => f.type === 'tool-output-error')).toMatchObject({ toolCallId: 'call-5', errorText: expect.any(String) })
      for (const res of [generated, streamed, chat]) expect(res.text).not.toContain(SECRET)
      expect(app.unexpected).toHaveLength(3)
      app.unexpected.length = 0
    })

    it('answers 500 without internals when a tool run directly fails, and reports it', async () => {
      const res = await alice.post('/tools/weather/execute', { data: { city: 'Atlantis' } })
      expect(res.status).toBe(500)
      expect(res.body).toEqual({ error: 'Internal server error', code: 'INTERNAL' })
      expect(res.text).not.toContain(SECRET)
      expect(app.unexpected).toHaveLength(1)
      expect((app.unexpected[0] as Error).message).toContain(SECRET)
      app.unexpected.length = 0
    })

    it('ends a chat stream that fails mid-way with an error chunk and [DONE]', async () => {
      const res = await alice.post('/agents/guide/chat', { id: 'c-fail', messages: [userMessage('u1', 'please explode')] })
      expect(res.status).toBe(200)
      const frames = sseFrames(res.text)
      expect(frames.filter((f) => f.type === 'error')).toEqual([{ type: 'error', errorText: 'The agent run failed' }])
      expect(frames.find((f) => f.type === 'text-delta')).toMatchObject({ delta: 'partial ' })
      expect(frames.at(-1)).toEqual({ type: 'finish', finishReason: 'error' })
      expect(res.text.trimEnd().endsWith('data: [DONE]')).toBe(true)
      expect(res.text).not.toContain(SECRET)
      expect(app.unexpected).toHaveLength(1)
      app.unexpected.length = 0
    })
  })
})
