import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { eventually, recordFrames } from '../harness/http.js'
import type { RunsOptions } from '../../src/runtime.js'
import type { FinishedRun } from '../../src/agents/runs/observer.js'
import type { WorkflowRunFinish } from '../../src/workflows/run-finish.js'
import { abandonPipelineRun, ALICE, BOB, startWorkflowApp, type WorkflowApp } from './workflows-fixture.js'
import { closeClean, tempDir } from '../harness/lifecycle.js'

const approve = { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } }
const decline = { step: 'approval', resumeData: { approved: false, approver: { name: 'Bo' } } }

describe.each(hosts)('durable workflow runs on $name', (factory) => {
  let dir: ReturnType<typeof tempDir>
  const apps: WorkflowApp[] = []

  /** A host app over the shared database file, closed after the test; `finished` collects what its `onRunFinish` is told. */
  async function appOnFile(runs?: RunsOptions, finished?: WorkflowRunFinish[]): Promise<WorkflowApp> {
    const onRunFinish = (run: FinishedRun) => void (run.kind === 'workflow' && finished?.push(run))
    const app = await startWorkflowApp(factory, { path: dir.file, runs, observability: finished ? { onRunFinish } : undefined })
    apps.push(app)
    return app
  }

  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    await closeClean(...apps.splice(0))
    dir.remove()
  })

  it('restarts a run a dead process left running, once its lease expired, without re-running its completed steps', async () => {
    const dead = await abandonPipelineRun(dir.file, 'orphan', 'alice')
    expect(dead.entries).toEqual(['orphan/prepare', 'orphan/slow'])

    // Recovery by hand only: no sweep re-drives the run first.
    const app = await appOnFile({ sweepMs: 0 })
    const alice = app.as(ALICE)
    const pipeline = app.runtime.runs('pipeline')
    await eventually(async () => (await pipeline.listInterruptedRuns()).length === 1)
    const interrupted = await alice.get('/workflows/pipeline/runs?status=running')
    expect(interrupted.body.total).toBe(1)
    expect(interrupted.body.runs[0]).toMatchObject({ runId: 'orphan', resourceId: 'alice', status: 'running' })
    expect(interrupted.body.runs[0].steps.prepare).toMatchObject({ status: 'success', output: { n: 2 } })

    expect((await app.as(BOB).post('/workflows/pipeline/runs/orphan/restart')).status).toBe(404)
    expect(app.log.entries).toEqual([])

    app.gates.of('orphan').open()
    const res = await alice.post('/workflows/pipeline/runs/orphan/restart')
    expect(res.status).toBe(200)
    // prepare: 1 + 1 = 2 (before the crash); slow: 20; finish: 25
    expect(res.body).toMatchObject({ status: 'success', runId: 'orphan', input: { n: 1 }, result: { n: 25 } })
    expect(Object.keys(res.body.steps)).toEqual(['prepare', 'slow', 'finish'])
    expect(app.log.entries).toEqual(['orphan/slow', 'orphan/finish'])
    expect(res.body.steps.prepare.startedAt).toBe(interrupted.body.runs[0].steps.prepare.startedAt)

    expect(await alice.run('pipeline', 'orphan')).toMatchObject({ status: 'success', result: { n: 25 } })
    expect((await alice.get('/workflows/pipeline/runs?status=running')).body.total).toBe(0)
    const again = await alice.post('/workflows/pipeline/runs/orphan/restart')
    expect(again.status).toBe(409)
    expect(app.log.entries).toEqual(['orphan/slow', 'orphan/finish'])
  })

  it('re-drives on its own a run whose instance died, from its last completed step, with the same idempotency keys', async () => {
    const dead = await abandonPipelineRun(dir.file, 'orphan', 'alice')
    expect(dead.keys).toEqual(['orphan:prepare', 'orphan:slow'])
    const app = await appOnFile({ sweepMs: 25 })
    app.gates.of('orphan').open()
    const done = await app.as(ALICE).waitFor('pipeline', 'orphan', 'success')
    expect(done).toMatchObject({ resourceId: 'alice', result: { n: 25 } })
    expect(app.log.entries).toEqual(['orphan/slow', 'orphan/finish'])
    expect(app.log.keys).toEqual(['orphan:slow', 'orphan:finish'])
    expect(app.runtime.runs('pipeline').isRunning('orphan')).toBe(false)
  })

  it('gives each expired run to exactly one of three runtimes recovering at once', async () => {
    const orphans = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6']
    for (const runId of orphans) await abandonPipelineRun(dir.file, runId, 'alice')
    const runtimes = [await appOnFile({ sweepMs: 0 }), await appOnFile({ sweepMs: 0 }), await appOnFile({ sweepMs: 0 })]
    for (const app of runtimes) for (const runId of orphans) app.gates.of(runId).open()
    await eventually(async () => (await runtimes[0].runtime.runs('pipeline').listInterruptedRuns()).length === orphans.length)
    const taken = await Promise.all(runtimes.map((app) => app.runtime.recoverRuns()))
    expect(taken.reduce((a, b) => a + b, 0)).toBe(orphans.length)
    for (const runId of orphans) await runtimes[0].as(ALICE).waitFor('pipeline', runId, 'success')
    const finished = runtimes.flatMap((app) => app.log.entries.filter((entry) => entry.endsWith('/finish')))
    expect(finished.sort()).toEqual(orphans.map((runId) => `${runId}/finish`))
  })

  it('announces a run re-driven after its instance died once, from the runtime that finished it, with its first creation time', async () => {
    await abandonPipelineRun(dir.file, 'orphan', 'alice')
    const created = (await (await appOnFile({ sweepMs: 0 })).runtime.runs('pipeline').getRun('orphan'))!.createdAt
    const finished: WorkflowRunFinish[] = []
    const app = await appOnFile({ sweepMs: 25 }, finished)
    app.gates.of('orphan').open()
    await app.as(ALICE).waitFor('pipeline', 'orphan', 'success')
    await eventually(() => finished.length > 0)
    expect(finished).toEqual([
      expect.objectContaining({ kind: 'workflow', workflowId: 'pipeline', runId: 'orphan', resourceId: 'alice', status: 'success', createdAt: created }),
    ])
    expect(finished[0].durationMs).toBe(finished[0].finishedAt.getTime() - created.getTime())
  })

  it('announces each of the runs three recovering runtimes share out exactly once', async () => {
    const orphans = ['o1', 'o2', 'o3', 'o4']
    for (const runId of orphans) await abandonPipelineRun(dir.file, runId, 'alice')
    const finished: WorkflowRunFinish[] = []
    const runtimes = [await appOnFile({ sweepMs: 0 }, finished), await appOnFile({ sweepMs: 0 }, finished), await appOnFile({ sweepMs: 0 }, finished)]
    for (const app of runtimes) for (const runId of orphans) app.gates.of(runId).open()
    await eventually(async () => (await runtimes[0].runtime.runs('pipeline').listInterruptedRuns()).length === orphans.length)
    await Promise.all(runtimes.map((app) => app.runtime.recoverRuns()))
    for (const runId of orphans) await runtimes[0].as(ALICE).waitFor('pipeline', runId, 'success')
    await eventually(() => finished.length >= orphans.length)
    expect(finished.map((run) => `${run.runId}:${run.status}`).sort()).toEqual(orphans.map((runId) => `${runId}:success`))
  })

  it('announces a run canceled from another runtime once, from the runtime whose write ended it', async () => {
    const fromOne: WorkflowRunFinish[] = []
    const fromTwo: WorkflowRunFinish[] = []
    const one = await appOnFile(undefined, fromOne)
    const two = await appOnFile(undefined, fromTwo)
    await one.as(ALICE).post('/workflows/pipeline/start?runId=far-end', { inputData: { n: 1 } })
    await one.gates.of('far-end').started
    expect((await two.as(ALICE).post('/workflows/pipeline/runs/far-end/cancel')).status).toBe(200)
    expect(fromTwo.map((run) => [run.runId, run.status, run.resourceId])).toEqual([['far-end', 'canceled', 'alice']])
    await eventually(() => one.gates.of('far-end').stepAborted)
    await eventually(() => !one.runtime.runs('pipeline').isRunning('far-end'))
    expect(fromOne).toEqual([])
    expect(fromTwo).toHaveLength(1)
  })

  it('hands a run it cannot finish within drainMs to another runtime at once when it shuts down', async () => {
    // A lease of a minute: only the hand-off, not an expiry, lets the second runtime take the run.
    const one = await appOnFile({ leaseMs: 60_000, sweepMs: 0 })
    const two = await appOnFile({ sweepMs: 25 })
    await one.as(ALICE).post('/workflows/pipeline/start?runId=handoff', { inputData: { n: 1 } })
    const gate = one.gates.of('handoff')
    await gate.started
    two.gates.of('handoff').open()
    await one.runtime.close({ drainMs: 50 })
    expect(gate.stepAborted).toBe(true)
    expect(await two.as(ALICE).waitFor('pipeline', 'handoff', 'success')).toMatchObject({ result: { n: 25 } })
    expect(one.log.entries).toEqual(['handoff/prepare', 'handoff/slow'])
    expect(two.log.entries).toEqual(['handoff/slow', 'handoff/finish'])
  })

  it('lets its runs finish within drainMs when it shuts down, and takes no new ones meanwhile', async () => {
    const one = await appOnFile({ sweepMs: 0 })
    await one.as(ALICE).post('/workflows/pipeline/start?runId=draining', { inputData: { n: 1 } })
    await one.gates.of('draining').started
    const closing = one.runtime.close({ drainMs: 60_000 })
    const refused = await one.as(ALICE).post('/workflows/math/start-async', { inputData: { a: 1, b: 2 } })
    expect(refused.status).toBe(503)
    expect(refused.body.code).toBe('UNAVAILABLE')
    one.gates.of('draining').open()
    await closing
    expect(one.log.entries).toEqual(['draining/prepare', 'draining/slow', 'draining/finish'])
    const reopened = await appOnFile({ sweepMs: 0 })
    expect(await reopened.as(ALICE).run('pipeline', 'draining')).toMatchObject({ status: 'success', result: { n: 25 } })
  })

  it('answers every request 503 in the envelope once it has shut down, and reports nothing', async () => {
    const one = await appOnFile({ sweepMs: 0 })
    const alice = one.as(ALICE)
    expect((await alice.post('/workflows/math/start?runId=before', { inputData: { a: 1, b: 2 } })).status).toBe(200)
    await one.runtime.close()
    const answers = [
      await alice.get('/workflows/math/runs/before'),
      await alice.get('/workflows/math/runs'),
      await alice.post('/workflows/math/start-async', { inputData: { a: 1, b: 2 } }),
      await alice.post('/workflows/math/runs/before/cancel'),
    ]
    for (const res of answers) {
      expect(res.status).toBe(503)
      expect(res.body).toEqual({ error: 'This instance has shut down; try again', code: 'UNAVAILABLE' })
    }
  })

  it('stops a run executing on another runtime once canceled here, while its step still waits', async () => {
    const one = await appOnFile()
    const two = await appOnFile()
    await one.as(ALICE).post('/workflows/pipeline/start?runId=far', { inputData: { n: 1 } })
    const gate = one.gates.of('far')
    await gate.started
    expect((await two.as(ALICE).post('/workflows/pipeline/runs/far/cancel')).status).toBe(200)
    // The gate stays shut: only the cancel reaching the first runtime can end the step.
    await eventually(() => gate.stepAborted)
    await eventually(() => !one.runtime.runs('pipeline').isRunning('far'))
    expect(await one.as(ALICE).run('pipeline', 'far')).toMatchObject({ status: 'canceled' })
    expect(one.log.entries).toEqual(['far/prepare', 'far/slow'])
  })

  it('follows a run executing on another runtime through observe, live, until it finishes', async () => {
    const one = await appOnFile()
    const two = await appOnFile()
    await one.as(ALICE).post('/workflows/pipeline/start?runId=watched', { inputData: { n: 1 } })
    await one.gates.of('watched').started
    expect((await two.as(BOB).post('/workflows/pipeline/observe?runId=watched')).status).toBe(404)
    const { response } = await two.openStream('/workflows/pipeline/observe?runId=watched', ALICE, undefined)
    expect(response.statusCode).toBe(200)
    let text = ''
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => (text += chunk))
    const ended = new Promise((resolve) => response.on('end', resolve))
    await eventually(() => recordFrames(text).some((e) => e.type === 'workflow-step-result' && e.payload.id === 'prepare'))
    expect(recordFrames(text).some((e) => e.type === 'workflow-finish')).toBe(false)
    one.gates.of('watched').open()
    await ended
    const events = recordFrames(text)
    expect(events.map((e) => `${e.type}:${e.payload.id ?? ''}`)).toEqual([
      'workflow-start:',
      'workflow-step-start:prepare',
      'workflow-step-result:prepare',
      'workflow-step-start:slow',
      'workflow-step-result:slow',
      'workflow-step-start:finish',
      'workflow-step-result:finish',
      'workflow-finish:',
    ])
    expect(events.every((e) => e.runId === 'watched' && e.from === 'WORKFLOW')).toBe(true)
    expect(events.at(-1).payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { n: 25 } })
    expect(events[4].payload).toMatchObject({ status: 'success', output: { n: 20 } })
    // A finished run replays the same and ends.
    const again = await two.as(ALICE).post('/workflows/pipeline/observe?runId=watched')
    expect(recordFrames(again.text)).toEqual(events)
  })

  it('never lets a second runtime on the same database restart a run the first one is executing', async () => {
    const one = await appOnFile()
    const two = await appOnFile()
    await one.as(ALICE).post('/workflows/pipeline/start?runId=live', { inputData: { n: 1 } })
    await one.gates.of('live').started
    expect(await two.runtime.runs('pipeline').listInterruptedRuns()).toEqual([])
    const refused = await two.as(ALICE).post('/workflows/pipeline/runs/live/restart')
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('CONFLICT')
    expect(refused.body.error).toMatch(/another instance holds its lease/)
    expect(two.log.entries).toEqual([])
    one.gates.of('live').open()
    expect(await two.as(ALICE).waitFor('pipeline', 'live', 'success')).toMatchObject({ result: { n: 25 } })
    // Each step ran once, all of them in the first runtime.
    expect(one.log.entries).toEqual(['live/prepare', 'live/slow', 'live/finish'])
    expect(two.log.entries).toEqual([])
  })

  it('resumes a run suspended through one runtime through a second one on the same file', async () => {
    const first = await appOnFile()
    const started = await first.as(ALICE).post('/workflows/refund/start-async?runId=handover', { inputData: { amount: 12 } })
    expect(started.body.status).toBe('suspended')
    await first.close()
    apps.splice(apps.indexOf(first), 1)

    const second = await appOnFile()
    const alice = second.as(ALICE)
    expect(await alice.run('refund', 'handover')).toMatchObject({ status: 'suspended', resourceId: 'alice' })
    expect((await second.as(BOB).post('/workflows/refund/resume-async?runId=handover', approve)).status).toBe(404)
    const res = await alice.post('/workflows/refund/resume-async?runId=handover', approve)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ status: 'success', result: { amount: 12, status: 'refunded', tenant: 'acme' } })
    expect(second.log.entries).toEqual(['handover/approval:resumed', 'handover/settle'])
    expect((await alice.run('refund', 'handover')).status).toBe('success')
  })

  it('lets one of two runtimes sharing the file win a concurrent resume; the other answers 409', async () => {
    const one = await appOnFile()
    const two = await appOnFile()
    await one.as(ALICE).post('/workflows/refund/start-async?runId=shared', { inputData: { amount: 8 } })
    const [a, b] = await Promise.all([
      one.as(ALICE).post('/workflows/refund/resume-async?runId=shared', approve),
      two.as(ALICE).post('/workflows/refund/resume-async?runId=shared', decline),
    ])
    expect([a.status, b.status].sort()).toEqual([200, 409])
    expect((a.status === 409 ? a : b).body.code).toBe('CONFLICT')
    const resumed = [...one.log.entries, ...two.log.entries].filter((entry) => entry === 'shared/approval:resumed')
    expect(resumed).toHaveLength(1)
    const winner = a.status === 200 ? a : b
    expect(await two.as(ALICE).run('refund', 'shared')).toMatchObject({ status: 'success', result: winner.body.result })
  })

  it('cancels from a second runtime a run the first one keeps suspended, and the first then sees it canceled', async () => {
    const one = await appOnFile()
    const two = await appOnFile()
    await one.as(ALICE).post('/workflows/refund/start-async?runId=elsewhere', { inputData: { amount: 3 } })
    expect((await two.as(ALICE).post('/workflows/refund/runs/elsewhere/cancel')).status).toBe(200)
    expect((await one.as(ALICE).run('refund', 'elsewhere')).status).toBe('canceled')
    expect((await one.as(ALICE).post('/workflows/refund/resume-async?runId=elsewhere', approve)).status).toBe(409)
  })

  it('stops a run another runtime executes at its next step once a second runtime cancels it', async () => {
    const one = await appOnFile()
    const two = await appOnFile()
    await one.as(ALICE).post('/workflows/pipeline/start?runId=remote', { inputData: { n: 1 } })
    await one.gates.of('remote').started
    expect((await two.as(ALICE).post('/workflows/pipeline/runs/remote/cancel')).body).toEqual({ message: 'Workflow run cancelled' })
    expect((await two.as(ALICE).run('pipeline', 'remote')).status).toBe('canceled')
    one.gates.of('remote').open()
    await eventually(() => !one.runtime.runs('pipeline').isRunning('remote'))
    expect(one.log.entries).toEqual(['remote/prepare', 'remote/slow'])
    expect(await one.as(ALICE).run('pipeline', 'remote')).toMatchObject({ status: 'canceled' })
  })
})
