import type { UIMessage } from 'ai'
import { describe, expect, it } from 'vitest'
import {
  contentFromInput,
  fromUIMessage,
  replayableHistory,
  textOfParts,
  toUIMessage,
} from '../../../src/memory/message-format.js'

const target = { threadId: 't1', resourceId: 'user-1', createdAt: new Date(1_000) }

describe('UIMessage ⇄ stored message', () => {
  it('round-trips parts, role, id and metadata', () => {
    const ui: UIMessage = {
      id: 'a1',
      role: 'assistant',
      metadata: { modelId: 'mock' },
      parts: [
        { type: 'step-start' },
        { type: 'text', text: 'Looking it up.' },
        { type: 'tool-weather', toolCallId: 'c1', state: 'output-available', input: { city: 'Oslo' }, output: { c: 3 } },
        { type: 'text', text: 'It is 3°C.' },
      ],
    }
    const stored = fromUIMessage(ui, target)
    expect(stored).toEqual({
      id: 'a1',
      content: { format: 2, parts: ui.parts, content: 'Looking it up.\nIt is 3°C.', metadata: { modelId: 'mock' } },
      role: 'assistant',
      createdAt: new Date(1_000),
      threadId: 't1',
      resourceId: 'user-1',
    })
    expect(toUIMessage(stored)).toEqual(ui)
  })

  it('omits metadata and plain text when there are none, and fills a missing id', () => {
    const stored = fromUIMessage({ id: '', role: 'user', parts: [{ type: 'file', mediaType: 'image/png', url: 'data:,' }] }, target)
    expect(stored.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(stored.content).toEqual({ format: 2, parts: [{ type: 'file', mediaType: 'image/png', url: 'data:,' }] })
    expect(toUIMessage(stored)).not.toHaveProperty('metadata')
  })

  it('reads the content shapes Mastra clients send', () => {
    expect(contentFromInput({ content: 'hi' })).toEqual({ format: 2, parts: [{ type: 'text', text: 'hi' }], content: 'hi' })
    expect(contentFromInput({ content: [{ type: 'text', text: 'a' }] }).content).toBe('a')
    const formatTwo = { format: 2, parts: [{ type: 'text', text: 'x' }], content: 'x', metadata: { k: 1 } }
    expect(contentFromInput({ content: formatTwo })).toEqual(formatTwo)
    expect(contentFromInput({ content: 'ignored', parts: [{ type: 'text', text: 'wins' }] }).content).toBe('wins')
    expect(textOfParts([{ type: 'reasoning', text: 'no' }, { type: 'text', text: 'yes' }])).toBe('yes')
  })
})

describe('replayableHistory', () => {
  it('drops tool calls that never got a result and messages left empty', () => {
    const history: UIMessage[] = [
      { id: 'u', role: 'user', parts: [{ type: 'text', text: 'weather?' }] },
      {
        id: 'a',
        role: 'assistant',
        parts: [
          { type: 'text', text: 'checking' },
          { type: 'tool-weather', toolCallId: 'c1', state: 'input-available', input: {} },
          { type: 'dynamic-tool', toolName: 'x', toolCallId: 'c2', state: 'output-available', input: {}, output: 1 },
        ],
      },
      { id: 'empty', role: 'assistant', parts: [{ type: 'tool-weather', toolCallId: 'c3', state: 'input-streaming', input: undefined }] },
    ]
    const replay = replayableHistory(history)
    expect(replay.map((m) => m.id)).toEqual(['u', 'a'])
    expect(replay[1].parts.map((p) => p.type)).toEqual(['text', 'dynamic-tool'])
    expect(replay[0]).toBe(history[0])
  })
})
