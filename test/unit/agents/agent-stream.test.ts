import { getEventListeners } from 'node:events'
import { simulateReadableStream } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import type { MastraChunk } from '../../../src/agents/mastra-chunks.js'
import { createTool } from '../../../src/agents/tool.js'
import { collect, hangingModel, streamingModel, textParts, toolCallParts } from './fixtures.js'

const weather = createTool({
  id: 'weather',
  description: 'Weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, temp: 21 }),
})

describe('Agent.stream', () => {
  it('streams a tool-calling turn in order: call, result, then the final text', async () => {
    const model = streamingModel(toolCallParts('weather', { city: 'Paris' }), textParts(['It is ', '21.']))
    const agent = new Agent({ id: 'weather-agent', instructions: 'x', model, tools: { weather } })
    const chunks = await collect(await agent.stream({ messages: 'weather?' }))
    expect(chunks.map((c) => c.type)).toEqual([
      'start',
      'step-start',
      'tool-call',
      'tool-result',
      'step-finish',
      'step-start',
      'text-start',
      'text-delta',
      'text-delta',
      'text-end',
      'step-finish',
      'finish',
    ])
    const runId = chunks[0].runId
    expect(chunks.every((c) => c.runId === runId && c.from === 'AGENT')).toBe(true)
    expect(chunks[0].payload).toEqual({ id: 'weather-agent', messageId: expect.any(String) })
    expect(chunks[2].payload).toEqual({ toolCallId: 'call-1', toolName: 'weather', args: { city: 'Paris' } })
    expect(chunks[3].payload).toMatchObject({ toolCallId: 'call-1', toolName: 'weather', result: { city: 'Paris', temp: 21 } })
    expect(chunks[7].payload).toEqual({ id: 't1', text: 'It is ' })
    expect(chunks[4].payload).toMatchObject({ stepResult: { reason: 'tool-calls' } })
    const finish = chunks[chunks.length - 1].payload as { stepResult: { reason: string }; output: { usage: { inputTokens: number } } }
    expect(finish.stepResult.reason).toBe('stop')
    expect(finish.output.usage.inputTokens).toBe(6)
  })

  it('ends with one error chunk, without internals, when the model fails mid-stream', async () => {
    const model = new MockLanguageModelV3({
      doStream: async () => ({
        stream: simulateReadableStream({
          chunks: [
            { type: 'stream-start' as const, warnings: [] },
            { type: 'text-start' as const, id: 't1' },
            { type: 'text-delta' as const, id: 't1', delta: 'Hel' },
            { type: 'error' as const, error: new Error('connection reset by 10.0.0.7') },
            { type: 'text-delta' as const, id: 't1', delta: 'lo' },
          ],
          initialDelayInMs: null,
          chunkDelayInMs: null,
        }),
      }),
    })
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const chunks = await collect(await agent.stream({ messages: 'hi' }))
    const last = chunks[chunks.length - 1]
    expect(last).toEqual({ type: 'error', runId: chunks[0].runId, from: 'AGENT', payload: { message: 'The model call failed' } })
    expect(chunks.filter((c) => c.type === 'error')).toHaveLength(1)
    expect(chunks.map((c) => c.type)).not.toContain('finish')
    expect(JSON.stringify(chunks)).not.toContain('10.0.0.7')
  })

  it('reports a failing tool as a tool-error chunk without its message, and the model carries on', async () => {
    const failing = createTool({
      id: 'failing',
      description: 'always fails',
      inputSchema: z.object({}),
      execute: async () => {
        throw new Error('ECONNREFUSED 10.1.2.3:5432')
      },
    })
    const model = streamingModel(toolCallParts('failing', {}), textParts(['Sorry.']))
    const agent = new Agent({ id: 'a', instructions: 'x', model, tools: { failing } })
    const reported: unknown[] = []
    const chunks = await collect(await agent.stream({ messages: 'go', onError: (err, info) => void reported.push([err, info]) }))
    const toolError = chunks.find((c) => c.type === 'tool-error')
    expect(toolError?.payload).toEqual({ toolCallId: 'call-1', toolName: 'failing', args: {}, error: 'Tool failing failed' })
    expect(JSON.stringify(chunks)).not.toContain('10.1.2.3')
    expect(reported).toEqual([[new Error('ECONNREFUSED 10.1.2.3:5432'), { kind: 'tool', toolId: 'failing', agentId: 'a', runId: chunks[0].runId }]])
    expect(chunks[chunks.length - 1].type).toBe('finish')
  })

  it('ends with an error chunk when the model call itself is rejected', async () => {
    const model = new MockLanguageModelV3({
      doStream: async () => {
        throw new Error('secret upstream detail')
      },
    })
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const chunks = await collect(await agent.stream({ messages: 'hi' }))
    expect(chunks[chunks.length - 1]).toMatchObject({ type: 'error', payload: { message: 'The model call failed' } })
  })

  it('aborts the model call when the client signal fires mid-stream, leaving no listener', async () => {
    const { model, seen } = hangingModel()
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const controller = new AbortController()
    const iterator = (await agent.stream({ messages: 'hi', signal: controller.signal }))[Symbol.asyncIterator]()
    const types: string[] = []
    for (;;) {
      const { value } = await iterator.next()
      types.push(value!.type)
      if (value!.type === 'text-delta') break
    }
    expect(seen.signal?.aborted).toBe(false)
    controller.abort()
    // What the shared writer does when the client goes away.
    await iterator.return!()
    expect(seen.signal?.aborted).toBe(true)
    expect(types).toEqual(['start', 'step-start', 'text-start', 'text-delta'])
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('aborts a running tool through its signal when the client goes away', async () => {
    let toolSignal: AbortSignal | undefined
    let toolStarted!: () => void
    const started = new Promise<void>((resolve) => (toolStarted = resolve))
    const slow = createTool({
      id: 'slow',
      description: 'waits until aborted',
      inputSchema: z.object({}),
      execute: (_input, { signal }) =>
        new Promise<string>((_resolve, reject) => {
          toolSignal = signal
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
          toolStarted()
        }),
    })
    const model = streamingModel(toolCallParts('slow', {}), textParts(['never']))
    const agent = new Agent({ id: 'a', instructions: 'x', model, tools: { slow } })
    const controller = new AbortController()
    const iterator = (await agent.stream({ messages: 'go', signal: controller.signal }))[Symbol.asyncIterator]()
    const pending = iterator.next()
    await started
    expect(toolSignal?.aborted).toBe(false)
    controller.abort()
    expect(toolSignal?.aborted).toBe(true)
    await pending
    await iterator.return!()
    expect(model.doStreamCalls[0].abortSignal?.aborted).toBe(true)
    expect(model.doStreamCalls).toHaveLength(1)
  })

  it('stops the model when the consumer breaks out early without any signal', async () => {
    const { model, seen } = hangingModel()
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    for await (const chunk of await agent.stream({ messages: 'hi' })) {
      if (chunk.type === 'text-delta') break
    }
    expect(seen.signal?.aborted).toBe(true)
  })

  it('removes its abort listener after a normal finish', async () => {
    const agent = new Agent({ id: 'a', instructions: 'x', model: streamingModel(textParts(['ok'])) })
    const controller = new AbortController()
    await collect(await agent.stream({ messages: 'hi', signal: controller.signal }))
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('validates before streaming, so bad input is a 400 and not a chunk', async () => {
    const model = streamingModel(textParts(['x']))
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const err = await agent.stream({ messages: [{ role: 'user' }] as never }).catch((e) => e)
    expect(err.status).toBe(400)
    expect(model.doStreamCalls).toHaveLength(0)
  })

  it('adds the structured object to the finish chunk', async () => {
    const model = streamingModel(textParts(['{"a":', '1}']))
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const chunks: MastraChunk[] = await collect(await agent.stream({ messages: 'hi', output: { type: 'object' } }))
    const finish = chunks[chunks.length - 1]
    expect(finish.type).toBe('finish')
    expect((finish.payload.output as { object: unknown }).object).toEqual({ a: 1 })
  })
})
