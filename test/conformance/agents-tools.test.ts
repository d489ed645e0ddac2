import { MockLanguageModelV3 } from 'ai/test'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agents/agent.js'
import type { AnyTool } from '../../src/agents/tool.js'
import { createRuntime } from '../../src/runtime.js'
import { hosts, PREFIX, type TestHost } from '../harness/hosts.js'
import { call } from '../harness/http.js'
import { agentMountOptions, ALICE, BOB, clock, scriptedModel, weather } from './agents-fixture.js'

const weatherSchema = expect.objectContaining({ type: 'object', properties: { city: expect.objectContaining({ type: 'string' }) }, required: ['city'] })

describe.each(hosts)('agent-scoped tools and model providers on $name', (factory) => {
  let host: TestHost
  let unexpected: unknown[]
  const get = (path: string, token?: string) => call(`${host.url}${PREFIX}${path}`, { token })
  const post = (path: string, json: unknown, token?: string) => call(`${host.url}${PREFIX}${path}`, { method: 'POST', json, token })

  beforeEach(async () => {
    const runtime = createRuntime({
      tools: { clock },
      agents: {
        support: new Agent({ id: 'support', instructions: 'Help.', model: scriptedModel(), tools: { weather } }),
        // acme's users get the weather too; everyone else only the clock.
        concierge: new Agent({
          id: 'concierge', instructions: 'Help.', model: scriptedModel(),
          tools: ({ context }): Record<string, AnyTool> => (context.tenant === 'acme' ? { forecast: weather, clock } : { clock }),
        }),
        writer: new Agent({ id: 'writer', instructions: 'Write.', model: new MockLanguageModelV3({ provider: 'openai.chat', modelId: 'gpt-test' }) }),
        editor: new Agent({ id: 'editor', instructions: 'Edit.', model: new MockLanguageModelV3({ provider: 'openai.responses', modelId: 'gpt-edit' }) }),
        picker: new Agent({ id: 'picker', instructions: 'Pick.', model: () => scriptedModel() }),
      },
    })
    unexpected = []
    host = await factory.create({ runtime, mount: agentMountOptions(unexpected) })
  })
  afterEach(async () => {
    await host.close()
    expect(unexpected).toEqual([])
  })

  describe('GET /agents/providers', () => {
    it('lists each provider the agents use with its model ids, in Mastra’s shape', async () => {
      const res = await get('/agents/providers', ALICE)
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        providers: [
          {
            id: 'mock-provider', name: 'mock-provider', label: 'mock-provider', description: 'Used by support, concierge',
            envVar: [], connected: true, models: ['mock-model-id'],
          },
          {
            id: 'openai', name: 'openai', label: 'openai', description: 'Used by writer, editor',
            envVar: [], connected: true, models: ['gpt-test', 'gpt-edit'],
          },
        ],
      })
    })

    it('is not read as the agent “providers”, and needs a signed-in caller', async () => {
      expect((await get('/agents/providers', ALICE)).text).not.toContain('not found')
      expect((await get('/agents/providers')).status).toBe(401)
    })
  })

  describe('GET /agents/:agentId/tools/:toolId', () => {
    it('describes one of an agent’s static tools', async () => {
      const res = await get('/agents/support/tools/weather', BOB)
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ id: 'weather', description: 'Current weather for a city', inputSchema: weatherSchema })
    })

    it('describes a tool from the set the agent picks for this caller, by name or by tool id', async () => {
      expect((await get('/agents/concierge/tools/forecast', ALICE)).body).toMatchObject({ id: 'weather' })
      expect((await get('/agents/concierge/tools/weather', ALICE)).body).toMatchObject({ id: 'weather' })
      const denied = await get('/agents/concierge/tools/forecast', BOB)
      expect(denied.status).toBe(404)
      expect(denied.body).toEqual({ error: 'Tool with id forecast not found for agent concierge', code: 'NOT_FOUND' })
      expect((await get('/agents/concierge/tools/clock', BOB)).body).toMatchObject({ id: 'clock' })
    })

    it('answers 404 for an unknown agent or a tool the agent does not have', async () => {
      const agent = await get('/agents/nope/tools/weather', ALICE)
      expect(agent.status).toBe(404)
      expect(agent.body).toEqual({ error: 'Agent with id nope not found', code: 'NOT_FOUND' })
      expect((await get('/agents/support/tools/clock', ALICE)).status).toBe(404)
    })
  })

  describe('POST /agents/:agentId/tools/:toolId/execute', () => {
    it('runs the tool with the caller’s request context and returns its result', async () => {
      const res = await post('/agents/concierge/tools/forecast/execute', { data: { city: 'Oslo' } }, ALICE)
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ city: 'Oslo', temp: 21, tenant: 'acme' })
      const clockRes = await post('/agents/concierge/tools/clock/execute', { data: { zone: 'CET' } }, BOB)
      expect(clockRes.body).toEqual({ zone: 'CET', time: '12:00' })
    })

    it('refuses a tool the agent does not give this caller', async () => {
      const res = await post('/agents/concierge/tools/forecast/execute', { data: { city: 'Oslo' } }, BOB)
      expect(res.status).toBe(404)
      expect(res.body.code).toBe('NOT_FOUND')
    })

    it('answers 400 with the field for input the tool’s schema refuses, and 401 without a caller', async () => {
      const res = await post('/agents/support/tools/weather/execute', { data: { city: '' } }, ALICE)
      expect(res.status).toBe(400)
      expect(res.body.code).toBe('VALIDATION_ERROR')
      expect(res.body.issues.map((issue: { field: string }) => issue.field)).toContain('data.city')
      expect((await post('/agents/support/tools/weather/execute', { data: { city: 'Oslo' } })).status).toBe(401)
    })
  })
})
