import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ALICE, BOB, failure, startClientApp, type ClientApp } from './fixture.js'
import { closeClean } from '../harness/lifecycle.js'

/** Every chunk a client-js stream response delivers. */
async function chunksOf(response: { processDataStream(options: { onChunk: (chunk: any) => Promise<void> }): Promise<void> }): Promise<any[]> {
  const chunks: any[] = []
  await response.processDataStream({ onChunk: async (chunk: any) => void chunks.push(chunk) })
  return chunks
}

const textOf = (chunks: any[]) => chunks.filter((chunk) => chunk.type === 'text-delta').map((chunk) => chunk.payload.text).join('')

// `@mastra/client-js` itself, unchanged, against a mount: the agent, agent tool and tool families.
describe.each(hosts)('@mastra/client-js agents and tools on $name', (factory) => {
  let app: ClientApp

  beforeAll(async () => {
    app = await startClientApp(factory)
  })
  afterAll(() => closeClean(app))

  describe('MastraClient', () => {
    it('listAgents() lists every agent with its tools and model', async () => {
      const agents = await app.client(ALICE).listAgents()
      expect(Object.keys(agents)).toEqual(['support', 'concierge', 'cashier'])
      expect(agents.support).toMatchObject({ id: 'support', name: 'Support', provider: 'mock-provider', modelId: 'mock-model-id' })
      expect(Object.keys(agents.support.tools)).toEqual(['weather'])
    })

    it('listAgentsModelProviders() names the provider and model ids the agents use', async () => {
      const { providers } = await app.client(ALICE).listAgentsModelProviders()
      expect(providers).toEqual([
        expect.objectContaining({ id: 'mock-provider', connected: true, models: ['mock-model-id'], envVar: [] }),
      ])
    })
  })

  describe('Agent', () => {
    it('details() describes one agent', async () => {
      const details = await app.client(ALICE).getAgent('support').details()
      expect(details).toMatchObject({ name: 'Support', description: 'Answers customers' })
      expect(details.tools.weather).toMatchObject({ id: 'weather', description: 'Current weather for a city' })
    })

    it('generate() answers with the model’s text and the tool results it used', async () => {
      const agent = app.client(ALICE).getAgent('support')
      const plain = await agent.generate('hello there')
      expect(plain.text).toBe('Echo: hello there')
      expect(plain.finishReason).toBe('stop')
      const withTool = await agent.generate('weather please')
      expect(withTool.text).toBe('Tool said: {"city":"Oslo","temp":21,"tenant":"acme"}')
      expect(withTool.toolResults).toEqual([
        expect.objectContaining({ type: 'tool-result', payload: expect.objectContaining({ toolName: 'weather', result: { city: 'Oslo', temp: 21, tenant: 'acme' } }) }),
      ])
    })

    it('generate() with memory keeps the turn in the thread', async () => {
      const client = app.client(ALICE)
      await client.getAgent('support').generate('remember the blue parcel', { memory: { thread: 'agent-memory', resource: 'alice' } })
      const { messages } = await client.listThreadMessages('agent-memory', { agentId: 'support' })
      expect(messages.map((m: any) => m.content.content)).toEqual(['remember the blue parcel', 'Echo: remember the blue parcel'])
    })

    it('stream() delivers Mastra chunks to processDataStream, tool call and text included', async () => {
      const response = await app.client(ALICE).getAgent('support').stream('weather please')
      const chunks: any[] = []
      await response.processDataStream({ onChunk: async (chunk: any) => void chunks.push(chunk) })
      const types = chunks.map((chunk) => chunk.type)
      expect(types[0]).toBe('start')
      expect(types).toContain('tool-call')
      expect(types.at(-1)).toBe('finish')
      const text = chunks.filter((chunk) => chunk.type === 'text-delta').map((chunk) => chunk.payload.text).join('')
      expect(text).toBe('Tool said: {"city":"Oslo","temp":21,"tenant":"acme"}')
    })

    it('getTool() describes a tool of the set the agent picks for this caller', async () => {
      const tool = await app.client(ALICE).getAgent('concierge').getTool('weather')
      expect(tool).toMatchObject({ id: 'weather', description: 'Current weather for a city' })
      expect((await failure(app.client(BOB).getAgent('concierge').getTool('weather'))).status).toBe(404)
    })

    it('executeTool() runs the agent’s tool with the caller’s context', async () => {
      const result = await app.client(ALICE).getAgent('concierge').executeTool('weather', { data: { city: 'Bergen' } })
      expect(result).toEqual({ city: 'Bergen', temp: 21, tenant: 'acme' })
      const refused = await failure(app.client(BOB).getAgent('concierge').executeTool('weather', { data: { city: 'Bergen' } }))
      expect(refused.status).toBe(404)
      expect(refused.body).toEqual({ error: 'Tool with id weather not found for agent concierge', code: 'NOT_FOUND' })
    })
  })

  describe('Agent tool approval', () => {
    /** Streams a refund request and returns the run and call the approval chunk names. */
    async function suspendedRefund(thread: string): Promise<{ runId: string; toolCallId: string; chunks: any[] }> {
      const response = await app.client(ALICE).getAgent('cashier').stream('please refund my order', { memory: { thread, resource: 'alice' } })
      const chunks = await chunksOf(response)
      const approval = chunks.at(-1)
      expect(approval).toMatchObject({ type: 'tool-call-approval', payload: { toolName: 'refund', args: { orderId: 'A-1' } } })
      return { runId: approval.runId, toolCallId: approval.payload.toolCallId, chunks }
    }

    it('stream() ends at the approval; listSuspendedRuns() lists it; approveToolCall() runs the tool and goes on', async () => {
      const { runId, toolCallId } = await suspendedRefund('cash-approve')
      expect(app.refunds).not.toContain('A-1')
      const suspended: any = await app.client(ALICE).getAgent('cashier').listSuspendedRuns()
      expect(suspended.runs.map((run: any) => run.runId)).toContain(runId)
      expect((await app.client(BOB).getAgent('cashier').listSuspendedRuns()).runs).toEqual([])
      const before = app.refunds.length
      const approved = await chunksOf(await app.client(ALICE).getAgent('cashier').approveToolCall({ runId, toolCallId }))
      expect(textOf(approved)).toBe('Tool said: {"refunded":"A-1"}')
      expect(app.refunds.slice(before)).toEqual(['A-1'])
      expect((await app.client(ALICE).getAgent('cashier').listSuspendedRuns()).runs.map((run: any) => run.runId)).not.toContain(runId)
    })

    it('declineToolCall() never runs the tool and tells the model why', async () => {
      const { runId, toolCallId } = await suspendedRefund('cash-decline')
      const before = app.refunds.length
      const declined = await chunksOf(await app.client(ALICE).getAgent('cashier').declineToolCall({ runId, toolCallId, reason: 'not eligible' }))
      expect(declined.map((chunk) => chunk.type)).toContain('finish')
      expect(textOf(declined)).toMatch(/^Tool said: /)
      expect(app.refunds.length).toBe(before)
    })

    it('resumeStream() answers the approval with resume data', async () => {
      const { runId, toolCallId } = await suspendedRefund('cash-resume')
      const before = app.refunds.length
      const resumed = await chunksOf(await app.client(ALICE).getAgent('cashier').resumeStream({ approved: true }, { runId, toolCallId }))
      expect(textOf(resumed)).toBe('Tool said: {"refunded":"A-1"}')
      expect(app.refunds.length).toBe(before + 1)
    })

    it('approveToolCallGenerate() and declineToolCallGenerate() answer a suspended generate', async () => {
      const agent = app.client(ALICE).getAgent('cashier')
      const first: any = await agent.generate('please refund my order', { memory: { thread: 'cash-gen-1', resource: 'alice' } })
      expect(first.finishReason).toBe('suspended')
      const toolCallId = first.suspendPayload?.toolCallId ?? first.toolCalls[0].payload.toolCallId
      const approved: any = await agent.approveToolCallGenerate({ runId: first.runId, toolCallId })
      expect(approved.text).toBe('Tool said: {"refunded":"A-1"}')
      const second: any = await agent.generate('please refund my order', { memory: { thread: 'cash-gen-2', resource: 'alice' } })
      const declined: any = await agent.declineToolCallGenerate({ runId: second.runId, toolCallId: second.suspendPayload?.toolCallId ?? second.toolCalls[0].payload.toolCallId })
      expect(declined.finishReason).toBe('stop')
      expect(declined.text).toMatch(/^Tool said: /)
    })

    it('observe() replays a run’s chunks from an offset', async () => {
      const { runId, chunks } = await suspendedRefund('cash-observe')
      const replay = await chunksOf(await app.client(ALICE).getAgent('cashier').observe({ runId }))
      // The stored log is the stream as it was sent, chunk for chunk, payloads included.
      expect(replay).toEqual(chunks)
      const later = await chunksOf(await app.client(ALICE).getAgent('cashier').observe({ runId, offset: 2 }))
      expect(later).toEqual(chunks.slice(2))
    })
  })

  describe('tools', () => {
    it('listTools() lists the runtime’s tools and the agents’ static tools', async () => {
      const tools = await app.client(ALICE).listTools()
      expect(Object.keys(tools).sort()).toEqual(['clock', 'refund', 'weather'])
      expect(tools.clock).toMatchObject({ id: 'clock', description: 'The time in a zone' })
    })

    it('Tool.details() and Tool.execute() describe and run one tool', async () => {
      const tool = app.client(BOB).getTool('weather')
      expect(await tool.details()).toMatchObject({ id: 'weather', inputSchema: expect.objectContaining({ required: ['city'] }) })
      expect(await tool.execute({ data: { city: 'Oslo' } })).toEqual({ city: 'Oslo', temp: 21, tenant: 'globex' })
      const refused = await failure(tool.execute({ data: { city: 7 } }))
      expect(refused.status).toBe(400)
      expect(refused.body.code).toBe('VALIDATION_ERROR')
    })
  })
})
