import type { LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { MockLanguageModelV3 } from 'ai/test'
import { z } from 'zod'
import { Agent } from '../../src/agents/agent.js'
import type { MountOptions } from '../../src/http/dispatch.js'
import { Memory } from '../../src/memory/memory.js'
import { createRuntime, type Runtime, type RuntimeConfig } from '../../src/runtime.js'
import { SqliteStore } from '../../src/storage/sqlite.js'
import { createStep, createWorkflow } from '../../src/workflows/workflow.js'
import { hostUser, PREFIX, type HostFactory, type TestHost, ALICE, BOB } from '../harness/hosts.js'
import { call, type JsonResponse } from '../harness/http.js'

export { ALICE, BOB }

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } }
const stop = { unified: 'stop', raw: 'stop' } as const
const metadata = { id: 'resp-1', modelId: 'mock-model-id', timestamp: new Date(0) }

/** A model that always answers "ok", whole or streamed. */
export function okModel() {
  return new MockLanguageModelV3({
    doGenerate: async () => ({ content: [{ type: 'text', text: 'ok' }], finishReason: stop, usage, response: metadata, warnings: [] }),
    doStream: async () => {
      const parts: LanguageModelV3StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't1' },
        { type: 'text-delta', id: 't1', delta: 'ok' },
        { type: 'text-end', id: 't1' },
        { type: 'finish', finishReason: stop, usage },
      ]
      return { stream: new ReadableStream({ start: (c) => (parts.forEach((p) => c.enqueue(p)), c.close()) }) }
    },
  })
}

/** A workflow whose one step hands back the input it was given. */
export function echoWorkflow() {
  const any = z.object({ data: z.unknown() })
  return createWorkflow({ id: 'echo', inputSchema: any, outputSchema: any })
    .then(createStep({ id: 'echo', inputSchema: any, outputSchema: any, execute: async ({ inputData }) => inputData }))
    .commit()
}

export interface SafetyApp {
  runtime: Runtime
  host: TestHost
  /** What reached `onError`; a passing test leaves it empty unless it asserts otherwise. */
  unexpected: unknown[]
  url(path: string): string
  as(token?: string): {
    get(path: string): Promise<JsonResponse>
    post(path: string, json?: unknown): Promise<JsonResponse>
    send(path: string, init: RequestInit & { json?: unknown }): Promise<JsonResponse>
  }
  close(): Promise<void>
}

/**
 * A host app with a memory agent `support` (model answers "ok") and the `echo` workflow, auth
 * from the host's own middleware. `auth` replaces the mount's auth hooks; the default scopes
 * by `resourceId: (p) => p.id`.
 */
export async function startSafetyApp(
  factory: HostFactory,
  options: { parser?: boolean; auth?: MountOptions['auth']; runtime?: Partial<RuntimeConfig> } = {},
): Promise<SafetyApp> {
  const store = new SqliteStore(':memory:')
  const runtime = createRuntime({
    store,
    agents: { support: new Agent({ id: 'support', instructions: 'Help.', model: okModel(), memory: new Memory() }) },
    workflows: { echo: echoWorkflow() },
    ...options.runtime,
  })
  const unexpected: unknown[] = []
  const mount: MountOptions = {
    auth: options.auth ?? { authenticate: (req) => hostUser(req.host) ?? null, resourceId: (p) => p.id as string },
    onError: (err) => unexpected.push(err),
  }
  const host = await factory.create({ runtime, mount, parser: options.parser ?? false })
  const url = (path: string) => `${host.url}${PREFIX}${path}`
  return {
    runtime,
    host,
    unexpected,
    url,
    as: (token) => ({
      get: (path) => call(url(path), { token }),
      post: (path, json) => call(url(path), { method: 'POST', token, json }),
      send: (path, init) => call(url(path), { ...init, token }),
    }),
    async close() {
      await host.close()
      // As an app shuts down: the runtime lets the runs that just answered their callers be stored, then closes the store.
      await runtime.close()
    },
  }
}

/** `depth` nested arrays around `inner`, as JSON text: `nested(2, '1')` is `[[1]]`. */
export function nested(depth: number, inner = '1'): string {
  return '['.repeat(depth) + inner + ']'.repeat(depth)
}
