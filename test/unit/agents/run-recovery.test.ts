import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MockLanguageModelV3 } from 'ai/test'
import { afterEach, describe, expect, it } from 'vitest'
import { Agent } from '../../../src/agents/agent.js'
import { AgentRunLedger, INSTANCE_STOPPED } from '../../../src/agents/runs/ledger.js'
import { createRuntime, type Runtime, type RunsOptions } from '../../../src/runtime.js'
import type { AgentRunRecord } from '../../../src/storage/agent-runs.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { eventually } from '../../harness/http.js'
import { callRoute, closeServers, send } from '../../harness/node-client.js'
import { hangingModel } from './fixtures.js'

const pricing = { 'mock-model-id': { inputPerMillion: 1, outputPerMillion: 2 } }

describe('agent runs whose instance stops', () => {
  const dirs: string[] = []
  const runtimes: Runtime[] = []
  const aborts: AbortController[] = []
  afterEach(async () => {
    for (const abort of aborts.splice(0)) abort.abort()
    // The runs those requests started end and store their outcome before the stores close.
    await sleep(200)
    await closeServers()
    for (const runtime of runtimes.splice(0)) await runtime.close()
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  /** Two runtimes ("instances") on one SQLite file, each with the agent `slow` and its own finish hook. */
  function twoInstances(runs: { a: RunsOptions; b: RunsOptions }) {
    const dir = mkdtempSync(join(tmpdir(), 'agent-recovery-'))
    dirs.push(dir)
    const path = join(dir, 'data.db')
    const gated = hangingModel('more')
    const instance = (model: MockLanguageModelV3, options: RunsOptions) => {
      const finished: AgentRunRecord[] = []
      const errors: unknown[] = []
      const runtime = createRuntime({
        agents: { slow: new Agent({ id: 'slow', instructions: 'x', model }) },
        store: new SqliteStore({ path }),
        runs: options,
        observability: { pricing, onRunFinish: (run) => void (run.kind === 'workflow' ? undefined : finished.push(run)) },
        onError: (error) => void errors.push(error),
      })
      runtimes.push(runtime)
      return { runtime, finished, errors }
    }
    return { a: instance(gated.model, runs.a), b: instance(hangingModel('more').model, runs.b), gated }
  }

  /** Starts a stream on `runtime` and resolves with its run once it is stored. */
  async function startRun(runtime: Runtime): Promise<{ runId: string; response: Promise<Response> }> {
    const abort = new AbortController()
    aborts.push(abort)
    const response = send(runtime, 'POST', '/agents/:agentId/stream', { params: { agentId: 'slow' }, body: { messages: 'hi' }, signal: abort.signal })
    const run = await eventually(async () => (await runtime.store.agentRuns.list({ agentId: 'slow', page: 0, perPage: 1 })).runs[0])
    return { runId: run.runId, response }
  }

  it("renews a live run's lease, so another instance's sweeps leave it running however long it generates", async () => {
    // Renewed every third of a lease: a pause of up to two thirds (a busy machine) still keeps it.
    const { a, b, gated } = twoInstances({ a: { leaseMs: 450, sweepMs: 0 }, b: { leaseMs: 450, sweepMs: 0 } })
    const { runId } = await startRun(a.runtime)
    const leased = await b.runtime.store.agentRuns.get(runId)
    expect(leased).toMatchObject({ status: 'running' })
    // Three leases long, the other instance keeps sweeping: nothing to close.
    const started = Date.now()
    while (Date.now() - started < 1350) {
      expect(await b.runtime.services.agentRuns.sweep()).toBe(0)
      await sleep(20)
    }
    expect(await b.runtime.store.agentRuns.get(runId)).toMatchObject({ status: 'running', version: 0 })
    // Still its own: the next word is stored, then it is canceled here as usual.
    gated.seen.release()
    await eventually(async () => ((await b.runtime.store.agentRuns.events(runId, 0)).some((e) => JSON.stringify(e.data).includes('more')) ? true : undefined))
    await callRoute(a.runtime, 'POST', '/agents/:agentId/runs/:runId/cancel', { params: { agentId: 'slow', runId } })
    await eventually(() => a.finished.length === 1 || undefined)
    expect(a.finished[0]).toMatchObject({ runId, status: 'canceled' })
    expect(b.finished).toEqual([])
    expect([...a.errors, ...b.errors]).toEqual([])
  })

  it('closes a run whose instance stopped renewing as failed, announced once by the instance that swept it; the run stops at its next write', async () => {
    // `b` sweeps on its own every 40 ms.
    const { a, b, gated } = twoInstances({ a: { leaseMs: 60, sweepMs: 0 }, b: { leaseMs: 60, sweepMs: 40 } })
    const { runId, response } = await startRun(a.runtime)
    // `a` stops renewing, as an instance whose event loop stalled past its lease; its generation goes on.
    a.runtime.services.agentRuns.close()
    await eventually(() => b.finished.length === 1 || undefined)
    const closed = b.finished[0]
    expect(closed).toMatchObject({
      runId,
      status: 'failed',
      error: INSTANCE_STOPPED,
      version: 1,
      cost: { amount: 0, currency: 'USD', source: 'mock-model-id' },
    })
    expect(closed.finishedAt).toBeInstanceOf(Date)
    expect(closed.error!.message).toMatch(/model calls are not replayed/)
    expect(await callRoute(b.runtime, 'GET', '/agents/:agentId/runs/:runId', { params: { agentId: 'slow', runId } })).toMatchObject({
      runId,
      status: 'failed',
      error: INSTANCE_STOPPED,
    })
    // Its next word is refused by the store: the generation here is aborted, and nothing it stores changes the outcome.
    gated.seen.release()
    await eventually(() => gated.seen.signal?.aborted || undefined)
    await (await response).text().catch(() => '')
    await sleep(150)
    expect(await b.runtime.store.agentRuns.get(runId)).toMatchObject({ status: 'failed', error: INSTANCE_STOPPED, version: 1 })
    expect(b.finished).toHaveLength(1)
    expect(a.finished).toEqual([])
    expect(await b.runtime.services.agentRuns.sweep()).toBe(0)
    expect([...a.errors, ...b.errors]).toEqual([])
  })

  it('never sweeps a run waiting for an approval, nor sweeps when sweepMs is 0', async () => {
    const { a, b } = twoInstances({ a: { leaseMs: 60, sweepMs: 0 }, b: { leaseMs: 60, sweepMs: 0 } })
    const { runId } = await startRun(a.runtime)
    a.runtime.services.agentRuns.close()
    await sleep(150)
    // With sweeps off, the expired run stays as it is until someone sweeps.
    expect(await b.runtime.store.agentRuns.get(runId)).toMatchObject({ status: 'running' })
    const store = b.runtime.store.agentRuns
    const waiting = (await store.get(runId))!
    expect(await store.transition(runId, { status: 'running', version: waiting.version }, { status: 'suspended' })).toBe(true)
    expect(await b.runtime.services.agentRuns.sweep()).toBe(0)
    expect(await store.get(runId)).toMatchObject({ status: 'suspended' })
    expect(b.finished).toEqual([])
  })

  it('ends a run that stalled past its lease with the outcome the sweep stored, at its next write', async () => {
    const store = new SqliteStore({ path: ':memory:' })
    const finished: unknown[] = []
    const errors: unknown[] = []
    const ledger = new AgentRunLedger(() => store.agentRuns, {
      leaseMs: 20,
      logFlushMs: 5,
      observability: { onRunFinish: (run) => void finished.push(run) },
      onError: (error) => void errors.push(error),
    })
    try {
      const run = ledger.begin({ agentId: 'slow', kind: 'stream', threadId: null, resourceId: null, model: null }, (error) => void errors.push(error))
      run.emit({ type: 'text-delta', payload: { text: 'partial ' } })
      await eventually(async () => (await store.agentRuns.get(run.runId)) ?? undefined)
      // The process stops renewing (its event loop is blocked) and another instance's sweep closes the run.
      ledger.close()
      await sleep(40)
      expect((await store.agentRuns.closeExpired(INSTANCE_STOPPED, 10)).map((closed) => closed.runId)).toEqual([run.runId])
      // Its next chunk is refused: the run is stopped here, and ends as the store says.
      run.emit({ type: 'text-delta', payload: { text: 'more ' } })
      await eventually(() => run.signal.aborted || undefined)
      const outcome = await run.finish({ status: 'canceled', finishReason: 'abort' })
      expect(outcome).toMatchObject({ status: 'failed', error: INSTANCE_STOPPED, version: 1 })
      expect(outcome.finishedAt).toBeInstanceOf(Date)
      expect(await store.agentRuns.get(run.runId)).toMatchObject({ status: 'failed', error: INSTANCE_STOPPED, version: 1, lastSeq: 1 })
      // Announced by the instance that closed it, not here.
      expect(finished).toEqual([])
      expect(errors).toEqual([])
    } finally {
      await store.close()
    }
  })
})
