import type { LanguageModel } from 'ai'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agents/agent.js'
import { createRuntime } from '../../src/runtime.js'
import { SqliteStore } from '../../src/storage/sqlite.js'
import { hosts, PREFIX, type TestHost } from '../harness/hosts.js'
import { call } from '../harness/http.js'
import { ALICE, agentMountOptions, userMessage } from './agents-fixture.js'

const aiPackage = (await import('ai/package.json', { with: { type: 'json' } })).default as { version: string }
const sdkMajor = Number(aiPackage.version.split('.')[0])
// AI SDK 6 runs specification v2/v3 models, AI SDK 7 also v4: one version past what is installed.
const tooNew = `v${sdkMajor - 2}`

/** A model object as a provider of a newer AI SDK major would build it. */
function newerProviderModel(): LanguageModel {
  const never = () => Promise.reject(new Error('a model the SDK rejects is never called'))
  return { specificationVersion: tooNew, provider: 'future.chat', modelId: 'future-1', supportedUrls: {}, doGenerate: never, doStream: never } as unknown as LanguageModel
}

describe.each(hosts)(`a model the installed AI SDK ${sdkMajor} cannot run, on $name`, (factory) => {
  let host: TestHost
  let store: SqliteStore
  let unexpected: unknown[]

  beforeEach(async () => {
    store = new SqliteStore(':memory:')
    const runtime = createRuntime({ store, agents: { future: new Agent({ id: 'future', instructions: 'Hi.', model: newerProviderModel() }) } })
    unexpected = []
    host = await factory.create({ runtime, mount: agentMountOptions(unexpected), parser: false })
  })
  afterEach(async () => {
    await host.close()
    await store.close()
  })

  const post = (route: string, json: unknown) => call(`${host.url}${PREFIX}/agents/future/${route}`, { method: 'POST', token: ALICE, json })

  it.each([
    ['generate', { messages: 'hi' }],
    ['stream', { messages: 'hi' }],
    ['chat', { id: 'chat-1', messages: [userMessage('u1', 'hi')], trigger: 'submit-message' }],
  ])('answers %s with a 500 naming the specification mismatch, and reports it', async (route, body) => {
    const res = await post(route, body)
    expect(res.status).toBe(500)
    expect(res.body.code).toBe('INTERNAL')
    expect(res.body.error).toContain(`future.chat/future-1 implements model specification ${tooNew}`)
    expect(res.body.error).toContain('same AI SDK major')
    expect(unexpected).toHaveLength(1)
    expect((unexpected[0] as Error).cause).toMatchObject({ name: 'AI_UnsupportedModelVersionError' })
  })
})
