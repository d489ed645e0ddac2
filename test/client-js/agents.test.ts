import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ALICE, BOB, failure, startClientApp, type ClientApp } from './fixture.js'

// `@mastra/client-js` itself, unchanged, against a mount: the agent, agent tool and tool families.
describe.each(hosts)('@mastra/client-js agents and tools on $name', (factory) => {
  let app: ClientApp

  beforeAll(async () => {
    app = await startClientApp(factory)
  })
  afterAll(async () => {
    await app.close()
    expect(app.unexpected).toEqual([])
  })

  describe('MastraClient', () => {
    it('listAgents() lists every agent with its tools and model', async () => {
      const agents = await app.client(ALICE).listAgents()
      expect(Object.keys(agents)).toEqual(['support', 'concierge'])
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
      await response.processDataStream({ onChunk: async (chunk) => void chunks.push(chunk) })
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

  describe('tools', () => {
    it('listTools() lists the runtime’s tools and the agents’ static tools', async () => {
      const tools = await app.client(ALICE).listTools()
      expect(Object.keys(tools).sort()).toEqual(['clock', 'weather'])
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
