import { existsSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consumerApp, ourTypeErrors, root } from './consumer-app.js'

// What an app following the README writes, once as ESM and once as CommonJS.
const program = `
import { Agent, createRuntime, createTool, Memory, SqliteStore, type RequestContext } from 'agentmount'
import { mount as mountExpress } from 'agentmount/express'
import { mount as mountFastify } from 'agentmount/fastify'
import { mount as mountKoa } from 'agentmount/koa'
import { createHandler } from 'agentmount/node'
import { OfflineEchoModel } from 'agentmount/testing'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { z } from 'zod'

// The context augmentation the README documents, read by a tool below.
declare module 'agentmount' {
  interface RequestContext {
    user?: { id: string; plan: 'free' | 'pro' }
  }
}

const local = createOpenAICompatible({ name: 'local', baseURL: 'http://127.0.0.1:11434/v1' })
const weather = createTool({
  id: 'weather',
  description: 'Weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }, { context }: { context: RequestContext }) => ({ city, tenant: context.tenant, plan: context.user?.plan satisfies 'free' | 'pro' | undefined }),
})
const support = new Agent({ id: 'support', instructions: 'Help.', model: local('llama3.2'), tools: { weather }, memory: new Memory() })
export const runtime = createRuntime({ agents: { support }, store: new SqliteStore(':memory:') })
export const demoModel = new OfflineEchoModel({ wordDelayMs: 30 })
export const mounts = [mountExpress(runtime), mountFastify(runtime), mountKoa(runtime, { prefix: '/api' }), createHandler(runtime, { prefix: '/api' })]
`

describe('the published types, in an app with skipLibCheck: false', () => {
  const apps: string[] = []

  beforeAll(() => {
    if (!existsSync(resolve(root, 'dist/index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` first')
  })
  afterAll(() => {
    for (const app of apps) rmSync(app, { recursive: true, force: true })
  })

  it.each(['ai@6', 'ai@7'] as const)('compile for ESM and CommonJS consumers with %s and no SQLite typings', (sdk) => {
    const app = consumerApp(sdk, { 'app.mts': program, 'app.cts': program })
    apps.push(app)
    expect(ourTypeErrors(app)).toEqual([])
  }, 300_000)
})
