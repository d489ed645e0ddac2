import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { generateText, stepCountIs, streamText, tool } from 'ai'
import { z } from 'zod'
import { endAgentSpan, runParent, startAgentSpan, traceModel, traceTools } from '../../../src/agents/tracing.js'
import { startSpan } from '../../../src/core/tracing.js'
import { generatingModel, streamingModel, textParts, toolCallParts } from '../agents/fixtures.js'

const exporter = new InMemorySpanExporter()

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
})
afterEach(() => exporter.reset())

const spans = () => exporter.getFinishedSpans()
const byName = (name: string) => {
  const found = spans().find((s) => s.name === name)
  if (!found) throw new Error(`no span ${name} among ${spans().map((s) => s.name).join(', ')}`)
  return found
}
const parentId = (span: ReturnType<typeof byName>) => span.parentSpanContext?.spanId

const weather = tool({
  description: 'Weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, degrees: 21 }),
})

describe('GenAI spans of an agent run', () => {
  it('hangs model calls and tool calls under the run span, with usage and finish reasons', async () => {
    const run = startAgentSpan({ id: 'helper', name: 'Helper' }, { runId: 'run-1', threadId: 't-1', resourceId: 'alice' })
    const parent = runParent(run)
    const result = await generateText({
      model: traceModel(generatingModel('It is 21 degrees', { toolName: 'weather', input: { city: 'Oslo' } }), parent, false),
      tools: traceTools({ weather }, parent),
      stopWhen: stepCountIs(3),
      prompt: 'Weather in Oslo?',
    })
    endAgentSpan(run, { usage: { inputTokens: result.totalUsage.inputTokens, outputTokens: result.totalUsage.outputTokens }, finishReason: result.finishReason })

    const agent = byName('invoke_agent Helper')
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': 'helper',
      'gen_ai.conversation.id': 't-1',
      'agentmount.run.id': 'run-1',
      'agentmount.resource.id': 'alice',
      'gen_ai.usage.input_tokens': 6,
      'gen_ai.usage.output_tokens': 8,
    })
    const chats = spans().filter((s) => s.name === 'chat mock-model-id')
    expect(chats).toHaveLength(2)
    for (const chat of chats) {
      expect(parentId(chat)).toBe(agent.spanContext().spanId)
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'mock-provider',
        'gen_ai.request.model': 'mock-model-id',
        'gen_ai.response.model': 'mock-model-id',
        'gen_ai.usage.input_tokens': 3,
        'gen_ai.usage.output_tokens': 4,
      })
      expect(chat.attributes['gen_ai.input.messages']).toBeUndefined()
    }
    expect(chats.map((c) => c.attributes['gen_ai.response.finish_reasons'])).toEqual([['tool-calls'], ['stop']])
    const toolSpan = byName('execute_tool weather')
    expect(parentId(toolSpan)).toBe(agent.spanContext().spanId)
    expect(toolSpan.attributes).toMatchObject({ 'gen_ai.tool.name': 'weather', 'gen_ai.tool.call.id': 'call-1' })
    expect(agent.spanContext().traceId).toBe(toolSpan.spanContext().traceId)
  })

  it('records a failing tool as an error span with the exception', async () => {
    const run = startAgentSpan({ id: 'helper', name: 'Helper' }, { runId: 'run-2' })
    const parent = runParent(run)
    const broken = tool({ inputSchema: z.object({}), execute: async (): Promise<string> => {
      throw new Error('database is down')
    } })
    await generateText({
      model: traceModel(generatingModel('Sorry', { toolName: 'broken', input: {} }), parent, false),
      tools: traceTools({ broken }, parent),
      stopWhen: stepCountIs(3),
      prompt: 'Go',
    })
    endAgentSpan(run, {})
    const toolSpan = byName('execute_tool broken')
    expect(toolSpan.status.code).toBe(2)
    expect(toolSpan.status.message).toBe('database is down')
    expect(toolSpan.events.map((e) => e.name)).toContain('exception')
  })

  it('times a streamed model call to its last part and records content only when asked', async () => {
    const run = startAgentSpan({ id: 'helper', name: 'Helper' }, { runId: 'run-3' })
    const parent = runParent(run)
    const result = streamText({ model: traceModel(streamingModel(textParts(['Hel', 'lo'])), parent, true), prompt: 'Hi' })
    expect(await result.text).toBe('Hello')
    endAgentSpan(run, {})
    const chat = byName('chat mock-model-id')
    expect(parentId(chat)).toBe(run!.spanContext().spanId)
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(4)
    expect(chat.attributes['gen_ai.response.finish_reasons']).toEqual(['stop'])
    expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hello' }] }])
    expect(String(chat.attributes['gen_ai.input.messages'])).toContain('Hi')
  })

  it('marks a model that fails mid-stream as an error span', async () => {
    const run = startAgentSpan({ id: 'helper', name: 'Helper' }, { runId: 'run-4' })
    const parent = runParent(run)
    const failing = streamingModel([...toolCallParts('x', {}).slice(0, 2), { type: 'error', error: new Error('overloaded') }])
    const result = streamText({ model: traceModel(failing, parent, false), prompt: 'Hi', onError: () => {} })
    await result.consumeStream()
    endAgentSpan(run, { error: new Error('overloaded') })
    expect(byName('chat mock-model-id').status).toMatchObject({ code: 2, message: 'overloaded' })
    expect(byName('invoke_agent Helper').status.code).toBe(2)
  })

  it('hangs the run span under the active server span', async () => {
    const server = trace.getTracer('host').startSpan('GET /api/agents/helper/generate')
    await context.with(trace.setSpan(context.active(), server), async () => {
      endAgentSpan(startAgentSpan({ id: 'helper', name: 'Helper' }, { runId: 'run-5' }), {})
    })
    server.end()
    expect(parentId(byName('invoke_agent Helper'))).toBe(server.spanContext().spanId)
    expect(startSpan('anything')).toBeDefined()
  })
})
