import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { generateText, stepCountIs, streamText, type TextStreamPart, type ToolSet } from 'ai'
import { installTracing } from '../harness/tracing.js'
import { kit } from '../kit.js'
import { BenchModel } from './bench-model.js'
import type { Scenario } from './types.js'

const { Agent, SqliteStore } = kit

const INSTRUCTIONS = 'You are a load-test agent.'
const BODY = { messages: 'hello there' }

// Each server gets a new store file of its own, as every scenario does: runs recorded by earlier
// benchmarks (or by the other side) would make every later run's writes slower.
function agentRuntime(dbPath: string) {
  return { agents: { bench: new Agent({ id: 'bench', instructions: INSTRUCTIONS, model: new BenchModel() }) }, store: new SqliteStore(dbPath) }
}

/** The same agent keeping no run records (`runs: false`): what the run ledger costs, measured against it. */
function unrecordedRuntime(dbPath: string) {
  return { agents: { bench: new Agent({ id: 'bench', instructions: INSTRUCTIONS, model: new BenchModel(), runs: false }) }, store: new SqliteStore(dbPath) }
}

/** What the hand-written generate route answers: the same Mastra-shaped body as the mount. */
async function handGenerate(prompt: string) {
  const result = await generateText({ model: new BenchModel(), system: INSTRUCTIONS, prompt, stopWhen: stepCountIs(5) })
  const runId = randomUUID()
  return {
    text: result.text,
    toolCalls: [],
    toolResults: [],
    finishReason: result.finishReason,
    usage: result.totalUsage,
    steps: result.steps.map((s) => ({
      text: s.text,
      reasoningText: s.reasoningText,
      toolCalls: [],
      toolResults: [],
      finishReason: s.finishReason,
      usage: s.usage,
    })),
    runId,
    response: { id: result.response.id, modelId: result.response.modelId, timestamp: result.response.timestamp },
  }
}

function chunkOf(part: TextStreamPart<ToolSet>, runId: string): Record<string, unknown> | undefined {
  const frame = (type: string, payload: unknown) => ({ type, runId, from: 'AGENT', payload })
  switch (part.type) {
    case 'start-step':
      return frame('step-start', { request: {}, warnings: part.warnings })
    case 'text-start':
      return frame('text-start', { id: part.id })
    case 'text-delta':
      return frame('text-delta', { id: part.id, text: part.text })
    case 'text-end':
      return frame('text-end', { id: part.id })
    case 'finish-step':
      return frame('step-finish', { stepResult: { reason: part.finishReason }, output: { usage: part.usage } })
    case 'finish':
      return frame('finish', { stepResult: { reason: part.finishReason }, output: { usage: part.totalUsage } })
    default:
      return undefined
  }
}

/** The hand-written stream route: streamText, Mastra chunks, SSE with backpressure. */
async function handStream(prompt: string, res: ServerResponse) {
  const runId = randomUUID()
  const result = streamText({ model: new BenchModel(), system: INSTRUCTIONS, prompt, stopWhen: stepCountIs(5) })
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' })
  const write = (value: unknown) => res.write(`data: ${JSON.stringify(value)}\n\n`)
  write({ type: 'start', runId, from: 'AGENT', payload: { id: 'bench', messageId: randomUUID() } })
  for await (const part of result.fullStream) {
    if (res.destroyed) break
    const chunk = chunkOf(part, runId)
    if (chunk && !write(chunk)) await new Promise((r) => res.once('drain', r))
  }
  res.end()
}

export const generateScenario: Scenario = {
  name: 'agent generate',
  target: 0.85,
  request: { method: 'POST', path: '/api/agents/bench/generate', body: BODY },
  runtime: agentRuntime,
  baseline: {
    express(app) {
      app.post('/api/agents/:agentId/generate', async (req: any, res: any) => res.json(await handGenerate(req.body.messages)))
    },
    fastify(app) {
      app.post('/api/agents/:agentId/generate', async (request: any) => handGenerate(request.body.messages))
    },
    koa(router) {
      router.post('/api/agents/:agentId/generate', async (ctx: any) => {
        ctx.body = await handGenerate(ctx.request.body.messages)
      })
    },
  },
}

export const streamScenario: Scenario = {
  name: 'agent stream (50 chunks)',
  target: 0.85,
  request: { method: 'POST', path: '/api/agents/bench/stream', body: BODY },
  runtime: agentRuntime,
  baseline: {
    express(app) {
      app.post('/api/agents/:agentId/stream', (req: any, res: any) => handStream(req.body.messages, res))
    },
    fastify(app) {
      app.post('/api/agents/:agentId/stream', async (request: any, reply: any) => {
        reply.hijack()
        await handStream(request.body.messages, reply.raw)
      })
    },
    koa(router) {
      router.post('/api/agents/:agentId/stream', async (ctx: any) => {
        ctx.respond = false
        await handStream(ctx.request.body.messages, ctx.res)
      })
    },
  },
}

/** Side B keeps no run records: the CPU per request apart is what recording one run and its log costs. */
export const generateLedgerScenario: Scenario = {
  name: 'agent generate, run ledger on vs off',
  request: generateScenario.request,
  runtime: agentRuntime,
  baseline: { runtime: unrecordedRuntime },
}

export const streamLedgerScenario: Scenario = {
  name: 'agent stream (50 chunks), run ledger on vs off',
  request: streamScenario.request,
  runtime: agentRuntime,
  baseline: { runtime: unrecordedRuntime },
}

/** Side A traces (an OpenTelemetry SDK with the in-memory exporter, and a server span per request); side B has no SDK. */
function tracedRuntime(dbPath: string) {
  installTracing()
  return agentRuntime(dbPath)
}

export const generateTracedScenario: Scenario = {
  name: 'agent generate, tracing on vs off',
  request: generateScenario.request,
  runtime: tracedRuntime,
  baseline: { runtime: agentRuntime },
}

export const streamTracedScenario: Scenario = {
  name: 'agent stream (50 chunks), tracing on vs off',
  request: streamScenario.request,
  runtime: tracedRuntime,
  baseline: { runtime: agentRuntime },
}

/**
 * The mount against an identical copy of itself: the ratio should be 1, and how far its
 * repetitions stray from 1 is the machine's noise for a scenario of this size.
 */
export const noiseFloorScenario: Scenario = {
  name: 'agent generate, the mount against itself (noise floor)',
  request: generateScenario.request,
  runtime: agentRuntime,
  baseline: { runtime: agentRuntime },
}
