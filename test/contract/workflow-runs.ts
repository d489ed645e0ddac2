import { expect, it } from 'vitest'
import { HttpError } from '../../src/core/errors.js'
import type { WorkflowRunRecord, WorkflowRunStatus, WorkflowRunStore } from '../../src/storage/workflow-runs.js'

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
}
