import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { closeClean, tempDir } from '../harness/lifecycle.js'
import { eventually } from '../harness/http.js'
import { abandonPipelineRun, ALICE, BOB, startWorkflowApp, type WorkflowApp, type WorkflowClient } from './workflows-fixture.js'

const approve = { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } }
const zero = { pending: 0, running: 0, suspended: 0, success: 0, failed: 0, canceled: 0 }

describe.each(hosts)('workflow run lifecycle as @mastra/client-js calls it on $name', (factory) => {
  let dir: ReturnType<typeof tempDir>
  let app: WorkflowApp
  let alice: WorkflowClient
  let bob: WorkflowClient

  beforeEach(async () => {
    dir = tempDir()
    // Recovery by hand only: no sweep re-drives an interrupted run first.
    app = await startWorkflowApp(factory, { path: dir.file, runs: { sweepMs: 0 } })
    alice = app.as(ALICE)
    bob = app.as(BOB)
  })
  afterEach(async () => {
    await closeClean(app)
    dir.remove()
  })

  /** Runs a dead "process" left inside the pipeline's slow step, visible here once their leases ran out. */
  async function orphans(runs: Array<[runId: string, resourceId: string]>): Promise<void> {
    for (const [runId, resourceId] of runs) await abandonPipelineRun(dir.file, runId, resourceId)
    const pipeline = app.runtime.runs('pipeline')
    await eventually(async () => (await pipeline.listInterruptedRuns()).length === runs.length)
  }

  describe('GET /workflows/run-counts', () => {
    it('counts the caller’s runs per status for every registered workflow', async () => {
      await alice.post('/workflows/math/start-async', { inputData: { a: 1, b: 2 } })
      await alice.post('/workflows/refund/start-async', { inputData: { amount: 5 } })
      await alice.post('/workflows/refund/create-run', {})
      await bob.post('/workflows/refund/start-async', { inputData: { amount: 7 } })
      const mine = await alice.get('/workflows/run-counts')
      expect(mine.status).toBe(200)
      expect(mine.body).toEqual({
        math: { ...zero, success: 1 },
        refund: { ...zero, suspended: 1, pending: 1 },
        review: zero,
        held: zero,
        pipeline: zero,
      })
      expect((await bob.get('/workflows/run-counts')).body.refund).toEqual({ ...zero, suspended: 1 })
      expect((await app.as().get('/workflows/run-counts')).status).toBe(401)
    })
  })

  describe('DELETE /workflows/:workflowId/runs/:runId', () => {
    it('deletes a finished run, then answers 404 for it', async () => {
      await alice.post('/workflows/math/start-async?runId=old', { inputData: { a: 1, b: 2 } })
      const res = await alice.send('/workflows/math/runs/old', { method: 'DELETE' })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ message: 'Workflow run deleted' })
      expect((await alice.get('/workflows/math/runs/old')).status).toBe(404)
      const again = await alice.send('/workflows/math/runs/old', { method: 'DELETE' })
      expect(again.status).toBe(404)
      expect(again.body).toEqual({ error: 'Workflow run old not found', code: 'NOT_FOUND' })
    })

    it('answers 409 while the run runs, and deletes it once it finished', async () => {
      await alice.post('/workflows/held/start?runId=busy', { inputData: { n: 1 } })
      await app.gates.of('busy').started
      const refused = await alice.send('/workflows/held/runs/busy', { method: 'DELETE' })
      expect(refused.status).toBe(409)
      expect(refused.body).toEqual({ error: 'Workflow run busy is running; cancel it first', code: 'CONFLICT' })
      app.gates.of('busy').open()
      await alice.waitFor('held', 'busy', 'success')
      expect((await alice.send('/workflows/held/runs/busy', { method: 'DELETE' })).status).toBe(200)
    })

    it('answers 404 for another resource’s run, running or not, exactly as for a missing one', async () => {
      await alice.post('/workflows/refund/start-async?runId=kept', { inputData: { amount: 5 } })
      await alice.post('/workflows/held/start?runId=live', { inputData: { n: 1 } })
      await app.gates.of('live').started
      const missing = await bob.send('/workflows/refund/runs/none', { method: 'DELETE' })
      for (const path of ['/workflows/refund/runs/kept', '/workflows/held/runs/live']) {
        const res = await bob.send(path, { method: 'DELETE' })
        expect(res.status, path).toBe(404)
        expect(res.body.error, path).toMatch(/^Workflow run \w+ not found$/)
      }
      expect(missing.status).toBe(404)
      expect((await alice.run('refund', 'kept')).status).toBe('suspended')
      const unknown = await alice.send('/workflows/nope/runs/kept', { method: 'DELETE' })
      expect(unknown.body).toEqual({ error: 'Workflow with id nope not found', code: 'NOT_FOUND' })
    })
  })

  describe('POST /workflows/:workflowId/resume-no-wait', () => {
    it('answers with the run id once the resume is accepted; the run finishes on its own', async () => {
      await alice.post('/workflows/refund/start-async?runId=nw', { inputData: { amount: 5 } })
      const res = await alice.post('/workflows/refund/resume-no-wait?runId=nw', approve)
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ runId: 'nw' })
      expect(await alice.waitFor('refund', 'nw', 'success')).toMatchObject({ result: { amount: 5, status: 'refunded', tenant: 'acme' } })
    })

    it('refuses bad resume data with 400 and a run that is not suspended with 409, before answering', async () => {
      await alice.post('/workflows/refund/start-async?runId=nw2', { inputData: { amount: 5 } })
      const bad = await alice.post('/workflows/refund/resume-no-wait?runId=nw2', { step: 'approval', resumeData: { approved: 'yes' } })
      expect(bad.status).toBe(400)
      expect(bad.body.issues.map((issue: any) => issue.field)).toContain('resumeData.approved')
      await alice.post('/workflows/refund/resume-async?runId=nw2', approve)
      const done = await alice.post('/workflows/refund/resume-no-wait?runId=nw2', approve)
      expect(done.status).toBe(409)
      expect(done.body.code).toBe('CONFLICT')
      expect((await alice.post('/workflows/refund/resume-no-wait?runId=none', approve)).status).toBe(404)
    })
  })

  describe('restart by ?runId', () => {
    it('restart answers at once and continues an interrupted run from its last completed step', async () => {
      await orphans([['orphan', 'alice']])
      app.gates.of('orphan').open()
      const res = await alice.post('/workflows/pipeline/restart?runId=orphan', {})
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ message: 'Workflow run restarted' })
      expect(await alice.waitFor('pipeline', 'orphan', 'success')).toMatchObject({ result: { n: 25 } })
      expect(app.log.entries).toEqual(['orphan/slow', 'orphan/finish'])
    })

    it('restart-async answers with the run’s result', async () => {
      await orphans([['orphan', 'alice']])
      app.gates.of('orphan').open()
      const res = await alice.post('/workflows/pipeline/restart-async?runId=orphan', {})
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ status: 'success', runId: 'orphan', result: { n: 25 } })
    })

    it('answers 409 for a run that is not interrupted and 404 for a missing or another resource’s one', async () => {
      await orphans([['orphan', 'alice']])
      await alice.post('/workflows/math/start-async?runId=done', { inputData: { a: 1, b: 2 } })
      for (const path of ['/workflows/math/restart?runId=done', '/workflows/math/restart-async?runId=done']) {
        const res = await alice.post(path, {})
        expect(res.status, path).toBe(409)
        expect(res.body.error, path).toBe('Workflow run done is not interrupted (status: success)')
      }
      for (const path of ['/workflows/pipeline/restart?runId=orphan', '/workflows/pipeline/restart-async?runId=orphan']) {
        expect((await bob.post(path, {})).body, path).toEqual({ error: 'Workflow run orphan not found', code: 'NOT_FOUND' })
      }
      expect((await alice.post('/workflows/math/restart?runId=none', {})).status).toBe(404)
      expect((await alice.post('/workflows/math/restart', {})).status).toBe(400)
      expect(app.log.entries).toEqual(['done/add', 'done/multiply'])
    })
  })

  describe('restart-all-active-workflow-runs', () => {
    it('the -async form restarts every interrupted run of the caller and answers once they ended', async () => {
      await orphans([['a-1', 'alice'], ['a-2', 'alice'], ['b-1', 'bob']])
      for (const runId of ['a-1', 'a-2', 'b-1']) app.gates.of(runId).open()
      const res = await alice.post('/workflows/pipeline/restart-all-active-workflow-runs-async', {})
      expect(res.status).toBe(200)
      expect(res.body.message).toBe('Restarted 2 interrupted workflow runs')
      expect([...res.body.runIds].sort()).toEqual(['a-1', 'a-2'])
      expect((await alice.run('pipeline', 'a-1')).status).toBe('success')
      expect((await alice.run('pipeline', 'a-2')).status).toBe('success')
      expect((await bob.run('pipeline', 'b-1')).status).toBe('running')
      expect(app.log.count('b-1', 'finish')).toBe(0)
    })

    it('the plain form answers once the runs are claimed; they finish on their own', async () => {
      await orphans([['a-1', 'alice'], ['b-1', 'bob']])
      for (const runId of ['a-1', 'b-1']) app.gates.of(runId).open()
      const res = await bob.post('/workflows/pipeline/restart-all-active-workflow-runs', {})
      expect(res.body).toEqual({ message: 'Restarted 1 interrupted workflow run', runIds: ['b-1'] })
      expect(await bob.waitFor('pipeline', 'b-1', 'success')).toMatchObject({ result: { n: 25 } })
      const none = await bob.post('/workflows/pipeline/restart-all-active-workflow-runs', {})
      expect(none.body).toEqual({ message: 'Restarted 0 interrupted workflow runs', runIds: [] })
      expect((await alice.run('pipeline', 'a-1')).status).toBe('running')
    })
  })
})
