import { setTimeout as sleep } from 'node:timers/promises'
import { expect, it } from 'vitest'
import { HttpError } from '../../src/core/errors.js'
import type { AgentRunRecord, AgentRunStore } from '../../src/storage/agent-runs.js'

export function agentRun(runId: string, overrides: Partial<AgentRunRecord> = {}): AgentRunRecord {
  const at = new Date(overrides.createdAt ?? 1_700_000_000_000)
  return {
    runId,
    agentId: 'support',
    kind: 'stream',
    threadId: null,
    resourceId: null,
    status: 'running',
    model: { provider: 'mock', modelId: 'm1' },
    steps: [],
    usage: {},
    finishReason: null,
    error: null,
    pendingApprovals: [],
    state: null,
    cost: null,
    timeToFirstTokenMs: null,
    lastSeq: 0,
    version: 0,
    createdAt: at,
    updatedAt: at,
    finishedAt: null,
    ...overrides,
  }
}

const chunk = (n: number) => ({ type: 'text-delta', payload: { text: `t${n}`, nested: { list: [n, 'ü', null] } } })

/** What every agent-run store must do; `makeStore` gives an empty one per test. */
export function agentRunsContract(makeStore: () => AgentRunStore | Promise<AgentRunStore>): void {
  it('stores a run and reads it back, every field intact', async () => {
    const runs = await makeStore()
    const original = agentRun('r1', {
      kind: 'chat',
      threadId: 't1',
      resourceId: 'alice',
      pendingApprovals: [{ approvalId: 'a1', toolCallId: 'c1', toolName: 'refund', args: { orderId: 'A-1', amount: 9.5 } }],
      state: { messages: [{ role: 'user', content: 'hi' }] },
    })
    await runs.create(original)
    expect(await runs.get('r1')).toEqual(original)
    expect(await runs.get('nope')).toBeNull()
  })

  it('keeps the cost with the price used and the time to first token, set when the run finishes', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('priced'))
    expect(await runs.get('priced')).toMatchObject({ cost: null, timeToFirstTokenMs: null })
    const cost = { amount: 0.0125, currency: 'EUR', source: 'mock/m1', price: { inputPerMillion: 1.5, outputPerMillion: 6, currency: 'EUR' } }
    const finishedAt = new Date(1_700_000_005_000)
    expect(await runs.transition('priced', { status: 'running' }, { status: 'success', cost, timeToFirstTokenMs: 42, finishedAt })).toBe(true)
    expect(await runs.get('priced')).toMatchObject({ status: 'success', cost, timeToFirstTokenMs: 42, finishedAt })
    // A later change that sets no metrics keeps them.
    expect(await runs.transition('priced', { status: 'success' }, { status: 'success', finishReason: 'stop' })).toBe(true)
    expect(await runs.get('priced')).toMatchObject({ cost, timeToFirstTokenMs: 42, finishReason: 'stop' })
  })

  it('refuses a second run with the same id with a 409', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('r1'))
    const error = await runs.create(agentRun('r1', { agentId: 'other' })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).status).toBe(409)
  })

  it('lists newest first, filtered by agent, resource, thread, status and dates, with the total', async () => {
    const runs = await makeStore()
    for (let i = 0; i < 5; i++) {
      await runs.create(agentRun(`a${i}`, { resourceId: i % 2 === 0 ? 'alice' : 'bob', threadId: i < 2 ? 't1' : 't2', createdAt: new Date(1_700_000_000_000 + i * 1000) }))
    }
    await runs.create(agentRun('other-agent', { agentId: 'guide', resourceId: 'alice' }))
    await runs.transition('a4', { status: 'running' }, { status: 'success', finishedAt: new Date() })

    const all = await runs.list({ agentId: 'support', page: 0, perPage: 10 })
    expect(all.total).toBe(5)
    expect(all.runs.map((r) => r.runId)).toEqual(['a4', 'a3', 'a2', 'a1', 'a0'])
    const alice = await runs.list({ agentId: 'support', resourceId: 'alice', page: 0, perPage: 2 })
    expect(alice).toMatchObject({ total: 3 })
    expect(alice.runs.map((r) => r.runId)).toEqual(['a4', 'a2'])
    expect((await runs.list({ agentId: 'support', resourceId: 'alice', page: 1, perPage: 2 })).runs.map((r) => r.runId)).toEqual(['a0'])
    expect((await runs.list({ agentId: 'support', threadId: 't1', page: 0, perPage: 10 })).runs.map((r) => r.runId)).toEqual(['a1', 'a0'])
    expect((await runs.list({ agentId: 'support', status: 'success', page: 0, perPage: 10 })).runs.map((r) => r.runId)).toEqual(['a4'])
    const window = await runs.list({ agentId: 'support', from: new Date(1_700_000_001_000), to: new Date(1_700_000_003_000), page: 0, perPage: 10 })
    expect(window.runs.map((r) => r.runId)).toEqual(['a3', 'a2', 'a1'])
    expect((await runs.list({ resourceId: 'alice', page: 0, perPage: 10 })).total).toBe(4)
  })

  it('changes state only when status, owner and version match, bumping the version', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('r1', { resourceId: 'alice' }))
    const pending = [{ approvalId: 'a1', toolCallId: 'c1', toolName: 'refund', args: {} }]
    expect(await runs.transition('r1', { status: 'suspended' }, { status: 'running' })).toBe(false)
    expect(await runs.transition('r1', { status: 'running', owner: 'bob' }, { status: 'suspended' })).toBe(false)
    expect(await runs.transition('r1', { status: 'running', version: 3 }, { status: 'suspended' })).toBe(false)
    expect(await runs.transition('r1', { status: 'running', owner: 'alice', version: 0 }, { status: 'suspended', pendingApprovals: pending, state: { at: 1 } })).toBe(true)
    const suspended = await runs.get('r1')
    expect(suspended).toMatchObject({ status: 'suspended', version: 1, pendingApprovals: pending, state: { at: 1 }, model: { provider: 'mock', modelId: 'm1' } })

    // Of two racers expecting the same state, one wins.
    const race = await Promise.all([
      runs.transition('r1', { status: 'suspended', owner: 'alice' }, { status: 'running', state: null }),
      runs.transition('r1', { status: 'suspended', owner: 'alice' }, { status: 'running', state: null }),
    ])
    expect(race.filter(Boolean)).toHaveLength(1)
    expect(await runs.get('r1')).toMatchObject({ status: 'running', version: 2, state: null })

    const finishedAt = new Date(1_700_000_500_000)
    const steps = [{ finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 } }]
    await runs.transition('r1', { status: 'running' }, {
      status: 'failed', steps, usage: steps[0].usage, finishReason: 'error', error: { message: 'boom' }, finishedAt,
    })
    expect(await runs.get('r1')).toMatchObject({ status: 'failed', steps, usage: steps[0].usage, finishReason: 'error', error: { message: 'boom' }, finishedAt })
    expect(await runs.transition('missing', { status: 'running' }, { status: 'canceled' })).toBe(false)
  })

  it('appends events in order while running and replays them after a sequence number', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('r1'))
    await runs.create(agentRun('r2'))
    expect(await runs.append('r1', [1, 2, 3].map((seq) => ({ seq, data: chunk(seq) })))).toBe(true)
    expect(await runs.append('r2', [{ seq: 1, data: { other: true } }])).toBe(true)
    expect(await runs.append('r1', [4, 5].map((seq) => ({ seq, data: chunk(seq) })))).toBe(true)
    expect((await runs.get('r1'))?.lastSeq).toBe(5)
    expect(await runs.events('r1', 0)).toEqual([1, 2, 3, 4, 5].map((seq) => ({ seq, data: chunk(seq) })))
    expect((await runs.events('r1', 3)).map((e) => e.seq)).toEqual([4, 5])
    expect((await runs.events('r1', 1, 2)).map((e) => e.seq)).toEqual([2, 3])
    expect(await runs.events('r1', 5)).toEqual([])
    expect(await runs.events('r2', 0)).toEqual([{ seq: 1, data: { other: true } }])
  })

  it('inserts a run with its first events in one write, running or already finished', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('live', { lastSeq: 2 }), [1, 2].map((seq) => ({ seq, data: chunk(seq) })))
    expect(await runs.append('live', [{ seq: 3, data: chunk(3) }])).toBe(true)
    expect(await runs.events('live', 0)).toEqual([1, 2, 3].map((seq) => ({ seq, data: chunk(seq) })))
    const finishedAt = new Date(1_700_000_100_000)
    await runs.create(agentRun('whole', { status: 'success', lastSeq: 4, version: 1, finishedAt }), [1, 2, 3, 4].map((seq) => ({ seq, data: chunk(seq) })))
    expect(await runs.get('whole')).toMatchObject({ status: 'success', lastSeq: 4, version: 1, finishedAt })
    expect(await runs.append('whole', [{ seq: 5, data: chunk(5) }])).toBe(false)
    expect((await runs.events('whole', 2)).map((e) => e.seq)).toEqual([3, 4])
    // A taken id refuses the events with the run.
    await expect(runs.create(agentRun('whole'), [{ seq: 1, data: { other: true } }])).rejects.toMatchObject({ status: 409 })
    expect(await runs.events('whole', 0, 1)).toEqual([{ seq: 1, data: chunk(1) }])
  })

  it('reads a log written in several batches from any sequence number, with a limit across batches', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('r1', { lastSeq: 3 }), [1, 2, 3].map((seq) => ({ seq, data: chunk(seq) })))
    await runs.append('r1', [4].map((seq) => ({ seq, data: chunk(seq) })))
    await runs.append('r1', [5, 6, 7].map((seq) => ({ seq, data: chunk(seq) })))
    for (let after = 0; after <= 7; after++) {
      expect((await runs.events('r1', after)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7].filter((seq) => seq > after))
    }
    expect((await runs.events('r1', 2, 3)).map((e) => e.seq)).toEqual([3, 4, 5])
    expect((await runs.events('r1', 3, 1)).map((e) => e.seq)).toEqual([4])
    expect(await runs.events('r1', 6, 5)).toEqual([{ seq: 7, data: chunk(7) }])
  })

  it('appends nothing once the run stopped running', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('r1'))
    await runs.append('r1', [{ seq: 1, data: chunk(1) }])
    await runs.transition('r1', { status: 'running' }, { status: 'canceled', finishedAt: new Date() })
    expect(await runs.append('r1', [{ seq: 2, data: chunk(2) }])).toBe(false)
    expect(await runs.events('r1', 0)).toHaveLength(1)
    expect((await runs.get('r1'))?.lastSeq).toBe(1)
    expect(await runs.append('missing', [{ seq: 1, data: chunk(1) }])).toBe(false)
  })

  it('prunes finished runs and their events older than the cut-off, keeping suspended and recent ones', async () => {
    const runs = await makeStore()
    const old = new Date(1_700_000_000_000)
    const recent = new Date(1_700_000_900_000)
    for (const [runId, finishedAt] of [['old', old], ['recent', recent]] as const) {
      await runs.create(agentRun(runId))
      await runs.append(runId, [{ seq: 1, data: chunk(1) }])
      await runs.transition(runId, { status: 'running' }, { status: 'success', finishedAt })
    }
    await runs.create(agentRun('waiting', { status: 'suspended', createdAt: old }))
    expect(await runs.prune(new Date(1_700_000_500_000))).toBe(1)
    expect(await runs.get('old')).toBeNull()
    expect(await runs.events('old', 0)).toEqual([])
    expect(await runs.get('recent')).not.toBeNull()
    expect(await runs.events('recent', 0)).toHaveLength(1)
    expect(await runs.get('waiting')).not.toBeNull()
  })

  const STOPPED = { message: 'The instance running this agent run stopped; model calls are not replayed' }

  it('closes running runs whose lease expired as failed, priced, with the reason; live, suspended, finished and lease-less runs stay', async () => {
    const runs = await makeStore()
    const usage = { inputTokens: 1000, outputTokens: 500 }
    await runs.create(agentRun('dead', { usage, lastSeq: 1, timeToFirstTokenMs: 12 }), [{ seq: 1, data: chunk(1) }], 1)
    await runs.create(agentRun('live'), [], 60_000)
    await runs.create(agentRun('waiting', { status: 'suspended' }), [], 1)
    await runs.create(agentRun('done', { status: 'success', finishedAt: new Date(1_700_000_100_000) }), [], 1)
    await runs.create(agentRun('unleased'))
    await sleep(30)
    const priced: string[] = []
    const price = (record: AgentRunRecord) => {
      priced.push(record.runId)
      return { amount: (record.usage.inputTokens ?? 0) / 1000, currency: 'USD', source: 'function' }
    }
    const before = Date.now()
    const closed = await runs.closeExpired(STOPPED, 10, price)
    expect(priced).toEqual(['dead'])
    expect(closed).toHaveLength(1)
    expect(closed[0]).toMatchObject({
      runId: 'dead', status: 'failed', error: STOPPED, usage, lastSeq: 1, version: 1, timeToFirstTokenMs: 12,
      cost: { amount: 1, currency: 'USD', source: 'function' },
    })
    expect(closed[0].finishedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000)
    expect(closed[0].finishedAt!.getTime()).toBeLessThanOrEqual(Date.now() + 1000)
    expect(await runs.get('dead')).toEqual(closed[0])
    // Closed once: a second sweep finds nothing, and the run takes no more events.
    expect(await runs.closeExpired(STOPPED, 10, price)).toEqual([])
    expect(await runs.append('dead', [{ seq: 2, data: chunk(2) }])).toBe(false)
    expect(await runs.events('dead', 0)).toEqual([{ seq: 1, data: chunk(1) }])
    for (const [runId, status] of [['live', 'running'], ['waiting', 'suspended'], ['done', 'success'], ['unleased', 'running']]) {
      expect(await runs.get(runId)).toMatchObject({ status, version: 0, error: null })
    }
  })

  it('renews the leases of the running runs it is given in one write; a renewed run is not closed', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('a'), [], 40)
    await runs.create(agentRun('b'), [], 40)
    await runs.create(agentRun('c'), [], 40)
    await runs.create(agentRun('finished', { status: 'success', finishedAt: new Date() }), [], 40)
    expect(await runs.renew(['a', 'b', 'finished', 'missing'], 60_000)).toBe(2)
    expect(await runs.renew([], 60_000)).toBe(0)
    await sleep(80)
    const closed = await runs.closeExpired(STOPPED, 10)
    expect(closed.map((run) => run.runId)).toEqual(['c'])
    expect(closed[0].cost).toBeNull()
    expect(await runs.get('a')).toMatchObject({ status: 'running', version: 0 })
    expect(await runs.get('b')).toMatchObject({ status: 'running', version: 0 })
    // A lease that expired is renewed as long as no sweep closed its run yet.
    await runs.renew(['a'], 1)
    await sleep(20)
    expect(await runs.renew(['a'], 60_000)).toBe(1)
    expect(await runs.closeExpired(STOPPED, 10)).toEqual([])
  })

  it('gives a run claimed to run again a fresh lease, and closes the oldest expired runs first, up to the limit', async () => {
    const runs = await makeStore()
    await runs.create(agentRun('resumed'), [], 1)
    expect(await runs.transition('resumed', { status: 'running' }, { status: 'suspended' })).toBe(true)
    await sleep(20)
    expect(await runs.transition('resumed', { status: 'suspended' }, { status: 'running', leaseMs: 60_000 })).toBe(true)
    for (const runId of ['first', 'second', 'third']) {
      await runs.create(agentRun(runId), [], 1)
      await sleep(5)
    }
    await sleep(20)
    expect((await runs.closeExpired(STOPPED, 2)).map((run) => run.runId)).toEqual(['first', 'second'])
    expect((await runs.closeExpired(STOPPED, 2)).map((run) => run.runId)).toEqual(['third'])
    expect(await runs.get('resumed')).toMatchObject({ status: 'running', version: 2 })
  })

  it('closes each expired run exactly once when several instances sweep at once', async () => {
    const runs = await makeStore()
    const ids = Array.from({ length: 8 }, (_, i) => `r${i}`)
    for (const runId of ids) await runs.create(agentRun(runId), [], 1)
    await sleep(20)
    const sweeps = await Promise.all([runs.closeExpired(STOPPED, 50), runs.closeExpired(STOPPED, 50), runs.closeExpired(STOPPED, 50)])
    const closed = sweeps.flat().map((run) => run.runId)
    expect(closed.sort()).toEqual([...ids].sort())
    for (const runId of ids) expect(await runs.get(runId)).toMatchObject({ status: 'failed', version: 1, error: STOPPED })
  })
}
