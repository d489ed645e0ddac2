import { tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { createTool, type AnyTool } from '../../../src/agents/tool.js'
import { generatingModel, promptTexts } from './fixtures.js'

const greet = createTool({
  id: 'greet',
  description: 'Greets someone',
  inputSchema: z.object({ name: z.string() }),
  execute: async ({ name }) => `hello ${name}`,
})

describe('per-request agent config', () => {
  it('evaluates instructions from the request context', async () => {
    const model = generatingModel('ok')
    const agent = new Agent({ id: 'a', instructions: ({ context }) => `Answer in ${context.locale}.`, model })
    await agent.generate({ messages: 'hi', context: { locale: 'fr' } })
    await agent.generate({ messages: 'hi', context: { locale: 'de' } })
    expect(promptTexts(model.doGenerateCalls[0])[0]).toBe('system: Answer in fr.')
    expect(promptTexts(model.doGenerateCalls[1])[0]).toBe('system: Answer in de.')
  })

  it('picks the model per request, async functions included', async () => {
    const basic = generatingModel('basic')
    const pro = generatingModel('pro')
    const agent = new Agent({
      id: 'a',
      instructions: 'x',
      model: async ({ context }) => (context.plan === 'pro' ? pro : basic),
    })
    expect((await agent.generate({ messages: 'hi', context: { plan: 'pro' } })).text).toBe('pro')
    expect((await agent.generate({ messages: 'hi', context: { plan: 'free' } })).text).toBe('basic')
  })

  it('picks tools per request and hands the context to the tool that runs', async () => {
    let seenContext: unknown
    const whoami = createTool({
      id: 'whoami',
      description: 'Names the tenant',
      inputSchema: z.object({}),
      execute: async (_input, { context }) => {
        seenContext = context
        return context.tenant
      },
    })
    const model = generatingModel('done', { toolName: 'whoami', input: {} })
    const agent = new Agent({
      id: 'a',
      instructions: 'x',
      model,
      tools: ({ context }): Record<string, AnyTool> => (context.admin ? { whoami, greet } : { whoami }),
    })
    const result = await agent.generate({ messages: 'who?', context: { tenant: 'acme', admin: true } })
    expect(model.doGenerateCalls[0].tools?.map((t) => t.name)).toEqual(['whoami', 'greet'])
    expect(seenContext).toEqual({ tenant: 'acme', admin: true })
    expect(result.toolResults[0].payload.result).toBe('acme')
  })
})

describe('Agent.describe', () => {
  it('lists tools with JSON schemas, provider and model id, without instructions', async () => {
    const sdkTool = tool({ description: 'adds', inputSchema: z.object({ a: z.number() }), execute: async ({ a }) => a })
    const agent = new Agent({
      id: 'helper',
      name: 'Helper',
      description: 'Helps',
      instructions: 'secret prompt',
      model: generatingModel('x'),
      tools: { greet, add: sdkTool },
    })
    const description = await agent.describe()
    expect(description).toEqual({
      id: 'helper',
      name: 'Helper',
      description: 'Helps',
      provider: 'mock-provider',
      modelId: 'mock-model-id',
      tools: {
        greet: { id: 'greet', description: 'Greets someone', inputSchema: expect.objectContaining({ required: ['name'] }) },
        add: { id: 'add', description: 'adds', inputSchema: expect.objectContaining({ properties: { a: { type: 'number' } } }) },
      },
    })
    expect(JSON.stringify(description)).not.toContain('secret prompt')
  })

  it('shows instructions only when the agent opts in', async () => {
    const agent = new Agent({ id: 'a', instructions: 'public prompt', model: generatingModel('x'), exposeInstructions: true })
    expect((await agent.describe()).instructions).toBe('public prompt')
  })

  it('uses placeholders for a function-valued model and tools', async () => {
    const agent = new Agent({ id: 'a', instructions: 'x', model: () => generatingModel('x'), tools: () => ({ greet }) })
    expect(await agent.describe()).toMatchObject({ provider: 'dynamic', modelId: 'dynamic', tools: {} })
    expect(agent.listTools()).toEqual({})
  })

  it('names the provider of a gateway model string', async () => {
    const agent = new Agent({ id: 'a', instructions: 'x', model: 'openai/gpt-4o-mini' })
    expect(await agent.describe()).toMatchObject({ provider: 'openai', modelId: 'gpt-4o-mini' })
  })

  it('refuses a maxSteps that is not a positive integer', () => {
    expect(() => new Agent({ id: 'a', instructions: 'x', model: generatingModel('x'), maxSteps: 0 })).toThrow(/maxSteps/)
  })
})
