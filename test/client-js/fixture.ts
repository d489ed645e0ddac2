import { MastraClient } from '@mastra/client-js'
import { z } from 'zod'
import { Agent } from '../../src/agents/agent.js'
import { createTool, type AnyTool } from '../../src/agents/tool.js'
import type { MountOptions } from '../../src/http/dispatch.js'
import { Memory } from '../../src/memory/memory.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import { clock, scriptedModel, weather } from '../conformance/agents-fixture.js'
import { ExecutionLog, Gates, mathWorkflow, pipelineWorkflow, refundWorkflow } from '../conformance/workflows-fixture.js'
import { tempDir } from '../harness/lifecycle.js'
import { hostUser, PREFIX, type HostFactory, type TestHost, ADMIN, ALICE, BOB } from '../harness/hosts.js'
import { openTestStore } from '../harness/stores.js'

export { ALICE, BOB }
/** Signed in, and not scoped to a resource. */
export { ADMIN }

/** One app with every family the client covers, mounted on a real host with its own auth. */
export interface ClientApp {
  runtime: Runtime
  host: TestHost
  gates: Gates
  log: ExecutionLog
  /** Orders the `cashier`'s refund tool really refunded, in order. */
  refunds: string[]
  /** The store's file, for a second "process" that shares it. */
  storePath: string
  /** Errors the mount answered as 500; a passing test leaves this empty. */
  unexpected: unknown[]
  /** `@mastra/client-js` signed in with `token`, pointed at the mount (base URL + prefix). */
  client(token: string): MastraClient
  close(): Promise<void>
}

/**
 * Agents: `support` (the weather tool, memory, per-tenant instructions), `concierge` (tools
 * picked per request: acme gets weather and clock, everyone else only clock) and `cashier`
 * (memory, a refund tool that waits for approval). The runtime adds `clock`. Workflows:
 * `math`, `refund` (suspends for approval), `pipeline` (its `slow` step waits on a gate the
 * test opens).
 */
export async function startClientApp(factory: HostFactory): Promise<ClientApp> {
  const dir = tempDir()
  const store = openTestStore(dir.file)
  const gates = new Gates()
  const log = new ExecutionLog()
  const refunds: string[] = []
  const refund = createTool({
    id: 'refund', description: 'Refunds an order', inputSchema: z.object({ orderId: z.string().min(1) }), requireApproval: true,
    execute: async ({ orderId }) => (refunds.push(orderId), { refunded: orderId }),
  })
  const runtime = createRuntime({
    store,
    tools: { clock },
    agents: {
      support: new Agent({
        id: 'support', name: 'Support', description: 'Answers customers', model: scriptedModel(), tools: { weather },
        memory: new Memory({ workingMemory: { scope: 'thread', template: '# Customer' } }),
        instructions: ({ context }) => `You help the customers of ${context.tenant}.`,
      }),
      concierge: new Agent({
        id: 'concierge', name: 'Concierge', instructions: 'Be helpful.', model: scriptedModel(),
        tools: ({ context }): Record<string, AnyTool> => (context.tenant === 'acme' ? { weather, clock } : { clock }),
      }),
      cashier: new Agent({ id: 'cashier', name: 'Cashier', instructions: 'Refund orders.', model: scriptedModel(), tools: { refund }, memory: new Memory() }),
    },
    workflows: { math: mathWorkflow(log), refund: refundWorkflow(log), pipeline: pipelineWorkflow(gates, log) },
    // Interrupted runs are restarted by the client's calls, not by a sweep.
    runs: { sweepMs: 0 },
  })
  const unexpected: unknown[] = []
  const mount: MountOptions = {
    auth: { authenticate: (req) => hostUser(req.host) ?? null, resourceId: (p) => (p.role === 'admin' ? undefined : String(p.id)) },
    context: (req) => ({ tenant: hostUser(req.host)?.tenant }),
    onError: (err) => unexpected.push(err),
  }
  const host = await factory.create({ runtime, mount })
  return {
    runtime,
    host,
    gates,
    log,
    refunds,
    storePath: dir.file,
    unexpected,
    client: (token) =>
      new MastraClient({ baseUrl: host.url, apiPrefix: PREFIX, headers: { authorization: `Bearer ${token}` }, retries: 0 }),
    async close() {
      gates.openAll()
      await host.close()
      await runtime.close()
      dir.remove()
    },
  }
}

/** Every item of a client stream, in order. */
export async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const items: T[] = []
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return items
    items.push(value)
  }
}

/** What a rejected client call carried: the HTTP status and the parsed error body. */
export async function failure(promise: Promise<unknown>): Promise<{ status: number; body: any }> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!error || typeof error !== 'object' || !('status' in error)) throw new Error(`expected an HTTP error, got ${String(error)}`)
  return { status: (error as { status: number }).status, body: (error as { body?: unknown }).body }
}
