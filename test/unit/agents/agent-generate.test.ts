import { APICallError } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { createTool } from '../../../src/agents/tool.js'
import { generatingModel, promptTexts, usage } from './fixtures.js'

const weather = createTool({
  id: 'weather',
  description: 'Weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }, { context }) => ({ city, temp: 21, tenant: context.tenant }),
})

describe('Agent.generate', () => {
  it('answers in Mastra shape with the model text, usage and response metadata', async () => {
    const model = generatingModel('Hello there.')
    const agent = new Agent({ id: 'a', instructions: 'Be brief.', model })
    const result = await agent.generate({ messages: 'hi' })
    expect(result.text).toBe('Hello there.')
    expect(result.finishReason).toBe('stop')
    expect(result.usage.inputTokens).toBe(3)
    expect(result.usage.outputTokens).toBe(4)
    expect(result.response).toEqual({ id: 'resp-1', modelId: 'mock-model-id', timestamp: new Date(0) })
    expect(result.runId).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.steps).toHaveLength(1)
    expect(result.object).toBeUndefined()
    expect(promptTexts(model.doGenerateCalls[0])).toEqual(['system: Be brief.', 'user: hi'])
  })

  it('runs tools across steps and reports calls and results as Mastra chunks', async () => {
    const model = generatingModel('It is 21 degrees.', { toolName: 'weather', input: { city: 'Paris' } })
    const agent = new Agent({ id: 'a', instructions: 'x', model, tools: { weather } })
    const result = await agent.generate({ messages: 'weather in Paris?', context: { tenant: 'acme' } })
    expect(result.text).toBe('It is 21 degrees.')
    expect(result.steps).toHaveLength(2)
    expect(result.toolCalls).toEqual([
      { type: 'tool-call', runId: result.runId, from: 'AGENT', payload: { toolCallId: 'call-1', toolName: 'weather', args: { city: 'Paris' } } },
    ])
    expect(result.toolResults[0].payload).toEqual({
      toolCallId: 'call-1',
      toolName: 'weather',
      args: { city: 'Paris' },
      result: { city: 'Paris', temp: 21, tenant: 'acme' },
    })
    expect(model.doGenerateCalls[0].tools?.map((t) => t.name)).toEqual(['weather'])
  })

  it('stops after maxSteps', async () => {
    const model = generatingModel('never reached', { toolName: 'weather', input: { city: 'Paris' } })
    const agent = new Agent({ id: 'a', instructions: 'x', model, tools: { weather }, maxSteps: 1 })
    const result = await agent.generate({ messages: 'go' })
    expect(model.doGenerateCalls).toHaveLength(1)
    expect(result.finishReason).toBe('tool-calls')
  })

  it('returns the structured object for an output JSON schema', async () => {
    const model = generatingModel('{"city":"Paris","temp":21}')
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const output = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city'] }
    const result = await agent.generate({ messages: 'json please', output })
    expect(result.object).toEqual({ city: 'Paris', temp: 21 })
    expect(model.doGenerateCalls[0].responseFormat).toEqual({ type: 'json', schema: output })
  })

  it('answers 502 when the model returns something that is not JSON for an output schema', async () => {
    const agent = new Agent({ id: 'a', instructions: 'x', model: generatingModel('not json at all') })
    const err = await agent.generate({ messages: 'hi', output: { type: 'object' } }).catch((e) => e)
    expect(err.status).toBe(502)
    expect(err.message).toBe('The model did not return an object matching the output schema')
  })

  it('answers 502 when maxSteps ran out before the structured answer', async () => {
    const model = generatingModel('never', { toolName: 'weather', input: { city: 'Paris' } })
    const agent = new Agent({ id: 'a', instructions: 'x', model, tools: { weather }, maxSteps: 1 })
    const err = await agent.generate({ messages: 'hi', output: { type: 'object' } }).catch((e) => e)
    expect(err.status).toBe(502)
    expect(err.code).toBe('UPSTREAM_ERROR')
  })

  it.each([
    [{ type: 'banana' }, 'output.type'],
    [{ type: 'object', properties: 5 }, 'output.properties'],
    [{ type: 'object', properties: { a: 'string' } }, 'output.properties.a'],
    [{ required: 'a' }, 'output.required'],
  ])('answers 400 for the invalid output schema %j', async (output, field) => {
    const model = generatingModel('{}')
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const err = await agent.generate({ messages: 'hi', output }).catch((e) => e)
    expect(err.status).toBe(400)
    expect(err.issues[0].field).toBe(field)
    expect(model.doGenerateCalls).toHaveLength(0)
  })

  it.each([
    ['', 'messages'],
    [[], 'messages'],
    [[42], 'messages.0'],
    [[{ role: 'wizard', content: 'x' }], 'messages.0.role'],
    [[{ role: 'user', content: 'ok' }, { role: 'user', content: 5 }], 'messages.1.content'],
    [[{ id: 'm1', role: 'robot', parts: [] }], 'messages.0.role'],
  ])('answers 400 for bad messages %j', async (messages, field) => {
    const agent = new Agent({ id: 'a', instructions: 'x', model: generatingModel('x') })
    const err = await agent.generate({ messages: messages as never }).catch((e) => e)
    expect(err.status).toBe(400)
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.issues[0].field).toBe(field)
  })

  it('accepts model messages, UI messages and strings in one list', async () => {
    const model = generatingModel('ok')
    const agent = new Agent({ id: 'a', instructions: 'sys', model })
    await agent.generate({
      messages: [
        { role: 'user', content: 'first' },
        { id: 'u2', role: 'assistant', parts: [{ type: 'text', text: 'second' }] },
        'third',
      ],
    })
    expect(promptTexts(model.doGenerateCalls[0])).toEqual(['system: sys', 'user: first', 'assistant: second', 'user: third'])
  })

  it('turns a provider failure into a 502 without its internals', async () => {
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new APICallError({
          message: 'Incorrect API key provided: sk-secret',
          url: 'http://internal-gateway/v1',
          requestBodyValues: {},
          statusCode: 401,
          isRetryable: false,
        })
      },
    })
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const err = await agent.generate({ messages: 'hi' }).catch((e) => e)
    expect(err.status).toBe(502)
    expect(err.code).toBe('UPSTREAM_ERROR')
    expect(err.message).toBe('The model provider returned an error (status 401)')
    expect(JSON.stringify(err.toJSON())).not.toContain('sk-secret')
  })

  it('turns any other model failure into a generic 502', async () => {
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new Error('db password is hunter2')
      },
    })
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const err = await agent.generate({ messages: 'hi' }).catch((e) => e)
    expect(err.toJSON()).toEqual({ error: 'The model call failed', code: 'UPSTREAM_ERROR' })
  })

  it('lets an abort stay an abort and hands the signal to the model', async () => {
    let seen: AbortSignal | undefined
    const model = new MockLanguageModelV3({
      doGenerate: (options) => {
        seen = options.abortSignal
        return new Promise((_resolve, reject) => {
          options.abortSignal?.addEventListener('abort', () => reject(options.abortSignal!.reason), { once: true })
        })
      },
    })
    const agent = new Agent({ id: 'a', instructions: 'x', model })
    const controller = new AbortController()
    const pending = agent.generate({ messages: 'hi', signal: controller.signal }).catch((e) => e)
    await new Promise((r) => setTimeout(r, 5))
    controller.abort()
    const err = await pending
    expect(seen?.aborted).toBe(true)
    expect(err.name).toBe('AbortError')
    expect(err.status).toBeUndefined()
  })

  it('reports usage summed over steps', async () => {
    const model = generatingModel('done', { toolName: 'weather', input: { city: 'Rome' } })
    const agent = new Agent({ id: 'a', instructions: 'x', model, tools: { weather } })
    const result = await agent.generate({ messages: 'go' })
    expect(result.usage.inputTokens).toBe(2 * usage.inputTokens.total!)
  })
})
