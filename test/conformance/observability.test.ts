import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { simulateReadableStream } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { z } from 'zod'
import { Agent } from '../../src/agents/agent.js'
import { createTool } from '../../src/agents/tool.js'
import type { FinishedRun } from '../../src/agents/runs/observer.js'
import type { FailureInfo } from '../../src/core/report.js'
import type { MountOptions } from '../../src/http/dispatch.js'
import { createRuntime } from '../../src/runtime.js'
import type { AgentRunRecord } from '../../src/storage/agent-runs.js'
import { hostUser, hosts, PREFIX, type TestHost } from '../harness/hosts.js'
import { call, eventually } from '../harness/http.js'
import { installTracing } from '../harness/tracing.js'
import { openTestStore } from '../harness/stores.js'
import { coreMountOptions, coreRuntime } from './core-fixture.js'
import { createStep, createWorkflow } from '../../src/workflows/workflow.js'
import type { WorkflowRunFinish } from '../../src/workflows/run-finish.js'
import { ALICE, startWorkflowApp, type WorkflowApp } from './workflows-fixture.js'

const tracing = installTracing()
afterAll(() => tracing.uninstall())

describe.each(hosts)('traces on $name', (factory) => {
  let host: TestHost
  const api = (path: string) => `${host.url}${PREFIX}${path}`

  beforeAll(async () => {
    host = await factory.create({ runtime: coreRuntime(), mount: coreMountOptions })
  })
  afterAll(() => host?.close())
  beforeEach(() => tracing.reset())

  it('names the route with its mount prefix, its ids and the resource on the host server span', async () => {
    const res = await call(api('/items/abc?verbose=true'), { headers: { authorization: 'Bearer alice-token' } })
    expect(res.status).toBe(200)
    const server = await eventually(() => tracing.server(`${PREFIX}/items/abc`))
    expect(server.attributes).toMatchObject({
      'http.route': `${PREFIX}/items/:id`,
      'agentmount.resource.id': 'alice',
    })
  })
})

describe.each(hosts)('workflow traces on $name', (factory) => {
  let app: WorkflowApp
  beforeAll(async () => {
    app = await startWorkflowApp(factory)
  })
  afterAll(() => app?.close())
  beforeEach(() => tracing.reset())

  it('traces a run that suspends, then its resume in a later trace linked to the first', async () => {
    const alice = app.as(ALICE)
    const started = await alice.post('/workflows/refund/start-async?runId=traced', { inputData: { amount: 40 } })
    expect(started.body.status).toBe('suspended')
    const first = await eventually(() => tracing.spans().find((s) => s.name === 'invoke_workflow refund'))
    const startServer = await eventually(() => tracing.server(`${PREFIX}/workflows/refund/start-async`))
    expect(first.parentSpanContext?.spanId).toBe(startServer.spanContext().spanId)
    expect(first.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'agentmount.workflow.id': 'refund',
      'agentmount.run.id': 'traced',
      'agentmount.resource.id': 'alice',
      'agentmount.workflow.status': 'suspended',
    })
    const approval = tracing.span('execute_step approval')
    expect(approval.parentSpanContext?.spanId).toBe(first.spanContext().spanId)
    expect(approval.attributes).toMatchObject({ 'agentmount.workflow.step.status': 'suspended', 'agentmount.workflow.step.attempt': 1 })
    expect(approval.attributes['agentmount.workflow.step.resumed']).toBeUndefined()
    tracing.reset()

    const resumed = await alice.post('/workflows/refund/resume-async?runId=traced', { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } })
    expect(resumed.body.status).toBe('success')
    const second = await eventually(() => tracing.spans().find((s) => s.name === 'invoke_workflow refund'))
    expect(second.spanContext().traceId).not.toBe(first.spanContext().traceId)
    expect(second.links.map((l) => l.context.spanId)).toEqual([first.spanContext().spanId])
    expect(second.attributes['agentmount.workflow.status']).toBe('success')
    const steps = tracing.children(second).map((s) => [s.name, s.attributes['agentmount.workflow.step.status'], s.attributes['agentmount.workflow.step.resumed']])
    expect(steps).toEqual([
      ['execute_step approval', 'success', true],
      ['execute_step settle', 'success', undefined],
    ])
  })
})

const reported = { inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 4, text: 4, reasoning: 0 } }

/** Scripted by the last message: a tool result gets a text answer, else the user's words pick the tool (or a failure). */
function scriptedModel() {
  return new MockLanguageModelV3({
    doGenerate: async (options: LanguageModelV3CallOptions) => {
      const last = options.prompt[options.prompt.length - 1]
      const said = last.role === 'user' ? last.content.map((p) => (p.type === 'text' ? p.text : '')).join('') : ''
      if (said.includes('explode')) throw new Error('model overloaded')
      const response = { id: 'r', modelId: 'mock-model-id-2026', timestamp: new Date(0) }
      if (last.role === 'tool') return { content: [{ type: 'text', text: 'Done.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage: reported, response, warnings: [] }
      const tool = said.includes('broken') ? 'broken' : said.includes('refund') ? 'refund' : 'weather'
      const call = { type: 'tool-call' as const, toolCallId: `call-${tool}`, toolName: tool, input: JSON.stringify({ city: 'Oslo' }) }
      return { content: [call], finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage: reported, response, warnings: [] }
    },
    doStream: async (options: LanguageModelV3CallOptions) => {
      const last = options.prompt[options.prompt.length - 1]
      const said = last.role === 'user' ? last.content.map((p) => (p.type === 'text' ? p.text : '')).join('') : ''
      const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }, { type: 'response-metadata', id: 'r', modelId: 'mock-model-id-2026', timestamp: new Date(0) }]
      if (last.role === 'tool') {
        parts.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: 'Done.' }, { type: 'text-end', id: 't' })
        parts.push({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: reported })
      } else if (said.includes('explode')) {
        parts.push({ type: 'error', error: new Error('model overloaded') })
      } else {
        const tool = said.includes('broken') ? 'broken' : 'weather'
        parts.push({ type: 'tool-call', toolCallId: `call-${tool}`, toolName: tool, input: JSON.stringify({ city: 'Oslo' }) })
        parts.push({ type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage: reported })
      }
      return { stream: simulateReadableStream({ chunks: parts, initialDelayInMs: null, chunkDelayInMs: null }) }
    },
  })
}

function observedRuntime(finished: AgentRunRecord[], errors: unknown[]) {
  const city = z.object({ city: z.string() })
  const weather = createTool({ id: 'weather', description: 'Weather in a city', inputSchema: city, execute: async ({ city }) => ({ city, degrees: 21 }) })
  const broken = createTool({
    id: 'broken',
    description: 'Always fails',
    inputSchema: city,
    execute: async (): Promise<string> => {
      throw new Error('database password is hunter2')
    },
  })
  const refund = createTool({ id: 'refund', description: 'Refunds an order', inputSchema: city, requireApproval: true, execute: async () => 'refunded' })
  const runtime = createRuntime({
    store: openTestStore(),
    agents: { helper: new Agent({ id: 'helper', instructions: 'Help.', model: scriptedModel(), tools: { weather, broken, refund } }) },
    observability: {
      pricing: { 'mock-provider/mock-model-id': { inputPerMillion: 2, outputPerMillion: 10 } },
      onRunFinish: (run: FinishedRun) => void (run.kind !== 'workflow' && finished.push(run)),
    },
  })
  const mount: MountOptions = { auth: { authenticate: (req) => hostUser(req.host) ?? null }, onError: (err) => void errors.push(err) }
  return { runtime, mount }
}

const userMessage = (text: string) => [{ id: 'u1', role: 'user', parts: [{ type: 'text', text }] }]

describe.each(hosts)('agent run traces, usage and cost on $name', (factory) => {
  let host: TestHost
  const finished: AgentRunRecord[] = []
  const errors: unknown[] = []
  const api = (path: string) => `${host.url}${PREFIX}${path}`

  beforeAll(async () => {
    const { runtime, mount } = observedRuntime(finished, errors)
    host = await factory.create({ runtime, mount })
  })
  afterAll(() => host?.close())
  beforeEach(() => {
    tracing.reset()
    finished.length = 0
  })

  it('traces a chat turn with a tool call under the request, with the usage the model reported', async () => {
    const res = await fetch(api('/agents/helper/chat'), {
      method: 'POST',
      headers: { authorization: 'Bearer alice-token', 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'chat-traced', messages: userMessage('Weather in Oslo?') }),
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Done.')
    const agent = await eventually(() => tracing.spans().find((s) => s.name === 'invoke_agent helper'))
    const server = await eventually(() => tracing.server(`${PREFIX}/agents/helper/chat`))
    expect(agent.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
    expect(server.attributes).toMatchObject({ 'http.route': `${PREFIX}/agents/:agentId/chat`, 'agentmount.agent.id': 'helper', 'agentmount.resource.id': 'alice' })
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': 'helper',
      'gen_ai.conversation.id': 'chat-traced',
      'agentmount.resource.id': 'alice',
      'agentmount.run.status': 'success',
      'gen_ai.usage.input_tokens': 6,
      'gen_ai.usage.output_tokens': 8,
    })
    const children = tracing.children(agent).map((s) => s.name).sort()
    expect(children).toEqual(['chat mock-model-id', 'chat mock-model-id', 'execute_tool weather'])
    for (const chat of tracing.children(agent).filter((s) => s.name.startsWith('chat '))) {
      expect(chat.attributes).toMatchObject({
        'gen_ai.provider.name': 'mock-provider',
        'gen_ai.request.model': 'mock-model-id',
        'gen_ai.response.model': 'mock-model-id-2026',
        'gen_ai.usage.input_tokens': 3,
        'gen_ai.usage.output_tokens': 4,
      })
      expect(chat.attributes['gen_ai.input.messages']).toBeUndefined()
    }
    const runId = String(agent.attributes['agentmount.run.id'])
    await eventually(() => finished.length === 1)
    expect(finished[0]).toMatchObject({ runId, status: 'success', usage: { inputTokens: 6, outputTokens: 8 } })
    // 6 input tokens at 2 and 8 output tokens at 10 per million.
    expect(finished[0].cost).toEqual({ amount: (6 * 2 + 8 * 10) / 1e6, currency: 'USD', source: 'mock-provider/mock-model-id', price: { inputPerMillion: 2, outputPerMillion: 10 } })
    const stored = await call(api(`/agents/helper/runs/${runId}`), { token: 'alice-token' })
    expect(stored.status).toBe(200)
    expect(stored.body).toMatchObject({ runId, cost: finished[0].cost })
    expect(typeof stored.body.timeToFirstTokenMs).toBe('number')
  })

  it('marks a failing tool span with its exception while the run goes on', async () => {
    const res = await call(api('/agents/helper/generate'), { method: 'POST', token: 'alice-token', json: { messages: 'Use the broken tool' } })
    expect(res.status).toBe(200)
    const toolSpan = await eventually(() => tracing.spans().find((s) => s.name === 'execute_tool broken'))
    expect(toolSpan.status.code).toBe(2)
    expect(toolSpan.events.map((e) => e.name)).toContain('exception')
    const agent = tracing.span('invoke_agent helper')
    expect(toolSpan.parentSpanContext?.spanId).toBe(agent.spanContext().spanId)
    expect(agent.attributes['agentmount.run.status']).toBe('success')
    await eventually(() => finished.length === 1)
  })

  it('prices and announces a run canceled while it waits for an approval, once', async () => {
    const res = await call(api('/agents/helper/generate'), { method: 'POST', token: 'alice-token', json: { messages: 'refund my order' } })
    expect(res.status).toBe(200)
    expect(res.body.finishReason).toBe('suspended')
    expect(finished).toEqual([])
    const canceled = await call(api(`/agents/helper/runs/${res.body.runId}/cancel`), { method: 'POST', token: 'alice-token' })
    expect(canceled.status).toBe(200)
    await eventually(() => finished.length === 1)
    // One model call so far: 3 input tokens at 2 and 4 output tokens at 10 per million.
    const cost = { amount: (3 * 2 + 4 * 10) / 1e6, currency: 'USD', source: 'mock-provider/mock-model-id', price: { inputPerMillion: 2, outputPerMillion: 10 } }
    expect(finished[0]).toMatchObject({ runId: res.body.runId, status: 'canceled', cost })
    const stored = await call(api(`/agents/helper/runs/${res.body.runId}`), { token: 'alice-token' })
    expect(stored.body).toMatchObject({ status: 'canceled', cost })
    expect(finished).toHaveLength(1)
  })

  it('marks a failing model call and its run as errors, and still announces the run once', async () => {
    const res = await call(api('/agents/helper/generate'), { method: 'POST', token: 'alice-token', json: { messages: 'explode please' } })
    expect(res.status).toBe(502)
    const agent = await eventually(() => tracing.spans().find((s) => s.name === 'invoke_agent helper'))
    expect(agent.status.code).toBe(2)
    const chat = tracing.children(agent).find((s) => s.name === 'chat mock-model-id')
    expect(chat?.status).toMatchObject({ code: 2, message: 'model overloaded' })
    await eventually(() => finished.length === 1)
    expect(finished[0]).toMatchObject({ status: 'failed' })
  })
})

/** A workflow whose one step throws: its runs fail. */
function ledgerWorkflow() {
  const post = createStep({
    id: 'post',
    inputSchema: z.object({ amount: z.number() }),
    outputSchema: z.object({ posted: z.boolean() }),
    execute: async (): Promise<{ posted: boolean }> => {
      throw new Error('ledger offline')
    },
  })
  return createWorkflow({ id: 'ledger', inputSchema: post.inputSchema, outputSchema: post.outputSchema }).then(post).commit()
}

describe.each(hosts)('workflow runs reach onRunFinish on $name', (factory) => {
  let app: WorkflowApp
  const finished: WorkflowRunFinish[] = []
  /** The runs the hook was told of, by id; a run told twice shows twice. */
  const announced = (runId: string) => finished.filter((run) => run.runId === runId)

  beforeAll(async () => {
    const onRunFinish = (run: FinishedRun) => {
      if (run.kind !== 'workflow') return
      finished.push(run)
      if (run.runId.startsWith('throwing')) throw new Error(`hook broke on ${run.runId}`)
      if (run.runId.startsWith('rejecting')) return Promise.reject(new Error(`hook rejected ${run.runId}`))
    }
    app = await startWorkflowApp(factory, { observability: { onRunFinish }, workflows: { ledger: ledgerWorkflow() } })
  })
  afterAll(() => app?.close())
  beforeEach(() => {
    finished.length = 0
    app.unexpected.length = 0
  })

  it('announces a run that succeeds once, when it ends, with its ids, owner and times', async () => {
    const alice = app.as(ALICE)
    const res = await alice.post('/workflows/math/start-async?runId=fin-ok', { inputData: { a: 2, b: 3 } })
    expect(res.body.status).toBe('success')
    expect(announced('fin-ok')).toHaveLength(1)
    const [run] = finished
    expect(run).toEqual({
      kind: 'workflow',
      workflowId: 'math',
      runId: 'fin-ok',
      resourceId: 'alice',
      status: 'success',
      createdAt: expect.any(Date),
      finishedAt: expect.any(Date),
      durationMs: run.finishedAt.getTime() - run.createdAt.getTime(),
    })
    const stored = await app.runtime.runs('math').getRun('fin-ok')
    expect(run.createdAt.getTime()).toBe(stored!.createdAt.getTime())
    expect(run.finishedAt.getTime()).toBeGreaterThanOrEqual(run.createdAt.getTime())
    expect(app.unexpected).toEqual([])
  })

  it('announces a failed run once, with why it failed', async () => {
    const res = await app.as(ALICE).post('/workflows/ledger/start-async?runId=fin-failed', { inputData: { amount: 5 } })
    expect(res.body.status).toBe('failed')
    expect(finished).toEqual([
      expect.objectContaining({ kind: 'workflow', workflowId: 'ledger', runId: 'fin-failed', status: 'failed', error: { message: expect.stringContaining('ledger offline') } }),
    ])
  })

  it('does not announce a suspended run, then announces it once when its resume ends it', async () => {
    const alice = app.as(ALICE)
    const started = await alice.post('/workflows/refund/start-async?runId=fin-resumed', { inputData: { amount: 7 } })
    expect(started.body.status).toBe('suspended')
    expect(finished).toEqual([])
    const resumed = await alice.post('/workflows/refund/resume-async?runId=fin-resumed', { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } })
    expect(resumed.body.status).toBe('success')
    expect(finished.map((run) => [run.runId, run.status])).toEqual([['fin-resumed', 'success']])
  })

  it('announces a suspended run canceled by id once, and a running run canceled by id once', async () => {
    const alice = app.as(ALICE)
    await alice.post('/workflows/refund/start-async?runId=fin-parked', { inputData: { amount: 9 } })
    expect((await alice.post('/workflows/refund/runs/fin-parked/cancel')).status).toBe(200)
    expect(finished.map((run) => [run.runId, run.status, run.resourceId])).toEqual([['fin-parked', 'canceled', 'alice']])
    expect(finished[0].error).toBeUndefined()

    await alice.post('/workflows/held/start?runId=fin-live', { inputData: { n: 1 } })
    await app.gates.of('fin-live').started
    expect((await alice.post('/workflows/held/runs/fin-live/cancel')).status).toBe(200)
    await eventually(() => announced('fin-live').length > 0)
    expect(announced('fin-live').map((run) => [run.workflowId, run.status])).toEqual([['held', 'canceled']])
    // Canceling again changes nothing and announces nothing.
    expect((await alice.post('/workflows/held/runs/fin-live/cancel')).status).toBe(200)
    await app.as(ALICE).post('/workflows/math/start-async?runId=fin-after', { inputData: { a: 1, b: 1 } })
    expect(finished.map((run) => run.runId)).toEqual(['fin-parked', 'fin-live', 'fin-after'])
  })

  it('reports a hook that throws or rejects to the error channel, and the run is unharmed', async () => {
    const alice = app.as(ALICE)
    const infos: FailureInfo[] = []
    const stop = app.runtime.errors.listen((_err, info) => void infos.push(info))
    const thrown = await alice.post('/workflows/math/start-async?runId=throwing-1', { inputData: { a: 1, b: 2 } })
    expect(thrown.status).toBe(200)
    expect(thrown.body).toMatchObject({ status: 'success', result: { result: 6 } })
    const rejected = await alice.post('/workflows/math/start-async?runId=rejecting-1', { inputData: { a: 1, b: 2 } })
    expect(rejected.body.status).toBe('success')
    await eventually(() => app.unexpected.some((err) => (err as Error).message === 'hook rejected rejecting-1'))
    const messages = new Set(app.unexpected.map((err) => (err as Error).message))
    expect(messages).toEqual(new Set(['hook broke on throwing-1', 'hook rejected rejecting-1']))
    expect(finished.map((run) => run.runId)).toEqual(['throwing-1', 'rejecting-1'])
    stop()
    expect(infos).toEqual([
      { kind: 'workflow-run', workflowId: 'math', runId: 'throwing-1' },
      { kind: 'workflow-run', workflowId: 'math', runId: 'rejecting-1' },
    ])
    app.unexpected.length = 0
  })
})

describe.each(hosts)('the usage route on $name', (factory) => {
  let host: TestHost
  const finished: AgentRunRecord[] = []
  const api = (path: string) => `${host.url}${PREFIX}${path}`
  const generate = (token: string, messages: string) => call(api('/agents/helper/generate'), { method: 'POST', token, json: { messages } })

  beforeAll(async () => {
    const { runtime, mount } = observedRuntime(finished, [])
    host = await factory.create({ runtime, mount })
    // Alice: two good runs and a failed one; Bob: one good run.
    expect((await generate('alice-token', 'Weather in Oslo?')).status).toBe(200)
    expect((await generate('alice-token', 'Use the broken tool')).status).toBe(200)
    expect((await generate('alice-token', 'explode now')).status).toBe(502)
    expect((await generate('bob-token', 'Weather in Bergen?')).status).toBe(200)
    await eventually(() => finished.length === 4)
  })
  afterAll(() => host?.close())

  it("sums the caller's run records and nobody else's", async () => {
    const runs = await call(api('/agents/helper/runs?perPage=100'), { token: 'alice-token' })
    expect(runs.status).toBe(200)
    const mine = runs.body.runs as AgentRunRecord[]
    expect(mine).toHaveLength(3)
    const res = await call(api('/usage?groupBy=resource'), { token: 'alice-token' })
    expect(res.status).toBe(200)
    const sum = (pick: (r: AgentRunRecord) => number) => mine.reduce((n, r) => n + pick(r), 0)
    expect(res.body.total).toMatchObject({
      runs: 3,
      errors: 1,
      inputTokens: sum((r) => r.usage.inputTokens ?? 0),
      outputTokens: sum((r) => r.usage.outputTokens ?? 0),
      pricedRuns: 3,
    })
    expect(res.body.total.cost.USD).toBeCloseTo(sum((r) => r.cost?.amount ?? 0), 12)
    expect(res.body.total.inputTokens).toBeGreaterThan(0)
    expect(res.body.groups.map((g: { key: string }) => g.key)).toEqual(['alice'])
    expect(res.body.total.durationMs.p50).toEqual(expect.any(Number))
  })

  it('groups by agent, model and day and filters by agent and model', async () => {
    const byModel = await call(api('/usage?groupBy=model&model=mock-model-id'), { token: 'bob-token' })
    expect(byModel.body.groups).toEqual([expect.objectContaining({ key: 'mock-provider/mock-model-id', runs: 1, errors: 0 })])
    const byDay = await call(api('/usage?groupBy=day&agentId=helper'), { token: 'bob-token' })
    expect(byDay.body.groups).toEqual([expect.objectContaining({ key: new Date().toISOString().slice(0, 10), runs: 1 })])
    const none = await call(api('/usage?agentId=nobody'), { token: 'bob-token' })
    expect(none.body.total).toMatchObject({ runs: 0, cost: {}, durationMs: { p50: null, p95: null } })
    const future = await call(api(`/usage?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`), { token: 'bob-token' })
    expect(future.body.total.runs).toBe(0)
  })

  it('answers bad queries with 400 and anonymous callers with 401', async () => {
    expect((await call(api('/usage?groupBy=tenant'), { token: 'alice-token' })).status).toBe(400)
    expect((await call(api('/usage?from=yesterday'), { token: 'alice-token' })).status).toBe(400)
    const backwards = await call(api('/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'), { token: 'alice-token' })
    expect(backwards.status).toBe(400)
    expect(backwards.body).toMatchObject({ code: 'VALIDATION_ERROR' })
    expect((await call(api('/usage'))).status).toBe(401)
  })
})
