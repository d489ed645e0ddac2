import { generateText, streamText } from 'ai'
import { describe, expect, it } from 'vitest'
import { pickDemoModel } from '../../../examples/shared/model.js'
import { OfflineEchoModel } from '../../../src/agents/offline-model.js'

describe('OfflineEchoModel', () => {
  it('answers generate by quoting the last user message', async () => {
    const result = await generateText({ model: new OfflineEchoModel(), prompt: 'ping pong' })
    expect(result.text).toBe('You said: "ping pong". I am the offline demo model; set OPENAI_API_KEY to talk to a real one.')
    expect(result.usage.inputTokens).toBe(2)
  })

  it('streams the same reply word by word', async () => {
    const result = streamText({ model: new OfflineEchoModel(), prompt: 'ping pong' })
    const deltas: string[] = []
    for await (const delta of result.textStream) deltas.push(delta)
    expect(deltas.slice(0, 3)).toEqual(['You ', 'said: ', '"ping '])
    expect(deltas.join('')).toBe((await generateText({ model: new OfflineEchoModel(), prompt: 'ping pong' })).text)
  })

  it('stops streaming when aborted, with its timer cleared', async () => {
    const controller = new AbortController()
    const model = new OfflineEchoModel({ wordDelayMs: 1_000 })
    const { stream } = await model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], abortSignal: controller.signal })
    const reader = stream.getReader()
    await reader.read()
    await reader.read()
    await reader.read()
    const pending = reader.read()
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('identifies itself as the offline model', () => {
    const model = new OfflineEchoModel()
    expect([model.provider, model.modelId]).toEqual(['agentmount', 'offline-echo'])
  })
})

describe('pickDemoModel', () => {
  it('falls back to the offline model without a key or base URL', async () => {
    // The examples use the built package's class, so compare by identity fields.
    const model = await pickDemoModel({})
    expect([model.constructor.name, (model as OfflineEchoModel).provider, (model as OfflineEchoModel).modelId]).toEqual([
      'OfflineEchoModel',
      'agentmount',
      'offline-echo',
    ])
  })

  it('points an OpenAI-compatible provider at OPENAI_BASE_URL', async () => {
    const model = await pickDemoModel({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MODEL: 'local-model' })
    expect(typeof model).toBe('object')
    expect(model).toMatchObject({ modelId: 'local-model', provider: 'openai-compatible.chat' })
  })

  it('uses OpenAI when only OPENAI_API_KEY is set', async () => {
    const model = await pickDemoModel({ OPENAI_API_KEY: 'sk-test' })
    expect(model).toMatchObject({ modelId: 'gpt-4o-mini', provider: expect.stringMatching(/^openai/) })
  })
})
