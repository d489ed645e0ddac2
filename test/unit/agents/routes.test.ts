import { tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { createTool } from '../../../src/agents/tool.js'
import type { HttpError } from '../../../src/core/errors.js'
import { resultKind, type HandlerArgs, type Route } from '../../../src/http/route.js'
import { agentRoutes } from '../../../src/routes/agents.js'
import { toolRoutes } from '../../../src/routes/tools.js'
import { createRuntime } from '../../../src/runtime.js'
import type { Services } from '../../../src/services/services.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { collect, generatingModel, readSse, streamingModel, textParts } from './fixtures.js'
import { reportToStderr } from '../../../src/core/report.js'

const greet = createTool({
  id: 'greet',
  description: 'Greets',
  inputSchema: z.object({ name: z.string() }),
  execute: async ({ name }, { context }) => `hello ${name} from ${context.tenant}`,
})
const clock = createTool({ id: 'clock', description: 'Time', inputSchema: z.object({}), execute: async () => 'noon' })
const add = tool({ description: 'adds', inputSchema: z.object({ a: z.number(), b: z.number() }), execute: async ({ a, b }) => a + b })

function fakeRuntime(agents: Record<string, Agent>): Services {
  return createRuntime({ agents, tools: { clock }, store: new SqliteStore({ path: ':memory:' }) }).services
}

function route(routes: Route[], method: string, path: string): Route {
  const found = routes.find((r) => r.method === method && r.path === path)
  if (!found) throw new Error(`no route ${method} ${path}`)
  return found
}

async function call(r: Route, runtime: Services, args: Partial<HandlerArgs>) {
  return r.handler({
    params: {},
    query: {},
    body: undefined,
    context: {},
    principal: null,
    resourceId: undefined,
    signal: new AbortController().signal,
    runtime,
    request: {} as HandlerArgs['request'],
    mount: {} as HandlerArgs['mount'],
    onError: reportToStderr,
    ...args,
  })
}

describe('agent routes', () => {
  const runtime = fakeRuntime({
    helper: new Agent({ id: 'helper', instructions: 'x', model: generatingModel('Hi!'), tools: { greet, add } }),
  })

  it('lists agents keyed by id and gets one without the key', async () => {
    const list = (await call(route(agentRoutes, 'GET', '/agents'), runtime, {})) as Record<string, { tools: object }>
    expect(Object.keys(list)).toEqual(['helper'])
    expect(Object.keys(list.helper.tools)).toEqual(['greet', 'add'])
    const one = await call(route(agentRoutes, 'GET', '/agents/:agentId'), runtime, { params: { agentId: 'helper' } })
    expect(one).toBe(list.helper)
  })

  it('answers 404 for an unknown agent', async () => {
    const r = route(agentRoutes, 'POST', '/agents/:agentId/generate')
    await expect(call(r, runtime, { params: { agentId: 'nope' }, body: { messages: 'hi' } })).rejects.toMatchObject({ status: 404 })
  })

  it('generates with the body, context and signal', async () => {
    const r = route(agentRoutes, 'POST', '/agents/:agentId/generate')
    const result = (await call(r, runtime, { params: { agentId: 'helper' }, body: { messages: 'hi' } })) as { text: string }
    expect(result.text).toBe('Hi!')
  })

  it('streams Mastra chunks through sse()', async () => {
    const streaming = fakeRuntime({ s: new Agent({ id: 's', instructions: 'x', model: streamingModel(textParts(['a', 'b'])) }) })
    const r = route(agentRoutes, 'POST', '/agents/:agentId/stream')
    const result = (await call(r, streaming, { params: { agentId: 's' }, body: { messages: 'hi' } })) as { source: AsyncIterable<{ data: { type: string } }> }
    expect(resultKind(result)).toBe('sse')
    const types = (await collect(result.source)).map((c) => c.data.type)
    expect(types[0]).toBe('start')
    expect(types[types.length - 1]).toBe('finish')
  })

  it('chats through uiMessageStream()', async () => {
    const chatting = fakeRuntime({ c: new Agent({ id: 'c', instructions: 'x', model: streamingModel(textParts(['yo'])) }) })
    const r = route(agentRoutes, 'POST', '/agents/:agentId/chat')
    const body = { id: 'chat', trigger: 'submit-message', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }
    const result = (await call(r, chatting, { params: { agentId: 'c' }, body })) as { stream: ReadableStream<string> }
    expect(resultKind(result)).toBe('ui-message')
    const frames = await readSse(result.stream)
    expect(frames[frames.length - 1]).toBe('[DONE]')
  })

  it('validates the call body envelope', () => {
    const schema = route(agentRoutes, 'POST', '/agents/:agentId/generate').body!
    expect(schema.safeParse({ messages: 'hi', requestContext: { a: 1 } }).success).toBe(true)
    expect(schema.safeParse({ messages: 'hi', memory: { thread: { id: 't' }, resource: 'r' }, maxSteps: 50 }).success).toBe(true)
    for (const bad of [{}, { messages: '' }, { messages: [] }, { messages: 'hi', maxSteps: 51 }, { messages: 'hi', maxSteps: 1.5 }, { messages: 'hi', output: 'x' }]) {
      expect(schema.safeParse(bad).success).toBe(false)
    }
  })

  it('asks for agents:read to read, agents:execute to run an agent and tools:execute to run its tool', () => {
    expect(Object.fromEntries(agentRoutes.map((r) => [`${r.method} ${r.path}`, r.permission]))).toEqual({
      'GET /agents': 'agents:read',
      'GET /agents/providers': 'agents:read',
      'GET /agents/:agentId': 'agents:read',
      'GET /agents/:agentId/tools/:toolId': 'agents:read',
      'POST /agents/:agentId/tools/:toolId/execute': 'tools:execute',
      'POST /agents/:agentId/generate': 'agents:execute',
      'POST /agents/:agentId/stream': 'agents:execute',
      'POST /agents/:agentId/chat': 'agents:execute',
    })
  })
})

describe('tool routes', () => {
  const runtime = fakeRuntime({ helper: new Agent({ id: 'helper', instructions: 'x', model: generatingModel('x'), tools: { greet, add } }) })

  it("lists the runtime's tools and every agent's static tools", async () => {
    const list = (await call(route(toolRoutes, 'GET', '/tools'), runtime, {})) as Record<string, { id: string; inputSchema: object }>
    expect(Object.keys(list).sort()).toEqual(['add', 'clock', 'greet'])
    expect(list.greet.inputSchema).toMatchObject({ type: 'object', required: ['name'] })
  })

  it('gets one tool, or 404', async () => {
    const r = route(toolRoutes, 'GET', '/tools/:toolId')
    await expect(call(r, runtime, { params: { toolId: 'add' } })).resolves.toMatchObject({ id: 'add', description: 'adds' })
    await expect(call(r, runtime, { params: { toolId: 'nope' } })).rejects.toMatchObject({ status: 404 })
  })

  it('executes a tool with data and the request context', async () => {
    const r = route(toolRoutes, 'POST', '/tools/:toolId/execute')
    const result = (await call(r, runtime, { params: { toolId: 'greet' }, body: { data: { name: 'Ada' } }, context: { tenant: 'acme' } })) as {
      value: unknown
    }
    expect(result.value).toBe('hello Ada from acme')
    const sum = (await call(r, runtime, { params: { toolId: 'add' }, body: { data: { a: 1, b: 2 } } })) as { value: unknown }
    expect(sum.value).toBe(3)
  })

  it('answers 400 naming data fields for bad tool input', async () => {
    const r = route(toolRoutes, 'POST', '/tools/:toolId/execute')
    const err = (await call(r, runtime, { params: { toolId: 'greet' }, body: { data: {} } }).catch((e) => e)) as HttpError
    expect(err.status).toBe(400)
    expect(err.issues).toEqual([{ field: 'data.name', message: expect.any(String) }])
  })
})
