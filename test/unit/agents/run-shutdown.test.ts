import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LanguageModelV3CallOptions } from '@ai-sdk/provider'
import { MockLanguageModelV3 } from 'ai/test'
import { afterEach, describe, expect, it } from 'vitest'
import { Agent } from '../../../src/agents/agent.js'
import { INSTANCE_SHUT_DOWN } from '../../../src/agents/runs/agent-run.js'
import { AgentRunLedger, INSTANCE_STOPPED } from '../../../src/agents/runs/ledger.js'
import { createRuntime, type Runtime } from '../../../src/runtime.js'
import type { AgentRunRecord, AgentRunStore } from '../../../src/storage/agent-runs.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { eventually } from '../../harness/http.js'
import { callRoute, closeServers, failure, frames, send } from '../../harness/node-client.js'
import { fakeMemory, hangingModel, refundTool, streamingModel, textParts, toolCallParts } from './fixtures.js'

/** A generate mock that answers only by failing with its abort, once its signal fires. */
function waitingModel() {
  return new MockLanguageModelV3({
    doGenerate: (options: LanguageModelV3CallOptions) =>
      new Promise((_, reject) => options.abortSignal?.addEventListener('abort', () => reject(options.abortSignal!.reason), { once: true })),
  })
}

describe('agent runs when their instance shuts down', () => {
  const dirs: string[] = []
  const runtimes: Runtime[] = []
  afterEach(async () => {
    await closeServers()
    for (const runtime of runtimes.splice(0)) await runtime.close()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  function dbPath(): string {
    const dir = mkdtempSync(join(tmpdir(), 'agent-shutdown-'))
    dirs.push(dir)
    return join(dir, 'data.db')
  }

  /** A runtime on the SQLite file `path` with the agents `slow` (remembering in a fake memory) and `refunds`. */
  function instance(path: string, refundSteps = [toolCallParts('refund', { orderId: 'A-1' }), textParts(['refunded'])]) {
    const slow = hangingModel('finish')
    const { memory, log } = fakeMemory()
    const finished: AgentRunRecord[] = []
    const errors: unknown[] = []
    const runtime = createRuntime({
      agents: {
        slow: new Agent({ id: 'slow', instructions: 'x', model: slow.model, memory }),
        waits: new Agent({ id: 'waits', instructions: 'x', model: waitingModel() }),
        refunds: new Agent({
          id: 'refunds',
          instructions: 'x',
          model: streamingModel(...refundSteps),
          tools: { refund: refundTool },
        }),
      },
      store: new SqliteStore({ path }),
      runs: { leaseMs: 30_000, sweepMs: 0 },
      observability: { onRunFinish: (run) => void (run.kind === 'workflow' ? undefined : finished.push(run)) },
      onError: (error) => void errors.push(error),
    })
    runtimes.push(runtime)
    return { runtime, slow: slow.seen, memory: log, finished, errors }
  }

  const memoryCall = { memory: { thread: 't1', resource: 'r1' } }

  /** Starts a run of `slow` on the route and resolves once it is stored. */
  async function startSlow(runtime: Runtime, route: 'stream' | 'chat'): Promise<{ runId: string; response: Promise<Response> }> {
    const body =
      route === 'stream'
        ? { messages: 'hi', ...memoryCall }
        : { id: 'chat-1', trigger: 'submit-message', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }
    const response = send(runtime, 'POST', `/agents/:agentId/${route}`, { params: { agentId: 'slow' }, body })
    const run = await eventually(async () => (await runtime.store.agentRuns.list({ agentId: 'slow', page: 0, perPage: 1 })).runs[0])
    return { runId: run.runId, response }
  }

  it('ends a stream still running after drainMs as failed, announced once; its client gets the error and memory the partial reply', async () => {
    const path = dbPath()
    const a = instance(path)
    const { runId, response } = await startSlow(a.runtime, 'stream')
    await a.runtime.close({ drainMs: 20 })
    // The model call was stopped, not left generating for nobody.
    expect(a.slow.signal?.aborted).toBe(true)
    const chunks = await frames(await response)
    expect(chunks.at(-1)).toMatchObject({ type: 'error', runId, payload: { message: INSTANCE_SHUT_DOWN.message } })
    expect(chunks.some((chunk) => chunk.type === 'text-delta' && chunk.payload.text === 'partial ')).toBe(true)
    expect(a.finished).toHaveLength(1)
    expect(a.finished[0]).toMatchObject({ runId, status: 'failed', error: INSTANCE_SHUT_DOWN, version: 1 })
    // As for a cancel: the reply as far as it got, marked aborted.
    expect(a.memory.replies).toHaveLength(1)
    expect(a.memory.replies[0].aborted).toBe(true)
    expect(a.memory.replies[0].message.parts).toContainEqual(expect.objectContaining({ type: 'text', text: 'partial ' }))
    // Stored by this instance, so another one has nothing to close.
    const b = instance(path)
    expect(await b.runtime.store.agentRuns.get(runId)).toMatchObject({ status: 'failed', error: INSTANCE_SHUT_DOWN, finishReason: 'abort' })
    expect(await b.runtime.services.agentRuns.sweep()).toBe(0)
    expect([...a.errors, ...b.errors]).toEqual([])
  })

  it('ends a chat turn still running after drainMs with its error part and [DONE]', async () => {
    const path = dbPath()
    const a = instance(path)
    const { runId, response } = await startSlow(a.runtime, 'chat')
    await a.runtime.close({ drainMs: 0 })
    const chunks = await frames(await response)
    expect(chunks.at(-1)).toBe('[DONE]')
    expect(chunks.at(-2)).toEqual({ type: 'error', errorText: INSTANCE_SHUT_DOWN.message })
    expect(a.finished.map((run) => [run.runId, run.status])).toEqual([[runId, 'failed']])
    expect(await instance(path).runtime.store.agentRuns.get(runId)).toMatchObject({ status: 'failed', error: INSTANCE_SHUT_DOWN })
  })

  it('answers a generate its shutdown stopped with 503 and the reason, the run stored failed', async () => {
    const a = instance(dbPath())
    const generated = callRoute(a.runtime, 'POST', '/agents/:agentId/generate', { params: { agentId: 'waits' }, body: { messages: 'hi' } })
    const run = await eventually(async () => (await a.runtime.store.agentRuns.list({ agentId: 'waits', page: 0, perPage: 1 })).runs[0])
    await a.runtime.close()
    expect(await failure(generated)).toMatchObject({ status: 503, code: 'UNAVAILABLE', error: INSTANCE_SHUT_DOWN.message })
    expect(a.finished).toMatchObject([{ runId: run.runId, kind: 'generate', status: 'failed', error: INSTANCE_SHUT_DOWN }])
    expect(a.errors).toEqual([])
  })

  it('lets a run that finishes within drainMs end as success, and refuses new runs with 503 meanwhile', async () => {
    const a = instance(dbPath())
    const { runId, response } = await startSlow(a.runtime, 'stream')
    const closed = a.runtime.close({ drainMs: 60_000 })
    for (const route of ['stream', 'generate']) {
      const refused = callRoute(a.runtime, 'POST', `/agents/:agentId/${route}`, { params: { agentId: 'slow' }, body: { messages: 'hi' } })
      expect(await failure(refused)).toMatchObject({ status: 503, code: 'UNAVAILABLE', error: expect.stringMatching(/shutting down/) })
    }
    const chat = { id: 'chat-2', trigger: 'submit-message', messages: [{ id: 'u2', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }
    expect(await failure(callRoute(a.runtime, 'POST', '/agents/:agentId/chat', { params: { agentId: 'slow' }, body: chat }))).toMatchObject({
      status: 503,
      code: 'UNAVAILABLE',
    })
    // The stream being served goes on to its end.
    a.slow.release()
    await closed
    const chunks = await frames(await response)
    expect(chunks.at(-1)).toMatchObject({ type: 'finish' })
    expect(a.finished.map((run) => [run.runId, run.status])).toEqual([[runId, 'success']])
    expect(a.memory.replies.map((reply) => reply.aborted)).toEqual([false])
    expect(a.errors).toEqual([])
  })

  it('leaves a run waiting for an approval suspended, refuses its approval while closing, and another instance continues it', async () => {
    const path = dbPath()
    const a = instance(path)
    const first = await frames(await send(a.runtime, 'POST', '/agents/:agentId/stream', { params: { agentId: 'refunds' }, body: { messages: 'refund A-1' } }))
    const runId = first[0].runId as string
    expect(await a.runtime.store.agentRuns.get(runId)).toMatchObject({ status: 'suspended' })
    // A run executing keeps the instance closing while the approval comes in.
    await startSlow(a.runtime, 'stream')
    const closed = a.runtime.close({ drainMs: 60_000 })
    const answer = { runId, toolCallId: 'call-1' }
    expect(await failure(callRoute(a.runtime, 'POST', '/agents/:agentId/approve-tool-call', { params: { agentId: 'refunds' }, body: answer }))).toMatchObject({
      status: 503,
      code: 'UNAVAILABLE',
    })
    a.slow.release()
    await closed
    // The other instance's model answers the continuation.
    const b = instance(path, [textParts(['refunded'])])
    expect(await b.runtime.store.agentRuns.get(runId)).toMatchObject({ status: 'suspended', pendingApprovals: [{ toolCallId: 'call-1' }] })
    const continued = await frames(await send(b.runtime, 'POST', '/agents/:agentId/approve-tool-call', { params: { agentId: 'refunds' }, body: answer }))
    expect(continued.some((chunk) => chunk.type === 'tool-result')).toBe(true)
    // The run's record is stored a moment after its stream ended: the runtime's runs answer from
    // it meanwhile, and a list waits for the write.
    const caller = { agentId: 'refunds', resourceId: undefined }
    expect(await b.runtime.services.agentRuns.get(caller, runId)).toMatchObject({ status: 'success' })
    expect((await b.runtime.services.agentRuns.list(caller, { page: 0, perPage: 10 })).runs).toEqual([expect.objectContaining({ runId, status: 'success' })])
    expect(await b.runtime.store.agentRuns.get(runId)).toMatchObject({ status: 'success' })
    expect([...a.errors, ...b.errors]).toEqual([])
  })

  it('closes twice with one shutdown', async () => {
    const a = instance(dbPath())
    await startSlow(a.runtime, 'stream')
    const once = a.runtime.close({ drainMs: 0 })
    const twice = a.runtime.close({ drainMs: 0 })
    await Promise.all([once, twice])
    expect(a.finished).toHaveLength(1)
    await a.runtime.close()
    expect(a.errors).toEqual([])
  })

  it('ends the lease of a stopped run at once when its final write fails, for the next sweep anywhere to close it', async () => {
    const store = new SqliteStore({ path: ':memory:' })
    const errors: unknown[] = []
    let refuse = false
    // The store answers reads and lease writes, but the run's final write fails.
    const runs = new Proxy(store.agentRuns, {
      get(target, name: keyof AgentRunStore) {
        if (name === 'transition' && refuse) return () => Promise.reject(new Error('store gone'))
        const value = target[name]
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const ledger = new AgentRunLedger(() => runs, { leaseMs: 30_000, logFlushMs: 5, onError: (error) => void errors.push(error) })
    try {
      const run = ledger.begin({ agentId: 'slow', kind: 'stream', threadId: null, resourceId: null, model: null }, (error) => void errors.push(error))
      run.signal.addEventListener('abort', () => void run.finish(run.stoppedOutcome()), { once: true })
      run.emit({ type: 'text-delta', payload: { text: 'partial ' } })
      await eventually(async () => (await store.agentRuns.get(run.runId)) ?? undefined)
      refuse = true
      await ledger.drain(0)
      expect(errors).toEqual([new Error('store gone')])
      expect(await store.agentRuns.get(run.runId)).toMatchObject({ status: 'running' })
      // Not a lease later: the very next sweep closes it.
      expect((await store.agentRuns.closeExpired(INSTANCE_STOPPED, 10)).map((closed) => closed.runId)).toEqual([run.runId])
    } finally {
      await store.close()
    }
  })
})
