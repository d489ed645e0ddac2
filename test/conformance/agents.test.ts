import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { sseFrames } from '../harness/http.js'
import { ALICE, BOB, promptLines, startAgentApp, systemPrompt, type AgentApp, type AgentClient } from './agents-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const AGENT_KEYS = ['id', 'name', 'description', 'tools', 'provider', 'modelId']
const weatherSchema = expect.objectContaining({ type: 'object', properties: { city: expect.objectContaining({ type: 'string' }) }, required: ['city'] })

describe.each(hosts)('agent and tool routes on $name', (factory) => {
  let app: AgentApp
  let alice: AgentClient

  beforeEach(async () => {
    app = await startAgentApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  describe('listing', () => {
    it('lists agents keyed by id in Mastra’s shape, without private instructions', async () => {
      const res = await alice.get('/agents')
      expect(res.status).toBe(200)
      expect(Object.keys(res.body)).toEqual(['support', 'guide', 'quiet', 'ops'])
      expect(Object.keys(res.body.support)).toEqual(AGENT_KEYS)
      expect(res.body.support).toEqual({
        id: 'support',
        name: 'Support',
        description: 'Answers customers',
        tools: {
          weather: { id: 'weather', description: 'Current weather for a city', inputSchema: weatherSchema },
          refund: { id: 'refund', description: 'Refunds an order', inputSchema: expect.objectContaining({ required: ['orderId'] }) },
        },
        provider: 'mock-provider',
        modelId: 'mock-model-id',
      })
      expect(res.body.quiet).toEqual({ id: 'quiet', name: 'quiet', description: '', tools: {}, provider: 'mock-provider', modelId: 'mock-model-id' })
      expect(res.text).not.toContain('Private prompt')
    })

    it('lists instructions only for an agent that exposes them', async () => {
      const res = await alice.get('/agents/guide')
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        id: 'guide', name: 'Guide', description: '', instructions: 'Be brief.', tools: {}, provider: 'mock-provider', modelId: 'mock-model-id',
      })
    })

    it('gets one agent as the same object the listing holds', async () => {
      const list = await alice.get('/agents')
      const one = await alice.get('/agents/support')
      expect(one.status).toBe(200)
      expect(one.body).toEqual(list.body.support)
    })

    it('lists the runtime’s tools and the agents’ tools, and gets one', async () => {
      const list = await alice.get('/tools')
      expect(list.status).toBe(200)
      expect(Object.keys(list.body).sort()).toEqual(['clock', 'refund', 'weather'])
      expect(list.body.weather).toEqual({ id: 'weather', description: 'Current weather for a city', inputSchema: weatherSchema })
      const one = await alice.get('/tools/clock')
      expect(one.status).toBe(200)
      expect(one.body).toEqual({ id: 'clock', description: 'The time in a zone', inputSchema: expect.objectContaining({ required: ['zone'] }) })
    })

    it('answers 404 in the envelope for an unknown agent or tool', async () => {
      expect(await alice.get('/agents/nope')).toMatchObject({ status: 404, body: { error: 'Agent with id nope not found', code: 'NOT_FOUND' } })
      expect(await alice.post('/agents/nope/generate', { messages: 'hi' })).toMatchObject({
        status: 404, body: { error: 'Agent with id nope not found', code: 'NOT_FOUND' },
      })
      expect(await alice.get('/tools/nope')).toMatchObject({ status: 404, body: { error: 'Tool with id nope not found', code: 'NOT_FOUND' } })
      expect(await alice.post('/tools/nope/execute', { data: {} })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } })
    })

    it('asks for a signed-in caller before running an agent', async () => {
      const res = await app.as().post('/agents/support/generate', { messages: 'hi' })
      expect(res.status).toBe(401)
      expect(res.body.code).toBe('UNAUTHENTICATED')
      expect(app.models.support.doGenerateCalls).toHaveLength(0)
    })
  })

  describe('tool execution', () => {
    it('runs a tool with `data` and the host’s context', async () => {
      const res = await alice.post('/tools/weather/execute', { data: { city: 'Bergen' } })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ city: 'Bergen', temp: 21, tenant: 'acme' })
      const bob = await app.as(BOB).post('/tools/weather/execute', { data: { city: 'Bergen' } })
      expect(bob.body).toEqual({ city: 'Bergen', temp: 21, tenant: 'globex' })
      expect(await alice.post('/tools/clock/execute', { data: { zone: 'CET' } })).toMatchObject({ status: 200, body: { zone: 'CET', time: '12:00' } })
    })

    it('answers 400 naming data fields for bad tool input', async () => {
      const res = await alice.post('/tools/weather/execute', { data: { city: 5 } })
      expect(res.status).toBe(400)
      expect(res.body.code).toBe('VALIDATION_ERROR')
      expect(res.body.issues).toEqual([{ field: 'data.city', message: expect.any(String) }])
      const missing = await alice.post('/tools/clock/execute', {})
      expect(missing.status).toBe(400)
      expect(missing.body.issues.map((i: { field: string }) => i.field)).toEqual(['data'])
    })
  })

  describe('generate', () => {
    it('answers in Mastra’s generate shape', async () => {
      const res = await alice.post('/agents/guide/generate', { messages: 'hello there' })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        text: 'Echo: hello there',
        toolCalls: [],
        toolResults: [],
        finishReason: 'stop',
        usage: expect.objectContaining({ inputTokens: 3, outputTokens: 4, totalTokens: 7 }),
        steps: [expect.objectContaining({ text: 'Echo: hello there', finishReason: 'stop', toolCalls: [], toolResults: [] })],
        runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        response: { id: 'resp-1', modelId: 'mock-model-id', timestamp: new Date(0).toISOString() },
      })
      expect(promptLines(app.models.guide.doGenerateCalls[0])).toEqual(['system: Be brief.', 'user: hello there'])
    })

    it('runs a tool-calling turn: tool call, tool result, then the final text', async () => {
      const res = await alice.post('/agents/support/generate', { messages: [{ role: 'user', content: 'weather in Oslo?' }] })
      expect(res.status).toBe(200)
      const { runId } = res.body
      const call = { type: 'tool-call', runId, from: 'AGENT', payload: { toolCallId: 'call-1', toolName: 'weather', args: { city: 'Oslo' } } }
      const output = { city: 'Oslo', temp: 21, tenant: 'acme' }
      expect(res.body.toolCalls).toEqual([call])
      expect(res.body.toolResults).toEqual([{ ...call, type: 'tool-result', payload: { ...call.payload, result: output } }])
      expect(res.body.text).toBe(`Tool said: ${JSON.stringify(output)}`)
      expect(res.body.steps.map((s: { finishReason: string }) => s.finishReason)).toEqual(['tool-calls', 'stop'])
      expect(promptLines(app.models.support.doGenerateCalls[1]).slice(1)).toEqual([
        'user: weather in Oslo?', 'assistant: [call weather]', 'tool: [result weather]',
      ])
    })

    it('returns the parsed object for an `output` schema', async () => {
      const output = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city'] }
      const res = await alice.post('/agents/guide/generate', { messages: 'as json', output })
      expect(res.status).toBe(200)
      expect(res.body.object).toEqual({ city: 'Oslo', temp: 21 })
      expect(app.models.guide.doGenerateCalls[0].responseFormat).toMatchObject({ type: 'json', schema: output })
    })

    it('stops after the `maxSteps` the caller asks for', async () => {
      const res = await alice.post('/agents/support/generate', { messages: 'weather in Oslo?', maxSteps: 1 })
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ text: '', finishReason: 'tool-calls', toolResults: [expect.objectContaining({ type: 'tool-result' })] })
      expect(app.models.support.doGenerateCalls).toHaveLength(1)
    })

    it('accepts AI SDK UI messages and model messages alike', async () => {
      const messages = [
        { id: 'u1', role: 'user', parts: [{ type: 'text', text: 'from useChat' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'noted' }] },
        'and a string',
      ]
      const res = await alice.post('/agents/quiet/generate', { messages })
      expect(res.status).toBe(200)
      expect(promptLines(app.models.quiet.doGenerateCalls[0]).slice(1)).toEqual(['user: from useChat', 'assistant: noted', 'user: and a string'])
    })

    it('uses the body the host’s own JSON parser read, on every run route', async () => {
      const parsed = await startAgentApp(factory, { parser: true })
      try {
        const client = parsed.as(ALICE)
        const generated = await client.post('/agents/guide/generate', { messages: 'parsed' })
        expect(generated.body.text).toBe('Echo: parsed')
        const streamed = await client.post('/agents/guide/stream', { messages: 'parsed' })
        expect(sseFrames(streamed.text).at(-1).type).toBe('finish')
        const chat = await client.post('/agents/guide/chat', { id: 'c', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'parsed' }] }] })
        expect(sseFrames(chat.text).filter((f) => f.type === 'text-delta').map((f) => f.delta).join('')).toBe('Echo: parsed')
        expect(parsed.unexpected).toEqual([])
      } finally {
        await parsed.close()
      }
    })
  })

  describe('stream', () => {
    it('streams a tool-calling run as Mastra chunks over SSE', async () => {
      const res = await fetch(app.url('/agents/support/stream'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
        body: JSON.stringify({ messages: 'weather in Oslo?' }),
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/event-stream')
      expect(res.headers.get('cache-control')).toBe('no-cache, no-transform')
      expect(res.headers.get('x-host-app')).toBe(factory.name)
      const frames = sseFrames(await res.text())
      const text = 'Tool said: {"city":"Oslo","temp":21,"tenant":"acme"}'
      expect(frames.map((f) => f.type)).toEqual([
        'start', 'step-start', 'tool-call', 'tool-result', 'step-finish',
        'step-start', 'text-start', ...text.split(' ').map(() => 'text-delta'), 'text-end', 'step-finish', 'finish',
      ])
      const runId = frames[0].runId
      expect(runId).toMatch(/^[0-9a-f-]{36}$/)
      for (const frame of frames) {
        expect(Object.keys(frame).sort()).toEqual(['from', 'payload', 'runId', 'type'])
        expect(frame).toMatchObject({ runId, from: 'AGENT' })
      }
      expect(frames[0].payload).toEqual({ id: 'support', messageId: expect.any(String) })
      expect(frames[2].payload).toEqual({ toolCallId: 'call-1', toolName: 'weather', args: { city: 'Oslo' } })
      expect(frames[3].payload).toMatchObject({ toolCallId: 'call-1', toolName: 'weather', result: { city: 'Oslo', temp: 21, tenant: 'acme' } })
      expect(frames[4].payload.stepResult).toEqual({ reason: 'tool-calls' })
      const deltas = frames.filter((f) => f.type === 'text-delta')
      expect(deltas[0].payload).toEqual({ id: 't1', text: 'Tool ' })
      expect(deltas.map((f) => f.payload.text).join('')).toBe(text)
      expect(frames.at(-1).payload).toMatchObject({ stepResult: { reason: 'stop' }, output: { usage: expect.objectContaining({ totalTokens: 14 }) } })
    })

    it('puts the parsed object on the finish chunk for an `output` schema', async () => {
      const res = await alice.post('/agents/guide/stream', { messages: 'as json', output: { type: 'object' } })
      const frames = sseFrames(res.text)
      expect(frames.at(-1)).toMatchObject({ type: 'finish', payload: { output: { object: { city: 'Oslo', temp: 21 } } } })
    })

    it('gives a second turn the whole conversation the client sends', async () => {
      const messages = [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'Echo: first' },
        { role: 'user', content: 'second' },
      ]
      const res = await alice.post('/agents/quiet/stream', { messages })
      expect(res.status).toBe(200)
      expect(sseFrames(res.text).at(-1).type).toBe('finish')
      expect(promptLines(app.models.quiet.doStreamCalls[0])).toEqual([
        'system: Private prompt.', 'user: first', 'assistant: Echo: first', 'user: second',
      ])
      expect(systemPrompt(app.models.quiet.doStreamCalls[0])).toBe('Private prompt.')
    })
  })
})
