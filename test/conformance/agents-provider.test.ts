import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../src/agents/agent.js'
import { createTool } from '../../src/agents/tool.js'
import { createRuntime } from '../../src/runtime.js'
import { startFakeOpenAI, type FakeOpenAI } from '../harness/fake-openai.js'
import { hosts, type TestHost } from '../harness/hosts.js'
import { eventually, rawRequest, sseFrames } from '../harness/http.js'
import { agentMountOptions, ALICE, chatTurn, openStream, userMessage, weather } from './agents-fixture.js'

/** Signals the blocking tool was handed, in call order. */
const blockedSignals: AbortSignal[] = []
/** How many blocking tool runs saw their signal fire. */
let releasedByAbort = 0

const block = createTool({
  id: 'block',
  description: 'Waits until the request is aborted',
  inputSchema: z.object({ city: z.string() }),
  execute: async (_input, { signal }) => {
    blockedSignals.push(signal)
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
    releasedByAbort++
    return { released: true }
  },
})

const TOOL_OUTPUT = JSON.stringify({ city: 'Oslo', temp: 21, tenant: 'acme' })

describe.each(hosts)('agents on a real provider on $name', (factory) => {
  let fake: FakeOpenAI
  let host: TestHost
  const unexpected: unknown[] = []
  const url = (path: string) => `${host.url}/api${path}`
  const post = (path: string, json: unknown) =>
    fetch(url(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
      body: JSON.stringify(json),
    })

  beforeAll(async () => {
    fake = await startFakeOpenAI({ toolArgs: { city: 'Oslo' } })
    const model = createOpenAICompatible({ name: 'fake', baseURL: fake.baseURL }).chatModel('fake-model')
    const instructions = ({ context }: { context: Record<string, unknown> }) => `You help ${context.tenant}.`
    const runtime = createRuntime({
      agents: {
        echo: new Agent({ id: 'echo', instructions, model }),
        caller: new Agent({ id: 'caller', instructions, model, tools: { weather } }),
        blocker: new Agent({ id: 'blocker', instructions, model, tools: { block } }),
      },
    })
    host = await factory.create({ runtime, mount: agentMountOptions(unexpected) })
  })
  afterAll(async () => {
    await host?.close()
    await fake?.close()
  })
  afterEach(() => {
    expect(unexpected).toEqual([])
  })

  it('lists the provider’s name and model id', async () => {
    const res = await fetch(url('/agents/echo'), { headers: { authorization: `Bearer ${ALICE}` } })
    expect(await res.json()).toMatchObject({ id: 'echo', provider: 'fake.chat', modelId: 'fake-model' })
  })

  it('generates through the provider’s HTTP code', async () => {
    const res = await post('/agents/echo/generate', { messages: 'hello there' })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toMatchObject({ text: 'Echo: hello there', finishReason: 'stop', response: { id: 'chatcmpl-' + fake.requests.length, modelId: 'fake-model' } })
    expect(body.usage).toMatchObject({ inputTokens: 7, outputTokens: 5, totalTokens: 12 })
    const sent = fake.requests.at(-1)
    expect(sent.stream).toBeFalsy()
    expect(sent.model).toBe('fake-model')
    expect(sent.messages).toEqual([{ role: 'system', content: 'You help acme.' }, { role: 'user', content: 'hello there' }])
  })

  it('streams through the provider’s SSE code', async () => {
    const res = await post('/agents/echo/stream', { messages: 'hello there' })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const frames = sseFrames(await res.text())
    expect(frames.map((f) => f.type)).toEqual([
      'start', 'step-start', 'text-start', 'text-delta', 'text-delta', 'text-delta', 'text-end', 'step-finish', 'finish',
    ])
    expect(frames.filter((f) => f.type === 'text-delta').map((f) => f.payload.text).join('')).toBe('Echo: hello there')
    expect(frames.at(-1).payload).toMatchObject({ stepResult: { reason: 'stop' }, output: { usage: { totalTokens: 12 } } })
    expect(fake.requests.at(-1).stream).toBe(true)
  })

  it('runs a tool call the provider streams in pieces', async () => {
    const before = fake.requests.length
    const res = await post('/agents/caller/stream', { messages: 'weather?' })
    const frames = sseFrames(await res.text())
    const main = frames.map((f) => f.type).filter((t) => !t.startsWith('text-') && !t.startsWith('tool-call-'))
    expect(main).toEqual(['start', 'step-start', 'tool-call', 'tool-result', 'step-finish', 'step-start', 'step-finish', 'finish'])
    expect(frames.filter((f) => f.type === 'tool-call-delta').map((f) => f.payload.argsTextDelta).join('')).toBe('{"city":"Oslo"}')
    expect(frames.find((f) => f.type === 'tool-call').payload).toMatchObject({ toolName: 'weather', args: { city: 'Oslo' } })
    expect(frames.find((f) => f.type === 'tool-result').payload.result).toEqual(JSON.parse(TOOL_OUTPUT))
    expect(frames.filter((f) => f.type === 'text-delta').map((f) => f.payload.text).join('')).toBe(`Tool said: ${TOOL_OUTPUT}`)
    const [first, second] = fake.requests.slice(before)
    expect(first.tools.map((t: any) => t.function.name)).toEqual(['weather'])
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool', content: TOOL_OUTPUT })
  })

  it('runs a tool call on generate and over useChat', async () => {
    const res = await post('/agents/caller/generate', { messages: 'weather?' })
    const body = await res.json()
    expect(body.text).toBe(`Tool said: ${TOOL_OUTPUT}`)
    expect(body.toolCalls[0].payload).toMatchObject({ toolName: 'weather', args: { city: 'Oslo' } })
    const turn = await chatTurn({ url }, 'caller', 'chat-1', [userMessage('u1', 'weather?')])
    expect(turn.message.parts).toContainEqual(expect.objectContaining({ type: 'tool-weather', state: 'output-available', output: JSON.parse(TOOL_OUTPUT) }))
    expect(turn.message.parts.at(-1)).toMatchObject({ type: 'text', text: `Tool said: ${TOOL_OUTPUT}` })
  })

  it('closes the upstream request when the client hangs up on /stream', async () => {
    const before = fake.closedEarly
    const stream = await openStream(url('/agents/echo/stream'), { messages: 'go slow' })
    await stream.until('text-delta')
    expect(fake.closedEarly).toBe(before)
    stream.disconnect()
    await eventually(() => fake.closedEarly > before)
  })

  it('closes the upstream request when the client hangs up on /chat', async () => {
    const before = fake.closedEarly
    const stream = await openStream(url('/agents/echo/chat'), { id: 'slow-chat', messages: [userMessage('u1', 'go slow')] })
    await stream.until('text-delta')
    expect(fake.closedEarly).toBe(before)
    stream.disconnect()
    await eventually(() => fake.closedEarly > before)
  })

  it.each(['stream', 'generate'])('aborts a running tool when the client hangs up on /%s', async (route) => {
    const before = blockedSignals.length
    const released = releasedByAbort
    const { req } = rawRequest(url(`/agents/blocker/${route}`), {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
    })
    req.on('error', () => {})
    req.end(JSON.stringify({ messages: 'block please' }))
    const signal = await eventually(() => blockedSignals[before])
    expect(signal.aborted).toBe(false)
    req.destroy()
    await eventually(() => signal.aborted && releasedByAbort === released + 1)
    // A client hang-up is not an error of the server: give the handler a moment to settle, then check.
    await new Promise((r) => setTimeout(r, 100))
    expect(unexpected).toEqual([])
  })
})
