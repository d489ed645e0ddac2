import { expect, it } from 'vitest'
import { HttpError } from '../../src/core/errors.js'
import type { LeaseRequest, WorkflowRunRecord, WorkflowRunStatus, WorkflowRunStore } from '../../src/storage/workflow-runs.js'
import { eventually } from '../harness/http.js'

const A: LeaseRequest = { instanceId: 'instance-a', leaseMs: 60_000 }
const B: LeaseRequest = { instanceId: 'instance-b', leaseMs: 60_000 }
/** A lease that is over almost at once. */
const BRIEF: LeaseRequest = { instanceId: 'instance-a', leaseMs: 1 }

export function record(runId: string, overrides: Partial<WorkflowRunRecord> = {}): WorkflowRunRecord {
  const at = new Date(overrides.createdAt ?? 1_700_000_000_000)
  return {
    workflowId: 'wf',
    runId,
    resourceId: null,
    status: 'pending',
    snapshot: { input: { n: 1 }, position: 0, steps: {} },
    createdAt: at,
    updatedAt: at,
    ...overrides,
  }
}

/** What every workflow-run store must do; `makeStore` gives an empty one per test. */
export function workflowRunsContract(makeStore: () => WorkflowRunStore | Promise<WorkflowRunStore>): void {
  it('stores and reads a run back', async () => {
    const runs = await makeStore()
    const original = record('r1', { resourceId: 'u1', snapshot: { input: { n: 1 }, position: 1, carry: { n: 2 }, steps: { a: { status: 'success', output: { n: 2 }, startedAt: 1, endedAt: 2 } } } })
    await runs.create(original)
    expect(await runs.get('wf', 'r1')).toEqual(original)
    expect(await runs.get('wf', 'nope')).toBeNull()
    expect(await runs.get('other', 'r1')).toBeNull()
  })

  it('refuses a second run with the same id with a 409', async () => {
    const runs = await makeStore()
    await runs.create(record('r1'))
    const error = await runs.create(record('r1')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).status).toBe(409)
    await runs.create(record('r1', { workflowId: 'another' }))
  })

  it('compares and sets the status, storing the snapshot only on success', async () => {
    const runs = await makeStore()
    await runs.create(record('r1', { status: 'suspended' }))
    const next = { input: { n: 1 }, position: 1, steps: {} }
    expect(await runs.compareAndSetStatus('wf', 'r1', 'running', 'success', next)).toBe(false)
    expect((await runs.get('wf', 'r1'))?.snapshot.position).toBe(0)
    expect(await runs.compareAndSetStatus('wf', 'r1', 'suspended', 'running', next)).toBe(true)
    const stored = await runs.get('wf', 'r1')
    expect(stored?.status).toBe('running')
    expect(stored?.snapshot.position).toBe(1)
    expect(await runs.compareAndSetStatus('wf', 'r1', 'running', 'canceled')).toBe(true)
    expect((await runs.get('wf', 'r1'))?.snapshot.position).toBe(1)
    expect(await runs.compareAndSetStatus('wf', 'missing', 'running', 'canceled')).toBe(false)
  })

  it('compares the owner in the same step as the status when one is given', async () => {
    const runs = await makeStore()
    await runs.create(record('r1', { status: 'pending', resourceId: 'alice' }))
    await runs.create(record('r2', { status: 'pending' }))
    expect(await runs.compareAndSetStatus('wf', 'r1', 'pending', 'running', undefined, 'bob')).toBe(false)
    expect(await runs.compareAndSetStatus('wf', 'r2', 'pending', 'running', undefined, 'bob')).toBe(false)
    expect((await runs.get('wf', 'r1'))?.status).toBe('pending')
    expect(await runs.compareAndSetStatus('wf', 'r1', 'pending', 'running', undefined, 'alice')).toBe(true)
    expect(await runs.compareAndSetStatus('wf', 'r2', 'pending', 'running')).toBe(true)
  })

  it('lets exactly one of two concurrent compare-and-sets win', async () => {
    const runs = await makeStore()
    await runs.create(record('r1', { status: 'suspended' }))
    const wins = await Promise.all([
      runs.compareAndSetStatus('wf', 'r1', 'suspended', 'running'),
      runs.compareAndSetStatus('wf', 'r1', 'suspended', 'running'),
    ])
    expect(wins.filter(Boolean)).toHaveLength(1)
  })

  it('lists newest first with filters, pages and a total', async () => {
    const runs = await makeStore()
    const statuses: WorkflowRunStatus[] = ['success', 'failed', 'success', 'suspended', 'success']
    for (const [i, status] of statuses.entries()) {
      await runs.create(record(`r${i}`, { status, resourceId: i % 2 === 0 ? 'even' : 'odd', createdAt: new Date(1000 + i) }))
    }
    await runs.create(record('x', { workflowId: 'other' }))
    const all = await runs.list({ workflowId: 'wf', page: 0, perPage: 2 })
    expect(all.total).toBe(5)
    expect(all.runs.map((r) => r.runId)).toEqual(['r4', 'r3'])
    expect((await runs.list({ workflowId: 'wf', page: 2, perPage: 2 })).runs.map((r) => r.runId)).toEqual(['r0'])
    const evenSuccess = await runs.list({ workflowId: 'wf', resourceId: 'even', status: 'success', page: 0, perPage: 10 })
    expect(evenSuccess).toMatchObject({ total: 3 })
    expect(evenSuccess.runs.map((r) => r.runId)).toEqual(['r4', 'r2', 'r0'])
    expect((await runs.list({ workflowId: 'wf', resourceId: 'odd', page: 0, perPage: 10 })).total).toBe(2)
  })

  it('lists runs by status, oldest first, optionally for one workflow', async () => {
    const runs = await makeStore()
    await runs.create(record('b', { status: 'running', createdAt: new Date(2000) }))
    await runs.create(record('a', { status: 'running', createdAt: new Date(1000) }))
    await runs.create(record('c', { status: 'success' }))
    await runs.create(record('d', { status: 'running', workflowId: 'other' }))
    expect((await runs.listByStatus('running', 'wf')).map((r) => r.runId)).toEqual(['a', 'b'])
    expect((await runs.listByStatus('running')).map((r) => r.runId).sort()).toEqual(['a', 'b', 'd'])
  })

  it('updates a run unconditionally and refuses an unknown one', async () => {
    const runs = await makeStore()
    const original = record('r1')
    await runs.create(original)
    await runs.update({ ...original, status: 'failed', resourceId: 'u2', snapshot: { ...original.snapshot, error: 'boom' } })
    expect(await runs.get('wf', 'r1')).toMatchObject({ status: 'failed', resourceId: 'u2', snapshot: { error: 'boom' } })
    expect(((await runs.update(record('ghost')).catch((e: unknown) => e)) as HttpError).status).toBe(404)
  })

  it('keeps what it stored apart from later changes to the caller’s snapshot', async () => {
    const runs = await makeStore()
    const original = record('r1', { status: 'running' })
    await runs.create(original)
    original.snapshot.steps.late = { status: 'running', startedAt: 1 }
    expect((await runs.get('wf', 'r1'))?.snapshot.steps).toEqual({})
    await runs.compareAndSetStatus('wf', 'r1', 'running', 'running', original.snapshot)
    original.snapshot.steps.later = { status: 'running', startedAt: 2 }
    expect(Object.keys((await runs.get('wf', 'r1'))!.snapshot.steps)).toEqual(['late'])
  })

  it('counts runs per workflow and status, all of them or one resource’s', async () => {
    const runs = await makeStore()
    await runs.create(record('a1', { resourceId: 'alice', status: 'running' }))
    await runs.create(record('a2', { resourceId: 'alice', status: 'suspended' }))
    await runs.create(record('a3', { resourceId: 'alice', status: 'suspended' }))
    await runs.create(record('a4', { resourceId: 'alice', status: 'success', workflowId: 'other' }))
    await runs.create(record('b1', { resourceId: 'bob', status: 'suspended' }))
    await runs.create(record('n1', { status: 'failed' }))
    const sorted = (counts: Array<{ workflowId: string; status: string; count: number }>) =>
      counts.map((c) => `${c.workflowId}/${c.status}=${c.count}`).sort()
    expect(sorted(await runs.countRuns('alice'))).toEqual(['other/success=1', 'wf/running=1', 'wf/suspended=2'])
    expect(sorted(await runs.countRuns())).toEqual(['other/success=1', 'wf/failed=1', 'wf/running=1', 'wf/suspended=3'])
    expect(await runs.countRuns('nobody')).toEqual([])
  })

  it('deletes a run that is not running, only the owner’s when an owner is named', async () => {
    const runs = await makeStore()
    await runs.create(record('done', { resourceId: 'alice', status: 'success' }))
    await runs.create(record('busy', { resourceId: 'alice', status: 'running' }))
    await runs.create(record('bobs', { resourceId: 'bob', status: 'suspended' }))
    expect(await runs.deleteRun('wf', 'busy', 'alice')).toBe('running')
    expect(await runs.get('wf', 'busy')).not.toBeNull()
    expect(await runs.deleteRun('wf', 'bobs', 'alice')).toBe('missing')
    expect(await runs.deleteRun('wf', 'busy', 'bob')).toBe('missing')
    expect(await runs.get('wf', 'bobs')).not.toBeNull()
    expect(await runs.deleteRun('other', 'done', 'alice')).toBe('missing')
    expect(await runs.deleteRun('wf', 'done', 'alice')).toBe('deleted')
    expect(await runs.get('wf', 'done')).toBeNull()
    expect(await runs.deleteRun('wf', 'done', 'alice')).toBe('missing')
    expect(await runs.deleteRun('wf', 'bobs')).toBe('deleted')
  })

  it('deletes a run once when two deletes race', async () => {
    const runs = await makeStore()
    await runs.create(record('r1', { status: 'canceled' }))
    const outcomes = await Promise.all([runs.deleteRun('wf', 'r1'), runs.deleteRun('wf', 'r1')])
    expect(outcomes.sort()).toEqual(['deleted', 'missing'])
  })

  leaseContract(makeStore)
}

/** Run ownership: leases, fencing tokens, renewal and the sweep for expired leases. */
function leaseContract(makeStore: () => WorkflowRunStore | Promise<WorkflowRunStore>): void {
  it('claims a run under a lease, with a fencing token that grows with every claim', async () => {
    const runs = await makeStore()
    await runs.create(record('r1', { status: 'pending', resourceId: 'alice' }))
    expect(await runs.claim('wf', 'r1', 'pending', A, { owner: 'bob' })).toBeNull()
    const first = await runs.claim('wf', 'r1', 'pending', A, { owner: 'alice', snapshot: { input: 2, position: 0, steps: {} } })
    expect(first).toEqual(expect.any(Number))
    expect(await runs.get('wf', 'r1')).toMatchObject({ status: 'running', snapshot: { input: 2 } })
    expect(await runs.claim('wf', 'r1', 'pending', B)).toBeNull()
    // Live: no other instance may take it.
    expect(await runs.claim('wf', 'r1', 'running', B)).toBeNull()
    expect(await runs.release('wf', 'r1', first!)).toBe(true)
    const second = await runs.claim('wf', 'r1', 'running', B)
    expect(second).toBeGreaterThan(first!)
    await runs.create(record('r2', { status: 'running' }), A)
    expect(await runs.checkpoint('wf', 'r2', 1, record('r2').snapshot, A.leaseMs)).toBe(true)
  })

  it('refuses every write of a fencing token another claim replaced', async () => {
    const runs = await makeStore()
    await runs.create(record('r1', { status: 'running' }), A)
    const step = (position: number) => ({ input: { n: 1 }, position, steps: {} })
    expect(await runs.checkpoint('wf', 'r1', 1, step(1), A.leaseMs)).toBe(true)
    expect(await runs.release('wf', 'r1', 1)).toBe(true)
    // Released: the old token neither writes nor renews, and the run is interrupted at once.
    expect(await runs.renew([{ workflowId: 'wf', runId: 'r1', token: 1 }], A.leaseMs)).toEqual([])
    expect(await runs.checkpoint('wf', 'r1', 1, step(5), A.leaseMs)).toBe(false)
    expect((await runs.listExpired('wf')).map((r) => r.runId)).toEqual(['r1'])
    const taken = (await runs.claim('wf', 'r1', 'running', B))!
    expect(await runs.checkpoint('wf', 'r1', 1, step(9), A.leaseMs)).toBe(false)
    expect(await runs.finish('wf', 'r1', 1, 'success', step(9))).toBe(false)
    expect(await runs.release('wf', 'r1', 1)).toBe(false)
    expect(await runs.renew([{ workflowId: 'wf', runId: 'r1', token: 1 }], A.leaseMs)).toEqual([])
    expect(await runs.get('wf', 'r1')).toMatchObject({ status: 'running', snapshot: { position: 1 } })
    expect(await runs.checkpoint('wf', 'r1', taken, step(2), B.leaseMs)).toBe(true)
    expect(await runs.finish('wf', 'r1', taken, 'success', step(3))).toBe(true)
    expect(await runs.get('wf', 'r1')).toMatchObject({ status: 'success', snapshot: { position: 3 } })
    // Finished: the token holds nothing any more.
    expect(await runs.checkpoint('wf', 'r1', taken, step(4), B.leaseMs)).toBe(false)
    expect(await runs.claim('wf', 'r1', 'running', B)).toBeNull()
  })

  it('judges each of the writes asked for at once on its own: a replaced token writes nothing, even beside held ones', async () => {
    const runs = await makeStore()
    const step = (position: number) => ({ input: { n: 1 }, position, steps: {} })
    await runs.create(record('taken', { status: 'running' }), A)
    await runs.create(record('held', { status: 'running' }), A)
    await runs.create(record('dup'))
    expect(await runs.release('wf', 'taken', 1)).toBe(true)
    const takenToken = (await runs.claim('wf', 'taken', 'running', B))!
    // All in one turn: whatever a store groups, the lost lease stays lost and the duplicate id stays a 409.
    const outcomes = await Promise.allSettled([
      runs.checkpoint('wf', 'taken', 1, step(7), A.leaseMs),
      runs.finish('wf', 'taken', 1, 'success', step(8)),
      runs.checkpoint('wf', 'held', 1, step(1), A.leaseMs),
      runs.create(record('dup')),
      runs.create(record('fresh', { status: 'running' }), A),
    ])
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as HttpError).status))).toEqual([false, false, true, 409, undefined])
    expect(await runs.get('wf', 'taken')).toMatchObject({ status: 'running', snapshot: { position: 0 } })
    expect(await runs.get('wf', 'held')).toMatchObject({ status: 'running', snapshot: { position: 1 } })
    expect(await runs.get('wf', 'fresh')).toMatchObject({ status: 'running' })
    expect(await runs.finish('wf', 'fresh', 1, 'success', step(2))).toBe(true)
    expect(await runs.finish('wf', 'taken', takenToken, 'failed', step(3))).toBe(true)
    expect(await runs.get('wf', 'taken')).toMatchObject({ status: 'failed', snapshot: { position: 3 } })
  })

  it('applies writes of one run asked for at once in call order, each with the snapshot as it was when asked', async () => {
    const runs = await makeStore()
    await runs.create(record('r1', { status: 'running' }), A)
    const snapshot = { input: { n: 1 }, position: 1, steps: {} }
    const checkpointed = runs.checkpoint('wf', 'r1', 1, snapshot, A.leaseMs)
    snapshot.position = 2
    const finished = runs.finish('wf', 'r1', 1, 'success', snapshot)
    snapshot.position = 3
    // Asked for after the finish: the run is no longer running, so it is refused.
    const late = runs.checkpoint('wf', 'r1', 1, snapshot, A.leaseMs)
    expect(await Promise.all([checkpointed, finished, late])).toEqual([true, true, false])
    expect(await runs.get('wf', 'r1')).toMatchObject({ status: 'success', snapshot: { position: 2 } })
  })

  it('lets a run be taken once its lease expired, and lists it as interrupted until then', async () => {
    const runs = await makeStore()
    await runs.create(record('live', { status: 'running' }), A)
    await runs.create(record('brief', { status: 'running', createdAt: new Date(2000) }), BRIEF)
    // A running run without any lease (written before leases existed) is interrupted too.
    await runs.create(record('bare', { status: 'running', createdAt: new Date(1000) }))
    await runs.create(record('done', { status: 'success' }), A)
    const expired = (await eventually(async () => {
      const list = await runs.listExpired('wf')
      return list.length === 2 ? list : undefined
    }))!
    expect(expired.map((r) => r.runId)).toEqual(['bare', 'brief'])
    expect(await runs.claim('wf', 'live', 'running', B)).toBeNull()
    expect(await runs.claim('wf', 'brief', 'running', B)).toEqual(expect.any(Number))
    expect((await runs.listExpired('wf')).map((r) => r.runId)).toEqual(['bare'])
  })

  it('renews only the leases whose tokens still hold their runs', async () => {
    const runs = await makeStore()
    for (const id of ['kept', 'taken', 'canceled', 'finished']) await runs.create(record(id, { status: 'running' }), BRIEF)
    await runs.release('wf', 'taken', 1)
    await runs.claim('wf', 'taken', 'running', B)
    await runs.compareAndSetStatus('wf', 'canceled', 'running', 'canceled')
    await runs.finish('wf', 'finished', 1, 'success', record('finished').snapshot)
    const held = ['kept', 'taken', 'canceled', 'finished'].map((runId) => ({ workflowId: 'wf', runId, token: 1 }))
    expect(await runs.renew(held, A.leaseMs)).toEqual([{ workflowId: 'wf', runId: 'kept', token: 1 }])
    // Renewed for a minute: no longer expired, not claimable.
    expect(await runs.claim('wf', 'kept', 'running', B)).toBeNull()
    expect(await runs.renew([], A.leaseMs)).toEqual([])
  })

  it('sweeps expired leases of the given workflows, oldest first, up to a limit', async () => {
    const runs = await makeStore()
    await runs.create(record('e2', { status: 'running', createdAt: new Date(2000) }))
    await runs.create(record('e1', { status: 'running', createdAt: new Date(1000) }))
    await runs.create(record('e3', { status: 'running', createdAt: new Date(3000) }))
    await runs.create(record('live', { status: 'running' }), A)
    await runs.create(record('elsewhere', { status: 'running', workflowId: 'other' }))
    await runs.create(record('waiting', { status: 'suspended' }))
    const swept = await runs.claimExpired(['wf'], B, 2)
    expect(swept.map(({ record }) => [record.runId, record.status])).toEqual([['e1', 'running'], ['e2', 'running']])
    expect(await runs.checkpoint('wf', 'e1', swept[0].token, record('e1').snapshot, B.leaseMs)).toBe(true)
    expect((await runs.claimExpired(['wf', 'third'], B, 10)).map(({ record }) => record.runId)).toEqual(['e3'])
    expect(await runs.claimExpired(['wf'], A, 10)).toEqual([])
    expect(await runs.claimExpired([], A, 10)).toEqual([])
    expect((await runs.claimExpired(['other'], A, 10)).map(({ record }) => record.runId)).toEqual(['elsewhere'])
  })

  it('gives each expired run to exactly one of several instances sweeping at once', async () => {
    const runs = await makeStore()
    const ids = Array.from({ length: 12 }, (_, i) => `r${i}`)
    for (const [i, id] of ids.entries()) await runs.create(record(id, { status: 'running', createdAt: new Date(1000 + i) }))
    const sweeps = await Promise.all(
      ['x', 'y', 'z'].map((instanceId) => runs.claimExpired(['wf'], { instanceId, leaseMs: 60_000 }, 5)),
    )
    const taken = sweeps.flat().map(({ record }) => record.runId)
    expect(new Set(taken).size).toBe(taken.length)
    // Three sweeps of five cover all twelve, whoever took which.
    expect(taken.sort()).toEqual([...ids].sort())
  })
}
