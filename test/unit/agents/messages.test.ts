import { beforeAll, describe, expect, it } from 'vitest'
import { loadAiSdk } from '../../../src/agents/ai-sdk.js'
import { callerToModelMessages, callerToUIMessages, parseMessages } from '../../../src/agents/messages.js'

// Message validation uses the SDK's own schemas, as agents do after loading it.
beforeAll(() => loadAiSdk())

describe('parseMessages', () => {
  it('turns a string into one user message', () => {
    expect(parseMessages('hi')).toEqual([{ kind: 'model', message: { role: 'user', content: 'hi' } }])
  })

  it('gives UI messages without an id a fresh one', () => {
    const [parsed] = parseMessages([{ role: 'user', parts: [{ type: 'text', text: 'x' }] }])
    expect(parsed.kind).toBe('ui')
    expect(parsed.message).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) })
  })

  it('names the bad part of a model message', () => {
    const err = (() => {
      try {
        parseMessages([{ role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c' }] }])
      } catch (e) {
        return e as { status: number; issues: Array<{ field: string }> }
      }
    })()
    expect(err?.status).toBe(400)
    expect(err?.issues[0].field).toBe('messages.0.content')
  })
})

describe('caller messages for memory', () => {
  it('folds tool results into the assistant tool parts that called them', () => {
    const ui = callerToUIMessages(
      parseMessages([
        { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', image: 'aGVsbG8=', mediaType: 'image/png' }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'weather', input: { city: 'Oslo' } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'weather', output: { type: 'json', value: { temp: 3 } } }] },
        { role: 'assistant', content: 'Cold.' },
      ]),
    )
    expect(ui.map((m) => ({ role: m.role, parts: m.parts }))).toEqual([
      {
        role: 'user',
        parts: [
          { type: 'text', text: 'weather?' },
          { type: 'file', mediaType: 'image/png', url: 'data:image/png;base64,aGVsbG8=' },
        ],
      },
      {
        role: 'assistant',
        parts: [{ type: 'tool-weather', toolCallId: 'c1', state: 'output-available', input: { city: 'Oslo' }, output: { temp: 3 } }],
      },
      { role: 'assistant', parts: [{ type: 'text', text: 'Cold.' }] },
    ])
  })

  it('keeps UI messages as sent, ids included', () => {
    const message = { id: 'keep-me', role: 'user' as const, parts: [{ type: 'text' as const, text: 'x' }] }
    expect(callerToUIMessages(parseMessages([message]))).toEqual([message])
  })

  it('converts runs of UI messages between model messages in order', async () => {
    const out = await callerToModelMessages(
      parseMessages([
        'one',
        { id: 'a', role: 'assistant', parts: [{ type: 'text', text: 'two' }] },
        { role: 'user', content: 'three' },
      ]),
      undefined,
    )
    expect(out.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
    expect(JSON.stringify(out)).toContain('two')
  })
})

describe('long message lists', () => {
  // Past ~125 000 items, push(...list) overflows the stack; the converters must not spread.
  const count = 150_000

  it('converts 150 000 model messages followed by a UI message to UI messages', () => {
    const messages = Array.from({ length: count }, (_, i) =>
      i === count - 1
        ? { kind: 'ui' as const, message: { id: 'last', role: 'user' as const, parts: [{ type: 'text' as const, text: 'b' }] } }
        : { kind: 'model' as const, message: { role: 'user' as const, content: 'a' } },
    )
    const out = callerToUIMessages(messages)
    expect(out).toHaveLength(count)
    expect(out.at(-1)!.id).toBe('last')
  })

  it('converts 150 000 UI messages to model messages', async () => {
    const messages = Array.from({ length: count }, (_, i) => ({
      kind: 'ui' as const,
      message: { id: `u${i}`, role: 'user' as const, parts: [{ type: 'text' as const, text: 'a' }] },
    }))
    messages.push({ kind: 'model', message: { role: 'user', content: 'last' } } as never)
    const out = await callerToModelMessages(messages, undefined)
    expect(out).toHaveLength(count + 1)
  })
})
