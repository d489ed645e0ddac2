import type { LanguageModelV3CallOptions } from '@ai-sdk/provider'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../src/agents/agent.js'
import { ToolError } from '../../src/core/errors.js'
import type { FailureInfo } from '../../src/core/report.js'
import type { MountOptions } from '../../src/http/dispatch.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import type { Store } from '../../src/storage/types.js'
import type { WorkflowRunStore } from '../../src/storage/workflow-runs.js'
import { hostUser, hosts, PREFIX, type TestHost } from '../harness/hosts.js'
import { call, eventually, sseFrames } from '../harness/http.js'
import { openTestStore } from '../harness/stores.js'
import { createWorkflow } from '../../src/workflows/workflow.js'
import {
  agentMountOptions,
  ALICE,
  scriptedModel,
  SECRET,
  startAgentApp,
  userMessage,
  weather,
  type AgentApp,
  type AgentClient,
  type Report,
} from './agents-fixture.js'
import { echoWorkflow } from './safety-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

/** What the model was shown as each tool's result in one call. */
function toolOutputs(options: LanguageModelV3CallOptions): unknown[] {
  return options.prompt.flatMap((message) =>
    message.role === 'tool' ? message.content.flatMap((part) => (part.type === 'tool-result' ? [part.output] : [])) : [],
  )
}

/** Everything a prompt shows the model, as one string, to look for leaked text. */
const promptText = (options: LanguageModelV3CallOptions) => JSON.stringify(options.prompt)

describe.each(hosts)('failures reach onError on $name', (factory) => {
  let app: AgentApp
  let alice: AgentClient

  beforeEach(async () => {
    app = await startAgentApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  /** The reports so far, leaving none for the next check. */
  const take = (): Report[] => {
    app.unexpected.length = 0
    return app.reports.splice(0)
  }

  describe('agent runs', () => {
    it('reports a provider failure on /generate, answered 502, with the original as cause, the request and the run', async () => {
      const res = await alice.post('/agents/guide/generate', { messages: 'denied' })
      expect(res.status).toBe(502)
      expect(res.body).toEqual({ error: 'The model provider returned an error (status 401)', code: 'UPSTREAM_ERROR' })
      const reports = take()
      expect(reports).toHaveLength(1)
      const [{ err, req, info }] = reports
      expect(info).toEqual({ kind: 'agent', route: 'POST /agents/:agentId/generate', agentId: 'guide', runId: expect.any(String) })
      expect(err).toMatchObject({ status: 502, code: 'UPSTREAM_ERROR' })
      expect((err as Error).cause).toMatchObject({ name: 'AI_APICallError', statusCode: 401 })
      expect(String(((err as Error).cause as Error).message)).toContain(SECRET)
      expect(req?.params).toEqual({ agentId: 'guide' })
      expect(req?.headers.authorization).toBe(`Bearer ${ALICE}`)
    })

    it('reports a model failure mid-stream on /stream with the run id the client saw', async () => {
      const res = await alice.post('/agents/guide/stream', { messages: 'please explode' })
      const frames = sseFrames(res.text)
      expect(frames.at(-1)).toMatchObject({ type: 'error', payload: { message: 'The model call failed' } })
      const reports = take()
      expect(reports).toHaveLength(1)
      expect(reports[0].info).toEqual({ kind: 'agent', route: 'POST /agents/:agentId/stream', agentId: 'guide', runId: frames[0].runId })
      expect((reports[0].err as Error).message).toContain(SECRET)
      expect(reports[0].req?.params).toEqual({ agentId: 'guide' })
    })

    it('reports a model failure mid-stream on /chat', async () => {
      const res = await alice.post('/agents/guide/chat', { id: 'c1', messages: [userMessage('u1', 'please explode')] })
      expect(sseFrames(res.text).filter((f) => f.type === 'error')).toEqual([{ type: 'error', errorText: 'The agent run failed' }])
      const reports = take()
      expect(reports).toHaveLength(1)
      expect(reports[0].info).toEqual({ kind: 'agent', route: 'POST /agents/:agentId/chat', agentId: 'guide', runId: expect.any(String) })
      expect((reports[0].err as Error).message).toContain(SECRET)
      expect(reports[0].req?.params).toEqual({ agentId: 'guide' })
    })

    it('reports a tool that throws during a run, on generate, stream and chat, with the error the tool threw', async () => {
      const generated = await alice.post('/agents/support/generate', { messages: 'weather in Atlantis?' })
      const streamed = await alice.post('/agents/support/stream', { messages: 'weather in Atlantis?' })
      await alice.post('/agents/support/chat', { id: 'c-tool', messages: [userMessage('u1', 'weather in Atlantis?')] })
      const reports = take()
      expect(reports.map((r) => r.info)).toEqual([
        { kind: 'tool', route: 'POST /agents/:agentId/generate', agentId: 'support', toolId: 'weather', runId: generated.body.runId },
        { kind: 'tool', route: 'POST /agents/:agentId/stream', agentId: 'support', toolId: 'weather', runId: sseFrames(streamed.text)[0].runId },
        { kind: 'tool', route: 'POST /agents/:agentId/chat', agentId: 'support', toolId: 'weather', runId: expect.any(String) },
      ])
      for (const { err, req } of reports) {
        expect(err).toBeInstanceOf(Error)
        expect((err as Error).message).toBe(`weather backend refused key ${SECRET}`)
        expect(req?.params).toEqual({ agentId: 'support' })
      }
    })
  })

  describe('tool errors', () => {
    it('shows the model `Tool <id> failed` for an error not marked safe, and nothing of what was thrown', async () => {
      for (const city of ['Atlantis', 'Hyperborea']) {
        const res = await alice.post('/agents/support/generate', { messages: `weather in ${city}?` })
        expect(res.status).toBe(200)
        const answer = app.models.support.doGenerateCalls.at(-1)!
        expect(toolOutputs(answer)).toEqual([{ type: 'error-text', value: 'Tool weather failed' }])
        expect(promptText(answer)).not.toContain(SECRET)
      }
      const reports = take()
      expect(reports.map((r) => (r.err as Error).message)).toEqual([
        `weather backend refused key ${SECRET}`,
        `weather cache down, key ${SECRET}`,
      ])
    })

    it('shows the model the message of a ToolError or of an HttpError with a 4xx, and still reports the original', async () => {
      const expected: Record<string, string> = { Lemuria: 'No weather station in Lemuria', Thule: 'City Thule not found' }
      for (const [city, message] of Object.entries(expected)) {
        await alice.post('/agents/support/generate', { messages: `weather in ${city}?` })
        expect(toolOutputs(app.models.support.doGenerateCalls.at(-1)!)).toEqual([{ type: 'error-text', value: message }])
      }
      const reports = take()
      expect(reports.map((r) => [r.info.kind, (r.err as Error).message])).toEqual([
        ['tool', 'No weather station in Lemuria'],
        ['tool', 'City Thule not found'],
      ])
      expect(reports[0].err).toBeInstanceOf(ToolError)
    })

    it('names the failed tool in /stream and /chat, and the run goes on to its answer', async () => {
      const streamed = sseFrames((await alice.post('/agents/support/stream', { messages: 'weather in Atlantis?' })).text)
      expect(streamed.find((f) => f.type === 'tool-error')?.payload.error).toBe('Tool weather failed')
      expect(streamed.filter((f) => f.type === 'text-delta').map((f) => f.payload.text).join('')).toMatch(/^Tool said:/)
      expect(streamed.at(-1).type).toBe('finish')

      const chat = sseFrames((await alice.post('/agents/support/chat', { id: 'c2', messages: [userMessage('u1', 'weather in Atlantis?')] })).text)
      expect(chat.find((f) => f.type === 'tool-output-error')).toMatchObject({ toolCallId: expect.any(String), errorText: 'Tool weather failed' })
      expect(chat.filter((f) => f.type === 'error')).toEqual([])
      expect(chat.filter((f) => f.type === 'text-delta').map((f) => f.delta).join('')).toMatch(/^Tool said:/)
      // The stored reply says the same.
      const stored = await alice.get('/memory/threads/c2/messages')
      expect(JSON.stringify(stored.body.uiMessages)).toContain('Tool weather failed')

      const safe = sseFrames((await alice.post('/agents/support/chat', { id: 'c3', messages: [userMessage('u3', 'weather in Lemuria?')] })).text)
      expect(safe.find((f) => f.type === 'tool-output-error')?.errorText).toBe('No weather station in Lemuria')
      expect(take()).toHaveLength(3)
    })

    it('answers 422 TOOL_ERROR with its message when a tool run directly throws a ToolError, and reports nothing', async () => {
      const res = await alice.post('/tools/weather/execute', { data: { city: 'Lemuria' } })
      expect(res.status).toBe(422)
      expect(res.body).toEqual({ error: 'No weather station in Lemuria', code: 'TOOL_ERROR' })
      const failed = await alice.post('/tools/weather/execute', { data: { city: 'Atlantis' } })
      expect(failed.status).toBe(500)
      const reports = take()
      expect(reports).toHaveLength(1)
      expect(reports[0].info).toEqual({ kind: 'request', route: 'POST /tools/:toolId/execute', toolId: 'weather' })
    })
  })
})

/** `target` with its methods bound, and `overrides` in place of some. */
function delegate<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof T]
      const value = Reflect.get(object, key)
      return typeof value === 'function' ? value.bind(object) : value
    },
  })
}

/** A store whose final write of a finished workflow run fails, as when the database goes away mid-run. */
function storeLosingFinishes(store: Store): Store {
  const runs = store.workflowRuns
  const workflowRuns = delegate<WorkflowRunStore>(runs, {
    finish: async (workflowId, runId, token, status, snapshot) => {
      if (status === 'success') throw new Error(`database connection lost, password ${SECRET}`)
      return runs.finish(workflowId, runId, token, status, snapshot)
    },
  })
  return delegate<Store>(store, { workflowRuns })
}

describe.each(hosts)('background workflow failures reach onError on $name', (factory) => {
  let runtime: Runtime
  let host: TestHost
  let reports: Report[]

  beforeEach(async () => {
    runtime = createRuntime({ store: storeLosingFinishes(openTestStore()), workflows: { echo: echoWorkflow() } })
    reports = []
    const mount: MountOptions = {
      auth: { authenticate: (req) => hostUser(req.host) ?? null },
      onError: (err, req, info) => void reports.push({ err, req, info }),
    }
    host = await factory.create({ runtime, mount })
  })
  afterEach(async () => {
    await host.close()
    await runtime.close()
  })

  it('reports a run started in the background that stops unexpectedly, with the request that started it', async () => {
    const res = await call(`${host.url}${PREFIX}/workflows/echo/start?runId=bg-1`, { method: 'POST', token: ALICE, json: { inputData: { data: 1 } } })
    expect(res.status).toBe(200)
    await eventually(() => reports.length > 0)
    expect(reports).toHaveLength(1)
    const [{ err, req, info }] = reports
    expect(info).toEqual({ kind: 'workflow-run', route: 'POST /workflows/:workflowId/start', workflowId: 'echo', runId: 'bg-1' })
    expect((err as Error).message).toContain('database connection lost')
    expect(req?.params).toEqual({ workflowId: 'echo' })
    // It stays `running`, to be restarted.
    expect((await runtime.runs('echo').getRun('bg-1'))?.status).toBe('running')
  })

  it('reports a run app code started in the background through the mount’s onError, without a request', async () => {
    const run = await runtime.runs('echo').createRun({ runId: 'bg-2' })
    await run.startInBackground({ inputData: { data: 2 } })
    await eventually(() => reports.length > 0)
    expect(reports).toHaveLength(1)
    expect(reports[0].req).toBeUndefined()
    expect(reports[0].info).toEqual({ kind: 'workflow-run', workflowId: 'echo', runId: 'bg-2' })
    expect((reports[0].err as Error).message).toContain('database connection lost')
  })

  it('reports a streamed run whose reader left before it stopped unexpectedly', async () => {
    const run = await runtime.runs('echo').createRun({ runId: 'bg-3' })
    const events = run.stream({ inputData: { data: 3 } })
    await events.next()
    await events.return!()
    await eventually(() => reports.length > 0)
    expect(reports.map((r) => r.info)).toEqual([{ kind: 'workflow-run', workflowId: 'echo', runId: 'bg-3' }])
  })
})

/** A workflow whose only step is an agent with the weather tool: `{ prompt }` in, the agent's `{ text }` out. */
function forecastWorkflow() {
  const forecaster = new Agent({ id: 'forecaster', instructions: 'Forecast.', model: scriptedModel(), tools: { weather } })
  const io = z.object({ prompt: z.string() })
  return createWorkflow({ id: 'forecast', inputSchema: io, outputSchema: z.object({ text: z.string() }) }).then(forecaster).commit()
}

describe.each(hosts)('failures inside a workflow agent step reach onError on $name', (factory) => {
  let runtime: Runtime
  let host: TestHost
  let unexpected: unknown[]
  let reports: Report[]
  const post = (path: string, json: unknown) => call(`${host.url}${PREFIX}${path}`, { method: 'POST', token: ALICE, json })
  /** What a tool failure in run `runId`'s agent step is reported with. */
  const toolFailure = (runId: string, route?: string): FailureInfo => ({
    kind: 'tool',
    ...(route ? { route } : {}),
    agentId: 'forecaster',
    toolId: 'weather',
    workflowId: 'forecast',
    runId,
  })

  beforeEach(async () => {
    runtime = createRuntime({ store: openTestStore(), workflows: { forecast: forecastWorkflow() } })
    unexpected = []
    reports = []
    host = await factory.create({ runtime, mount: agentMountOptions(unexpected, reports) })
  })
  afterEach(async () => {
    await host.close()
    await runtime.close()
  })

  it('reports a tool that throws in a run awaited over HTTP, with the request, the original error and the run ids; the run goes on', async () => {
    const res = await post('/workflows/forecast/start-async?runId=wf-tool-1', { inputData: { prompt: 'weather in Atlantis?' } })
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('success')
    expect(res.body.result).toEqual({ text: 'Tool said: [error-text]' })
    expect(reports.map((r) => r.info)).toEqual([toolFailure('wf-tool-1', 'POST /workflows/:workflowId/start-async')])
    const [{ err, req }] = reports
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toBe(`weather backend refused key ${SECRET}`)
    expect(req?.params).toEqual({ workflowId: 'forecast' })
    expect(req?.headers.authorization).toBe(`Bearer ${ALICE}`)
  })

  it('reports it from a run started in the background, with the request that started it', async () => {
    const res = await post('/workflows/forecast/start?runId=wf-tool-2', { inputData: { prompt: 'weather in Hyperborea?' } })
    expect(res.status).toBe(200)
    await eventually(() => reports.length > 0)
    expect(reports.map((r) => r.info)).toEqual([toolFailure('wf-tool-2', 'POST /workflows/:workflowId/start')])
    expect((reports[0].err as Error).message).toBe(`weather cache down, key ${SECRET}`)
    expect(reports[0].req?.params).toEqual({ workflowId: 'forecast' })
    await eventually(async () => (await runtime.runs('forecast').getRun('wf-tool-2'))?.status === 'success')
  })

  it('reports it from a run app code started through the runtime’s error channel, or to the start’s own onError', async () => {
    const runs = runtime.runs('forecast')
    const result = await (await runs.createRun({ runId: 'wf-tool-3' })).start({ inputData: { prompt: 'weather in Atlantis?' } })
    expect(result.status).toBe('success')
    expect(reports.map((r) => [r.info, r.req])).toEqual([[toolFailure('wf-tool-3'), undefined]])
    expect((reports[0].err as Error).message).toBe(`weather backend refused key ${SECRET}`)

    const own: Array<{ err: unknown; info: FailureInfo }> = []
    const onError = (err: unknown, info: FailureInfo) => void own.push({ err, info })
    await (await runs.createRun({ runId: 'wf-tool-4' })).start({ inputData: { prompt: 'weather in Atlantis?' }, onError })
    expect(own.map((r) => r.info)).toEqual([toolFailure('wf-tool-4')])
    expect(reports).toHaveLength(1)
  })
})
