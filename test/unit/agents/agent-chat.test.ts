import type { UIMessage } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { mergeChatHistory } from '../../../src/agents/messages.js'
import { createTool } from '../../../src/agents/tool.js'
import { fakeMemory, hangingModel, promptTexts, readSse, streamingModel, textParts, toolCallParts } from './fixtures.js'

const user = (id: string, text: string): UIMessage => ({ id, role: 'user', parts: [{ type: 'text', text }] })
const assistant = (id: string, text: string): UIMessage => ({ id, role: 'assistant', parts: [{ type: 'text', text }] })

describe('Agent.chat', () => {
  it('answers with the AI SDK UI message stream as SSE text ending in [DONE]', async () => {
    const model = streamingModel(textParts(['Hi ', 'there']))
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const frames = await readSse(await agent.chat({ id: 'chat-1', messages: [user('u1', 'hello')] }))
    expect(frames.map((f) => (typeof f === 'string' ? f : (f as { type: string }).type))).toEqual([
      'start',
      'start-step',
      'text-start',
      'text-delta',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
      '[DONE]',
    ])
    expect(frames[3]).toEqual({ type: 'text-delta', id: 't1', delta: 'Hi ' })
    expect(promptTexts(model.doStreamCalls[0])).toEqual(['system: x', 'user: hello'])
  })

  it('streams tool parts the way useChat renders them', async () => {
    const weather = createTool({
      id: 'weather',
      description: 'Weather',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, temp: 21 }),
    })
    const model = streamingModel(toolCallParts('weather', { city: 'Oslo' }), textParts(['Cold.']))
    const agent = new Agent({ id: 'a', instructions: 'x', model, tools: { weather } })
    const frames = (await readSse(await agent.chat({ id: 'c', messages: [user('u1', 'weather?')] }))) as Array<Record<string, unknown>>
    expect(frames.find((f) => f.type === 'tool-input-available')).toMatchObject({ toolCallId: 'call-1', toolName: 'weather', input: { city: 'Oslo' } })
    expect(frames.find((f) => f.type === 'tool-output-available')).toMatchObject({ toolCallId: 'call-1', output: { city: 'Oslo', temp: 21 } })
  })

  it('uses the chat id as the memory thread, merges stored history and saves only new messages', async () => {
    const history = [user('u1', 'my name is Ada'), assistant('a1', 'Hi Ada')]
    const { memory, log } = fakeMemory({ history, system: 'Working memory: name=Ada' })
    const model = streamingModel(textParts(['Ada']))
    const agent = new Agent({ id: 'a', instructions: 'Be kind.', model, memory })
    const incoming = [user('u1', 'my name is Ada'), assistant('a1', 'Hi Ada'), user('u2', 'what is my name?')]
    const frames = await readSse(await agent.chat({ id: 'thread-9', messages: incoming, resourceId: 'user-1', context: { t: 1 } }))
    expect(log.opened).toEqual([{ threadId: 'thread-9', resourceId: 'user-1', context: { t: 1 } }])
    expect(log.inputs).toEqual([[user('u2', 'what is my name?')]])
    expect(promptTexts(model.doStreamCalls[0])).toEqual([
      'system: Be kind.\n\nWorking memory: name=Ada',
      'user: my name is Ada',
      'assistant: Hi Ada',
      'user: what is my name?',
    ])
    const start = frames[0] as { messageId: string }
    expect(log.replies).toHaveLength(1)
    expect(log.replies[0].aborted).toBe(false)
    expect(log.replies[0].message).toMatchObject({ id: start.messageId, role: 'assistant' })
    expect(log.replies[0].message.parts).toContainEqual(expect.objectContaining({ type: 'text', text: 'Ada' }))
  })

  it('saves the partial reply as aborted when the client goes away', async () => {
    const { memory, log } = fakeMemory()
    const { model, seen } = hangingModel()
    const agent = new Agent({ id: 'a', instructions: 'x', model, memory })
    const controller = new AbortController()
    const stream = await agent.chat({ id: 't', messages: [user('u1', 'hi')], resourceId: 'r', signal: controller.signal })
    const reader = stream.getReader()
    let seenText = ''
    while (!seenText.includes('text-delta')) seenText += (await reader.read()).value
    // What the shared writer does when the client disconnects.
    controller.abort()
    await reader.cancel()
    await new Promise((r) => setTimeout(r, 10))
    expect(seen.signal?.aborted).toBe(true)
    expect(log.replies).toHaveLength(1)
    expect(log.replies[0].aborted).toBe(true)
    expect(log.replies[0].message.parts).toContainEqual(expect.objectContaining({ type: 'text', text: 'partial ' }))
  })

  it('lets a regenerated reply replace the stored assistant message it names', async () => {
    const { memory, log } = fakeMemory({ history: [user('u1', 'hi'), assistant('a1', 'old answer')] })
    const agent = new Agent({ id: 'a', instructions: 'x', model: streamingModel(textParts(['new answer'])), memory })
    const frames = await readSse(
      await agent.chat({ id: 't', messages: [user('u1', 'hi')], resourceId: 'r', trigger: 'regenerate-message', messageId: 'a1' }),
    )
    expect(frames[0]).toMatchObject({ type: 'start', messageId: 'a1' })
    expect(log.inputs).toEqual([[]])
    expect(log.replies[0].message).toMatchObject({ id: 'a1', parts: expect.arrayContaining([expect.objectContaining({ text: 'new answer' })]) })
  })

  it('never reuses the id of a user message for a regenerated reply', async () => {
    const { memory, log } = fakeMemory({ history: [user('u1', 'hi')] })
    const agent = new Agent({ id: 'a', instructions: 'x', model: streamingModel(textParts(['answer'])), memory })
    await readSse(await agent.chat({ id: 't', messages: [user('u1', 'hi')], resourceId: 'r', trigger: 'regenerate-message', messageId: 'u1' }))
    expect(log.replies[0].message.id).not.toBe('u1')
  })

  it('falls back to the chat id as resource when nothing else names one', async () => {
    const { memory, log } = fakeMemory()
    const agent = new Agent({ id: 'a', instructions: 'x', model: streamingModel(textParts(['ok'])), memory })
    await readSse(await agent.chat({ id: 'solo', messages: [user('u1', 'hi')] }))
    expect(log.opened[0]).toMatchObject({ threadId: 'solo', resourceId: 'solo' })
  })

  it('answers 400 for messages that are not UI messages', async () => {
    const agent = new Agent({ id: 'a', instructions: 'x', model: streamingModel(textParts(['x'])) })
    const err = await agent.chat({ id: 'c', messages: [{ role: 'user', content: 'hi' }] as never }).catch((e) => e)
    expect(err.status).toBe(400)
    expect(err.issues[0].field).toBe('messages.0.parts')
  })
})

describe('mergeChatHistory', () => {
  it('keeps stored history up to the newest shared message and adds what follows', () => {
    const history = [user('1', 'a'), assistant('2', 'b'), user('3', 'c'), assistant('4', 'd')]
    const incoming = [user('3', 'c'), assistant('4', 'd'), user('5', 'e')]
    const { conversation, fresh } = mergeChatHistory(history, incoming)
    expect(conversation.map((m) => m.id)).toEqual(['1', '2', '3', '4', '5'])
    expect(fresh.map((m) => m.id)).toEqual(['5'])
  })

  it('drops a stored reply the client no longer has (regenerate)', () => {
    const history = [user('1', 'a'), assistant('2', 'b')]
    const { conversation, fresh } = mergeChatHistory(history, [user('1', 'a')])
    expect(conversation.map((m) => m.id)).toEqual(['1'])
    expect(fresh).toEqual([])
  })

  it('treats every incoming message as new when none is stored', () => {
    const history = [user('1', 'a')]
    const { conversation, fresh } = mergeChatHistory(history, [user('9', 'z')])
    expect(conversation.map((m) => m.id)).toEqual(['1', '9'])
    expect(fresh.map((m) => m.id)).toEqual(['9'])
  })
})
