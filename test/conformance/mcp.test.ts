import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ALICE, BOB, connect, SECRET, startMcpApp, type McpApp } from './mcp-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
}
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('')
}

describe.each(hosts)('MCP endpoint on $name', (factory) => {
  let app: McpApp
  let alice: Client
  let aliceTransport: StreamableHTTPClientTransport

  beforeEach(async () => {
    app = await startMcpApp(factory)
    ;({ client: alice, transport: aliceTransport } = await connect(app.url, ALICE))
  })
  afterEach(async () => {
    await alice.close()
    await app.close()
  })

  it('answers 401 in the envelope before reading any JSON-RPC', async () => {
    const res = await fetch(app.url, { method: 'POST', headers: MCP_HEADERS, body: '{not json' })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ error: 'Authentication required', code: 'UNAUTHENTICATED' })
    await expect(connect(app.url, 'nobody-token')).rejects.toMatchObject({ code: 401 })
    expect(app.unexpected).toEqual([])
  })

  it('answers 403 in the envelope when authorize refuses mcp:execute', async () => {
    const res = await fetch(app.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: 'Bearer admin-token' }, body: JSON.stringify(INITIALIZE) })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ error: 'Not allowed: mcp:execute', code: 'FORBIDDEN' })
  })

  it('asks authorize about each tool as REST would, and lists only what the caller may call', async () => {
    const { client: bob } = await connect(app.url, BOB)
    const names = (await bob.listTools()).tools.map((t) => t.name)
    expect(names).toContain('whoami')
    expect(names).not.toContain('count')
    const refused = await bob.callTool({ name: 'count', arguments: { n: 1 } })
    expect(refused.isError).toBe(true)
    expect(textOf(refused)).toBe('Not allowed: tools:execute')
    await bob.close()
    expect(textOf(await alice.callTool({ name: 'count', arguments: { n: 1 } }))).toBe('counted to 1')
  })

  it('initializes a session and lists tools, agents and workflows with their schemas', async () => {
    expect(aliceTransport.sessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(alice.getServerVersion()?.name).toBe('agentmount')
    const { tools } = await alice.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(
      ['ask_banker', 'ask_notes', 'broken', 'count', 'resume_refund', 'start_refund', 'wait', 'whoami'],
    )
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]))
    expect(byName.whoami.description).toBe('The signed-in user and tenant')
    expect(byName.whoami.inputSchema).toMatchObject({ type: 'object', properties: { greeting: { type: 'string', default: 'hello' } } })
    expect(byName.whoami.outputSchema).toMatchObject({ type: 'object', required: ['greeting', 'user', 'tenant'] })
    expect(byName.count.outputSchema).toBeUndefined()
    expect(byName.ask_notes.inputSchema).toMatchObject({ properties: { message: { type: 'string' }, threadId: { type: 'string' } }, required: ['message'] })
    expect(byName.ask_banker.inputSchema.properties).not.toHaveProperty('threadId')
    expect(byName.start_refund.inputSchema).toMatchObject({ properties: { inputData: { properties: { amount: { type: 'number' } } } } })
    expect(byName.resume_refund.inputSchema).toMatchObject({ required: ['runId'] })
  })

  it('runs a tool with the signed-in user from the app’s context, as structured content', async () => {
    const result = await alice.callTool({ name: 'whoami', arguments: { greeting: 'hi' } })
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toEqual({ greeting: 'hi', user: 'alice', tenant: 'acme' })
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent)
    const { client: bob } = await connect(app.url, BOB)
    expect((await bob.callTool({ name: 'whoami', arguments: {} })).structuredContent).toEqual({ greeting: 'hello', user: 'bob', tenant: 'globex' })
    await bob.close()
  })

  it('reports bad arguments and unknown tools as errors the client can read', async () => {
    const bad = await alice.callTool({ name: 'count', arguments: { n: 'many' } })
    expect(bad.isError).toBe(true)
    expect(textOf(bad)).toMatch(/Invalid tool input: data\.n/)
    await expect(alice.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({ code: -32602 })
    expect(app.unexpected).toEqual([])
  })

  it('hides a failing tool’s internals from the client and hands the error to onError', async () => {
    const result = await alice.callTool({ name: 'broken', arguments: {} })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toBe('Tool broken failed')
    expect(JSON.stringify(result)).not.toContain(SECRET)
    expect(app.unexpected).toHaveLength(1)
    expect(String(app.unexpected[0])).toContain(SECRET)
    app.unexpected.length = 0
  })

  it('sends progress notifications while a long tool runs', async () => {
    const seen: Array<{ progress: number; total?: number; message?: string }> = []
    const result = await alice.callTool({ name: 'count', arguments: { n: 3 } }, undefined, { onprogress: (p) => void seen.push(p) })
    expect(textOf(result)).toBe('counted to 3')
    expect(seen).toEqual([1, 2, 3].map((i) => ({ progress: i, total: 3, message: `step ${i}` })))
  })

  it('aborts the tool’s signal when the client cancels the call', async () => {
    const controller = new AbortController()
    const call = alice.callTool({ name: 'wait', arguments: {} }, undefined, { signal: controller.signal })
    await app.slow.started
    controller.abort('user pressed stop')
    await expect(call).rejects.toThrow()
    await app.slow.aborted
    // The session is still usable after a cancelled call.
    expect((await alice.callTool({ name: 'whoami', arguments: {} })).structuredContent).toMatchObject({ user: 'alice' })
    expect(app.unexpected).toEqual([])
  })

  it('asks an agent, continuing its memory thread, scoped to the caller', async () => {
    const steps: number[] = []
    const first = await alice.callTool({ name: 'ask_notes', arguments: { message: 'my name is Ada' } }, undefined, {
      onprogress: ({ progress }) => void steps.push(progress),
    })
    // One progress step per streamed word of "Heard: my name is Ada".
    expect(steps).toEqual([1, 2, 3, 4, 5])
    const { threadId, text, runId } = first.structuredContent as { threadId: string; text: string; runId: string }
    expect(text).toBe('Heard: my name is Ada')
    expect(runId).toEqual(expect.any(String))
    const second = await alice.callTool({ name: 'ask_notes', arguments: { message: 'who am I?', threadId } })
    expect(second.structuredContent).toMatchObject({ threadId, text: 'Heard: my name is Ada | who am I?' })
    const { client: bob } = await connect(app.url, BOB)
    const stolen = await bob.callTool({ name: 'ask_notes', arguments: { message: 'what did she say?', threadId } })
    expect(stolen.isError).toBe(true)
    expect(textOf(stolen)).toBe('Thread not found')
    await bob.close()
  })

  it('reports an agent tool that needs approval as a clear tool error', async () => {
    const result = await alice.callTool({ name: 'ask_banker', arguments: { message: 'pay the rent' } })
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/tool wire_money needs approval/)
    expect(app.unexpected).toEqual([])
  })

  it('starts a workflow, then resumes the suspended run with data; another principal cannot', async () => {
    const started = await alice.callTool({ name: 'start_refund', arguments: { inputData: { amount: 40 } } })
    const run = started.structuredContent as { runId: string; status: string; suspended: string[][]; suspendPayload: unknown }
    expect(run).toMatchObject({ status: 'suspended', suspended: [['approval']], suspendPayload: { approval: { reason: 'refund of 40 needs an approver' } } })
    const { client: bob } = await connect(app.url, BOB)
    const hijack = await bob.callTool({ name: 'resume_refund', arguments: { runId: run.runId, resumeData: { approver: 'Mallory' } } })
    expect(hijack.isError).toBe(true)
    expect(textOf(hijack)).toBe(`Workflow run ${run.runId} not found`)
    await bob.close()
    const resumed = await alice.callTool({ name: 'resume_refund', arguments: { runId: run.runId, step: 'approval', resumeData: { approver: 'Ada' } } })
    expect(resumed.structuredContent).toMatchObject({ runId: run.runId, status: 'success', result: { amount: 40, approvedBy: 'Ada' } })
    const invalid = await alice.callTool({ name: 'start_refund', arguments: { inputData: { amount: 'lots' } } })
    expect(invalid.isError).toBe(true)
    expect(textOf(invalid)).toMatch(/inputData\.amount/)
  })

  it('returns a run id at once when asked not to wait', async () => {
    const started = await alice.callTool({ name: 'start_refund', arguments: { inputData: { amount: 5 }, wait: false } })
    const { runId } = started.structuredContent as { runId: string }
    expect(started.structuredContent).toEqual({ runId: expect.any(String), status: 'running' })
    // The run goes on after the answer: it reaches its approval step and can be resumed.
    for (;;) {
      const resumed = await alice.callTool({ name: 'resume_refund', arguments: { runId, resumeData: { approver: 'Ada' } } })
      if (!resumed.isError) {
        expect(resumed.structuredContent).toMatchObject({ status: 'success', result: { amount: 5, approvedBy: 'Ada' } })
        break
      }
      expect(textOf(resumed)).toMatch(/not suspended|not found/)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })

  it('refuses another principal’s session exactly like an unknown one', async () => {
    const sessionId = aliceTransport.sessionId!
    const { client: bob } = await connect(app.url, BOB, sessionId)
    await expect(bob.listTools()).rejects.toMatchObject({ code: 404 })
    await bob.close()
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, authorization: `Bearer ${BOB}`, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'MCP session not found', code: 'NOT_FOUND' })
    // Alice's session is untouched.
    expect((await alice.listTools()).tools.length).toBe(8)
  })

  it('ends a session with DELETE; the session id is then unknown', async () => {
    const sessionId = aliceTransport.sessionId!
    await aliceTransport.terminateSession()
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, authorization: `Bearer ${ALICE}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    })
    expect(res.status).toBe(404)
  })

  it('opens the server-to-client SSE stream on GET for the session owner only', async () => {
    const opened = await fetch(app.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${ALICE}` }, body: JSON.stringify(INITIALIZE) })
    const sessionId = opened.headers.get('mcp-session-id')!
    await opened.text()
    const headers = { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }
    const theirs = await fetch(app.url, { headers: { ...headers, authorization: `Bearer ${BOB}` } })
    expect(theirs.status).toBe(404)
    const controller = new AbortController()
    const mine = await fetch(app.url, { headers: { ...headers, authorization: `Bearer ${ALICE}` }, signal: controller.signal })
    expect(mine.status).toBe(200)
    expect(mine.headers.get('content-type')).toBe('text/event-stream')
    expect(mine.headers.get('mcp-session-id')).toBe(sessionId)
    controller.abort()
  })

  it('refuses a request without a session once sessions are on', async () => {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { ...MCP_HEADERS, authorization: `Bearer ${ALICE}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }),
    })
    expect(res.status).toBe(400)
    expect((await res.json()).error).toMatchObject({ code: -32000 })
  })
})

describe.each(hosts)('stateless MCP endpoint on $name', (factory) => {
  let app: McpApp
  beforeEach(async () => {
    app = await startMcpApp(factory, { stateless: true, agents: false, workflows: false })
  })
  afterEach(() => closeClean(app))

  it('serves every POST on its own, without a session id', async () => {
    const { client, transport } = await connect(app.url, ALICE)
    expect(transport.sessionId).toBeUndefined()
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['broken', 'count', 'wait', 'whoami'])
    expect((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent).toMatchObject({ user: 'alice' })
    await client.close()
    const get = await fetch(app.url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${ALICE}` } })
    expect(get.status).toBe(405)
  })

  it('answers in one JSON body unless the call asked for progress, then over SSE', async () => {
    const res = await fetch(app.url, { method: 'POST', headers: { ...MCP_HEADERS, authorization: `Bearer ${ALICE}` }, body: JSON.stringify(INITIALIZE) })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect((await res.json()).result.serverInfo).toMatchObject({ name: 'agentmount' })
    const { client } = await connect(app.url, ALICE)
    const seen: number[] = []
    const result = await client.callTool({ name: 'count', arguments: { n: 2 } }, undefined, { onprogress: ({ progress }) => void seen.push(progress) })
    expect(textOf(result)).toBe('counted to 2')
    expect(seen).toEqual([1, 2])
    await client.close()
  })
})
