import { tool } from 'ai'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { createTool } from '../../../src/agents/tool.js'
import { agentRoutes } from '../../../src/routes/agents.js'
import { createRuntime, type Runtime } from '../../../src/runtime.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { callRoute as call, closeServers, failure, frames, send } from '../../harness/node-client.js'
import { generatingModel, streamingModel, textParts } from './fixtures.js'

const greet = createTool({
  id: 'greet',
  description: 'Greets',
  inputSchema: z.object({ name: z.string() }),
  execute: async ({ name }, { context }) => `hello ${name} from ${context.tenant}`,
})
const clock = createTool({ id: 'clock', description: 'Time', inputSchema: z.object({}), execute: async () => 'noon' })
const add = tool({ description: 'adds', inputSchema: z.object({ a: z.number(), b: z.number() }), execute: async ({ a, b }) => a + b })

const runtimes: Runtime[] = []
function runtimeWith(agents: Record<string, Agent>): Runtime {
  const runtime = createRuntime({ agents, tools: { clock }, store: new SqliteStore({ path: ':memory:' }) })
  runtimes.push(runtime)
  return runtime
}

afterAll(async () => {
  await closeServers()
  for (const runtime of runtimes) await runtime.close()
})

describe('agent routes', () => {
  const runtime = runtimeWith({
    helper: new Agent({ id: 'helper', instructions: 'x', model: generatingModel('Hi!'), tools: { greet, add } }),
  })
  const generate = (body: unknown, agentId = 'helper') => call(runtime, 'POST', '/agents/:agentId/generate', { params: { agentId }, body })

  it('lists agents keyed by id and gets one without the key', async () => {
    const list = await call(runtime, 'GET', '/agents')
    expect(Object.keys(list)).toEqual(['helper'])
    expect(Object.keys(list.helper.tools)).toEqual(['greet', 'add'])
    expect(await call(runtime, 'GET', '/agents/:agentId', { params: { agentId: 'helper' } })).toEqual(list.helper)
  })

  it('answers 404 for an unknown agent', async () => {
    expect(await failure(generate({ messages: 'hi' }, 'nope'))).toMatchObject({ status: 404, code: 'NOT_FOUND' })
  })

  it('generates with the body', async () => {
    expect((await generate({ messages: 'hi' })).text).toBe('Hi!')
  })

  it('streams Mastra chunks over SSE', async () => {
    const streaming = runtimeWith({ s: new Agent({ id: 's', instructions: 'x', model: streamingModel(textParts(['a', 'b'])) }) })
    const res = await send(streaming, 'POST', '/agents/:agentId/stream', { params: { agentId: 's' }, body: { messages: 'hi' } })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const types = (await frames(res)).map((chunk) => chunk.type)
    expect(types[0]).toBe('start')
    expect(types.at(-1)).toBe('finish')
  })

  it('chats with the AI SDK UI message stream', async () => {
    const chatting = runtimeWith({ c: new Agent({ id: 'c', instructions: 'x', model: streamingModel(textParts(['yo'])) }) })
    const body = { id: 'chat', trigger: 'submit-message', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }
    const res = await send(chatting, 'POST', '/agents/:agentId/chat', { params: { agentId: 'c' }, body })
    expect(res.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1')
    expect((await frames(res)).at(-1)).toBe('[DONE]')
  })

  it('validates the call body envelope', async () => {
    expect((await generate({ messages: 'hi', requestContext: { a: 1 } })).text).toBe('Hi!')
    expect((await generate({ messages: 'hi', memory: { thread: { id: 't' }, resource: 'r' }, maxSteps: 50 })).text).toBe('Hi!')
    for (const bad of [{}, { messages: '' }, { messages: [] }, { messages: 'hi', maxSteps: 51 }, { messages: 'hi', maxSteps: 1.5 }, { messages: 'hi', output: 'x' }]) {
      expect(await failure(generate(bad)), JSON.stringify(bad)).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' })
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
  const runtime = runtimeWith({ helper: new Agent({ id: 'helper', instructions: 'x', model: generatingModel('x'), tools: { greet, add } }) })
  const execute = (toolId: string, body: unknown, context = {}) =>
    call(runtime, 'POST', '/tools/:toolId/execute', { params: { toolId }, body, context })

  it("lists the runtime's tools and every agent's static tools", async () => {
    const list = await call(runtime, 'GET', '/tools')
    expect(Object.keys(list).sort()).toEqual(['add', 'clock', 'greet'])
    expect(list.greet.inputSchema).toMatchObject({ type: 'object', required: ['name'] })
  })

  it('gets one tool, or 404', async () => {
    expect(await call(runtime, 'GET', '/tools/:toolId', { params: { toolId: 'add' } })).toMatchObject({ id: 'add', description: 'adds' })
    expect(await failure(call(runtime, 'GET', '/tools/:toolId', { params: { toolId: 'nope' } }))).toMatchObject({ status: 404 })
  })

  it('executes a tool with data and the request context', async () => {
    expect(await execute('greet', { data: { name: 'Ada' } }, { tenant: 'acme' })).toBe('hello Ada from acme')
    expect(await execute('add', { data: { a: 1, b: 2 } })).toBe(3)
  })

  it('answers 400 naming data fields for bad tool input', async () => {
    const err = await failure(execute('greet', { data: {} }))
    expect(err.status).toBe(400)
    expect(err.issues).toEqual([{ field: 'data.name', message: expect.any(String) }])
  })
})
