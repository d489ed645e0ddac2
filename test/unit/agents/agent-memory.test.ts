import { tool, type UIMessage } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { createTool } from '../../../src/agents/tool.js'
import { collect, fakeMemory, generatingModel, hangingModel, promptTexts, streamingModel, textParts, toolCallParts } from './fixtures.js'

const history: UIMessage[] = [
  { id: 'h1', role: 'user', parts: [{ type: 'text', text: 'I live in Oslo' }] },
  { id: 'h2', role: 'assistant', parts: [{ type: 'text', text: 'Noted' }] },
]

const weather = createTool({
  id: 'weather',
  description: 'Weather',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, temp: 3 }),
})

describe('agent memory hook-up', () => {
  it('prepends history, appends memory system text and saves input before the model runs', async () => {
    const { memory, log } = fakeMemory({ history, system: 'User facts: lives in Oslo' })
    const model = generatingModel('3 degrees')
    const inputsWhenCalled: number[] = []
    const doGenerate = model.doGenerate
    model.doGenerate = (options) => {
      inputsWhenCalled.push(log.inputs.length)
      return doGenerate(options)
    }
    const agent = new Agent({ id: 'a', instructions: 'Be brief.', model, memory })
    await agent.generate({ messages: 'weather?', memory: { thread: 't1', resource: 'r1' }, context: { c: 1 } })
    expect(log.opened).toEqual([{ threadId: 't1', resourceId: 'r1', context: { c: 1 } }])
    expect(inputsWhenCalled).toEqual([1])
    expect(log.inputs[0]).toEqual([{ id: expect.any(String), role: 'user', parts: [{ type: 'text', text: 'weather?' }] }])
    expect(promptTexts(model.doGenerateCalls[0])).toEqual([
      'system: Be brief.\n\nUser facts: lives in Oslo',
      'user: I live in Oslo',
      'assistant: Noted',
      'user: weather?',
    ])
  })

  it('saves the reply with tool calls and results as UI parts', async () => {
    const { memory, log } = fakeMemory()
    const model = generatingModel('3 degrees in Oslo', { toolName: 'weather', input: { city: 'Oslo' } })
    const agent = new Agent({ id: 'a', instructions: 'x', model, memory, tools: { weather } })
    await agent.generate({ messages: 'weather?', memory: { thread: { id: 't1' }, resource: 'r1' } })
    expect(log.replies).toHaveLength(1)
    expect(log.replies[0].aborted).toBe(false)
    expect(log.replies[0].message.parts).toEqual([
      { type: 'step-start' },
      { type: 'tool-weather', toolCallId: 'call-1', state: 'output-available', input: { city: 'Oslo' }, output: { city: 'Oslo', temp: 3 } },
      { type: 'step-start' },
      { type: 'text', text: '3 degrees in Oslo' },
    ])
  })

  it('merges the tools memory adds into the call', async () => {
    const updateWorkingMemory = tool({ description: 'remember', inputSchema: z.object({ memory: z.string() }), execute: async () => 'ok' })
    const { memory } = fakeMemory({ tools: { updateWorkingMemory } })
    const model = generatingModel('ok')
    const agent = new Agent({ id: 'a', instructions: 'x', model, memory, tools: { weather } })
    await agent.generate({ messages: 'hi', memory: { thread: 't', resource: 'r' } })
    expect(model.doGenerateCalls[0].tools?.map((t) => t.name).sort()).toEqual(['updateWorkingMemory', 'weather'])
  })

  it('lets the authenticated resource win over the body resource', async () => {
    const { memory, log } = fakeMemory()
    const agent = new Agent({ id: 'a', instructions: 'x', model: generatingModel('ok'), memory })
    await agent.generate({ messages: 'hi', memory: { thread: 't', resource: 'someone-else' }, resourceId: 'me' })
    expect(log.opened[0].resourceId).toBe('me')
  })

  it('answers 400 when the thread or resource is missing', async () => {
    const { memory } = fakeMemory()
    const agent = new Agent({ id: 'a', instructions: 'x', model: generatingModel('ok'), memory })
    const noResource = await agent.generate({ messages: 'hi', memory: { thread: 't' } }).catch((e) => e)
    expect(noResource.issues[0].field).toBe('memory.resource')
    const noThread = await agent.generate({ messages: 'hi', memory: { resource: 'r' } }).catch((e) => e)
    expect(noThread.issues[0].field).toBe('memory.thread')
  })

  it('accepts and ignores memory when the agent has none', async () => {
    const model = generatingModel('ok')
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const result = await agent.generate({ messages: 'hi', memory: { thread: 't', resource: 'r' } })
    expect(result.text).toBe('ok')
    expect(promptTexts(model.doGenerateCalls[0])).toEqual(['system: x', 'user: hi'])
  })

  it('saves a streamed reply, tool parts included', async () => {
    const { memory, log } = fakeMemory({ history })
    const model = streamingModel(toolCallParts('weather', { city: 'Oslo' }), textParts(['Cold ', 'there']))
    const agent = new Agent({ id: 'a', instructions: 'x', model, memory, tools: { weather } })
    const chunks = await collect(await agent.stream({ messages: 'weather?', memory: { thread: 't', resource: 'r' } }))
    expect(log.inputs).toHaveLength(1)
    expect(log.replies).toHaveLength(1)
    const reply = log.replies[0]
    expect(reply.aborted).toBe(false)
    expect(reply.message.id).toBe((chunks[0].payload as { messageId: string }).messageId)
    expect(reply.message.parts).toEqual([
      { type: 'step-start' },
      { type: 'tool-weather', toolCallId: 'call-1', state: 'output-available', input: { city: 'Oslo' }, output: { city: 'Oslo', temp: 3 } },
      { type: 'step-start' },
      { type: 'text', text: 'Cold there' },
    ])
  })

  it('saves the finished steps of an aborted generate as an aborted reply', async () => {
    const { memory, log } = fakeMemory()
    const calls: number[] = []
    const model = generatingModel('unused', { toolName: 'weather', input: { city: 'Oslo' } })
    const toolStep = model.doGenerate
    model.doGenerate = (options) => {
      calls.push(calls.length)
      if (calls.length === 1) return toolStep(options)
      return new Promise((_resolve, reject) => options.abortSignal?.addEventListener('abort', () => reject(options.abortSignal!.reason)))
    }
    const agent = new Agent({ id: 'a', instructions: 'x', model, memory, tools: { weather } })
    const controller = new AbortController()
    const pending = agent.generate({ messages: 'go', memory: { thread: 't', resource: 'r' }, signal: controller.signal }).catch((e) => e)
    while (calls.length < 2) await new Promise((r) => setTimeout(r, 1))
    controller.abort()
    const err = await pending
    expect(err.name).toBe('AbortError')
    expect(log.replies).toHaveLength(1)
    expect(log.replies[0].aborted).toBe(true)
    expect(log.replies[0].message.parts).toContainEqual(expect.objectContaining({ type: 'tool-weather', state: 'output-available' }))
  })

  it('saves the partial streamed reply as aborted when the client goes away', async () => {
    const { memory, log } = fakeMemory()
    const { model } = hangingModel()
    const agent = new Agent({ id: 'a', instructions: 'x', model, memory })
    const controller = new AbortController()
    const iterator = (await agent.stream({ messages: 'hi', memory: { thread: 't', resource: 'r' }, signal: controller.signal }))[
      Symbol.asyncIterator
    ]()
    while ((await iterator.next()).value?.type !== 'text-delta');
    controller.abort()
    await iterator.return!()
    expect(log.replies).toEqual([{ message: expect.objectContaining({ role: 'assistant' }), aborted: true }])
    expect(log.replies[0].message.parts).toContainEqual({ type: 'text', text: 'partial ' })
  })
})
