import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpError } from '../../../src/core/errors.js'
import { SqliteWorkflowRuns } from '../../../src/storage/sqlite-workflow-runs.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { migrate } from '../../../src/storage/migrations.js'
import { InMemoryWorkflowRuns } from '../../harness/memory-workflow-runs.js'
import type { WorkflowRunStore } from '../../../src/storage/workflow-runs.js'
import { approvalWorkflow, mathWorkflow, runsIn } from './fixtures/workflows.js'
import { record, workflowRunsContract } from '../../contract/workflow-runs.js'

/** The table as the store's migrations leave it, on a connection of its own. */
function bareSqliteRuns(): WorkflowRunStore {
  const db = new Database(':memory:')
  migrate(db)
  return new SqliteWorkflowRuns(db)
}

const stores: Array<[string, () => WorkflowRunStore]> = [
  ['SqliteWorkflowRuns', bareSqliteRuns],
  ['InMemoryWorkflowRuns', () => new InMemoryWorkflowRuns()],
]

describe.each(stores)('%s', (_name, makeStore) => {
  workflowRunsContract(makeStore)

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
    const math = runsIn(mathWorkflow(), first.workflowRuns)
    const approve = runsIn(approvalWorkflow(), first.workflowRuns)
    const done = await (await math.createRun({ resourceId: 'u1' })).start({ inputData: { a: 1, b: 2 } })
    const waiting = await (await approve.createRun()).start({ inputData: { value: 9 } })
    await first.close()

    const second = new SqliteStore({ path })
    try {
      const executions: string[] = []
      const mathAgain = runsIn(mathWorkflow(), second.workflowRuns)
      const approveAgain = runsIn(approvalWorkflow('approve', executions), second.workflowRuns)
      expect(await mathAgain.getRun(done.runId)).toMatchObject({ status: 'success', resourceId: 'u1', snapshot: { result: { result: 6 } } })
      const resumed = await (await approveAgain.createRun({ runId: waiting.runId })).resume({ step: 'approval', resumeData: { approved: true } })
      expect(resumed).toMatchObject({ status: 'success', result: { value: 9, approved: true } })
      expect(executions).toEqual(['resumed'])
    } finally {
      await second.close()
    }
  })
})
