import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpError } from '../../../src/core/errors.js'
import { SqliteWorkflowRuns } from '../../../src/storage/sqlite-workflow-runs.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { InMemoryWorkflowRuns } from '../../../src/workflows/memory-run-store.js'
import type { WorkflowRunRecord, WorkflowRunStatus, WorkflowRunStore } from '../../../src/storage/workflow-runs.js'
import { approvalWorkflow, mathWorkflow } from './fixtures/workflows.js'

function record(runId: string, overrides: Partial<WorkflowRunRecord> = {}): WorkflowRunRecord {
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

/** The table exactly as the store's first migration creates it. */
function bareSqliteRuns(): WorkflowRunStore {
  const db = new Database(':memory:')
  db.exec(`CREATE TABLE workflow_runs (workflow_id TEXT NOT NULL, run_id TEXT NOT NULL, resource_id TEXT,
    status TEXT NOT NULL, snapshot TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, run_id))`)
  return new SqliteWorkflowRuns(db)
}

const stores: Array<[string, () => WorkflowRunStore]> = [
  ['SqliteWorkflowRuns', bareSqliteRuns],
  ['InMemoryWorkflowRuns', () => new InMemoryWorkflowRuns()],
]

describe.each(stores)('%s', (_name, makeStore) => {
  it('stores and reads a run back', async () => {
    const runs = makeStore()
    const original = record('r1', { resourceId: 'u1', snapshot: { input: { n: 1 }, position: 1, carry: { n: 2 }, steps: { a: { status: 'success', output: { n: 2 }, startedAt: 1, endedAt: 2 } } } })
    await runs.create(original)
    expect(await runs.get('wf', 'r1')).toEqual(original)
    expect(await runs.get('wf', 'nope')).toBeNull()
    expect(await runs.get('other', 'r1')).toBeNull()
  })

  it('refuses a second run with the same id with a 409', async () => {
    const runs = makeStore()
    await runs.create(record('r1'))
    const error = await runs.create(record('r1')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).status).toBe(409)
    await runs.create(record('r1', { workflowId: 'another' }))
  })

  it('compares and sets the status, storing the snapshot only on success', async () => {
    const runs = makeStore()
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
    const runs = makeStore()
    await runs.create(record('r1', { status: 'pending', resourceId: 'alice' }))
    await runs.create(record('r2', { status: 'pending' }))
    expect(await runs.compareAndSetStatus('wf', 'r1', 'pending', 'running', undefined, 'bob')).toBe(false)
    expect(await runs.compareAndSetStatus('wf', 'r2', 'pending', 'running', undefined, 'bob')).toBe(false)
    expect((await runs.get('wf', 'r1'))?.status).toBe('pending')
    expect(await runs.compareAndSetStatus('wf', 'r1', 'pending', 'running', undefined, 'alice')).toBe(true)
    expect(await runs.compareAndSetStatus('wf', 'r2', 'pending', 'running')).toBe(true)
  })

  it('lets exactly one of two concurrent compare-and-sets win', async () => {
    const runs = makeStore()
    await runs.create(record('r1', { status: 'suspended' }))
    const wins = await Promise.all([
      runs.compareAndSetStatus('wf', 'r1', 'suspended', 'running'),
      runs.compareAndSetStatus('wf', 'r1', 'suspended', 'running'),
    ])
    expect(wins.filter(Boolean)).toHaveLength(1)
  })

  it('applies writes issued together in order, failing only the duplicate', async () => {
    const runs = makeStore()
    const outcomes = await Promise.allSettled([
      runs.create(record('r1', { status: 'suspended' })),
      runs.create(record('r1')),
      runs.create(record('r2')),
      runs.compareAndSetStatus('wf', 'r1', 'suspended', 'running'),
      runs.compareAndSetStatus('wf', 'r1', 'suspended', 'running'),
    ])
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value ?? 'ok' : (o.reason as HttpError).status))).toEqual([
      'ok',
      409,
      'ok',
      true,
      false,
    ])
    expect((await runs.get('wf', 'r1'))?.status).toBe('running')
    expect(await runs.get('wf', 'r2')).not.toBeNull()
  })

  it('lists newest first with filters, pages and a total', async () => {
    const runs = makeStore()
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
    const runs = makeStore()
    await runs.create(record('b', { status: 'running', createdAt: new Date(2000) }))
    await runs.create(record('a', { status: 'running', createdAt: new Date(1000) }))
    await runs.create(record('c', { status: 'success' }))
    await runs.create(record('d', { status: 'running', workflowId: 'other' }))
    expect((await runs.listByStatus('running', 'wf')).map((r) => r.runId)).toEqual(['a', 'b'])
    expect((await runs.listByStatus('running')).map((r) => r.runId).sort()).toEqual(['a', 'b', 'd'])
  })

  it('updates a run unconditionally and refuses an unknown one', async () => {
    const runs = makeStore()
    const original = record('r1')
    await runs.create(original)
    await runs.update({ ...original, status: 'failed', resourceId: 'u2', snapshot: { ...original.snapshot, error: 'boom' } })
    expect(await runs.get('wf', 'r1')).toMatchObject({ status: 'failed', resourceId: 'u2', snapshot: { error: 'boom' } })
    expect(((await runs.update(record('ghost')).catch((e: unknown) => e)) as HttpError).status).toBe(404)
  })

  it('keeps what it stored apart from later changes to the caller’s snapshot', async () => {
    const runs = makeStore()
    const original = record('r1', { status: 'running' })
    await runs.create(original)
    original.snapshot.steps.late = { status: 'running', startedAt: 1 }
    expect((await runs.get('wf', 'r1'))?.snapshot.steps).toEqual({})
    await runs.compareAndSetStatus('wf', 'r1', 'running', 'running', original.snapshot)
    original.snapshot.steps.later = { status: 'running', startedAt: 2 }
    expect(Object.keys((await runs.get('wf', 'r1'))!.snapshot.steps)).toEqual(['late'])
  })
})

describe('claims of a run by a handle acting for a resource', () => {
  it('refuses to start, resume, cancel or restart another resource’s stored run, leaving it untouched', async () => {
    const store = new SqliteStore({ path: ':memory:' })
    try {
      const math = mathWorkflow()
      const approve = approvalWorkflow()
      math.bindStore(() => store)
      approve.bindStore(() => store)
      await (await math.createRun({ runId: 'saved', resourceId: 'alice' })).save()
      const suspended = await (await approve.createRun({ runId: 'waiting', resourceId: 'alice' })).start({ inputData: { value: 1 } })
      expect(suspended.status).toBe('suspended')
      const asBob = async <T>(claim: () => Promise<T>) => expect(claim()).rejects.toMatchObject({ status: 404 })
      await asBob(async () => (await math.createRun({ runId: 'saved', resourceId: 'bob' })).start({ inputData: { a: 1, b: 1 } }))
      await asBob(async () => (await approve.createRun({ runId: 'waiting', resourceId: 'bob' })).resume({ resumeData: { approved: true } }))
      await asBob(async () => (await approve.createRun({ runId: 'waiting', resourceId: 'bob' })).cancel())
      await asBob(async () => (await math.createRun({ runId: 'saved', resourceId: 'bob' })).restart())
      expect((await math.getRun('saved'))?.status).toBe('pending')
      expect((await approve.getRun('waiting'))?.status).toBe('suspended')
      const done = await (await math.createRun({ runId: 'saved', resourceId: 'alice' })).start({ inputData: { a: 1, b: 2 } })
      expect(done).toMatchObject({ status: 'success', result: { result: 6 } })
    } finally {
      await store.close()
    }
  })
})

describe('runs on a file database', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('survives closing and reopening the store: finished runs stay readable, suspended ones resume', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentmount-runs-'))
    const path = join(dir, 'data.db')
    const first = new SqliteStore({ path })
    const math = mathWorkflow()
    const approve = approvalWorkflow()
    math.bindStore(() => first)
    approve.bindStore(() => first)
    const done = await (await math.createRun({ resourceId: 'u1' })).start({ inputData: { a: 1, b: 2 } })
    const waiting = await (await approve.createRun()).start({ inputData: { value: 9 } })
    await first.close()

    const second = new SqliteStore({ path })
    try {
      const executions: string[] = []
      const mathAgain = mathWorkflow()
      const approveAgain = approvalWorkflow('approve', executions)
      mathAgain.bindStore(() => second)
      approveAgain.bindStore(() => second)
      expect(await mathAgain.getRun(done.runId)).toMatchObject({ status: 'success', resourceId: 'u1', snapshot: { result: { result: 6 } } })
      const resumed = await (await approveAgain.createRun({ runId: waiting.runId })).resume({ step: 'approval', resumeData: { approved: true } })
      expect(resumed).toMatchObject({ status: 'success', result: { value: 9, approved: true } })
      expect(executions).toEqual(['resumed'])
    } finally {
      await second.close()
    }
  })
})
