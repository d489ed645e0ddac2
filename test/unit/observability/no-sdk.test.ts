import { describe, expect, it } from 'vitest'
import { generateText } from 'ai'
import { runParent, startAgentSpan, traceModel, traceTools } from '../../../src/agents/tracing.js'
import { activeParent, startSpan } from '../../../src/core/tracing.js'
import { generatingModel } from '../agents/fixtures.js'

// No tracer provider is registered in this file's worker: the API answers with no-op spans.
describe('tracing without an OpenTelemetry SDK', () => {
  it('keeps no span and leaves models and tools untouched', async () => {
    expect(startSpan('invoke_agent Helper')).toBeUndefined()
    const run = startAgentSpan({ id: 'helper', name: 'Helper' }, { runId: 'r' })
    expect(run).toBeUndefined()
    const parent = runParent(run)
    expect(parent).toBeUndefined()
    const model = generatingModel('plain')
    expect(traceModel(model, parent, true)).toBe(model)
    const tools = {}
    expect(traceTools(tools, parent)).toBe(tools)
    expect((await generateText({ model: traceModel(model, parent, false), prompt: 'x' })).text).toBe('plain')
    expect(activeParent()).toBeDefined()
  })
})
