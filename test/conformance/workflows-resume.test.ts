import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ALICE, startWorkflowApp, type WorkflowApp, type WorkflowClient } from './workflows-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const approve = { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } }
const decline = { step: 'approval', resumeData: { approved: false, approver: { name: 'Bo' } } }
const fields = (res: { body: any }) => res.body.issues.map((i: { field: string }) => i.field)

describe.each(hosts)('suspend, resume, cancel and restart on $name', (factory) => {
  let app: WorkflowApp
  let alice: WorkflowClient

  beforeEach(async () => {
    app = await startWorkflowApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  /** Starts a refund that suspends at `approval`, failing loudly otherwise. */
  async function suspendedRefund(runId: string, amount = 40): Promise<any> {
    const res = await alice.post(`/workflows/refund/start-async?runId=${runId}`, { inputData: { amount } })
    if (res.body?.status !== 'suspended') throw new Error(`expected a suspended run, got ${res.status}: ${res.text}`)
    return res.body
  }

  describe('human in the loop', () => {
    it('suspends with the step path and payload, then resume-async finishes the run', async () => {
      const suspended = await suspendedRefund('r1')
      expect(suspended).toMatchObject({
        status: 'suspended',
        suspended: [['approval']],
        suspendPayload: { approval: { reason: 'Refund of 40 needs approval' } },
        input: { amount: 40 },
        runId: 'r1',
      })
      expect(suspended.result).toBeUndefined()
      expect(suspended.steps.approval).toMatchObject({ status: 'suspended', suspendPayload: { reason: 'Refund of 40 needs approval' } })
      expect((await alice.run('refund', 'r1')).status).toBe('suspended')

      const res = await alice.post('/workflows/refund/resume-async?runId=r1', approve)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ status: 'success', runId: 'r1', result: { amount: 40, status: 'refunded', tenant: 'acme' } })
      expect(res.body.suspended).toBeUndefined()
      expect(res.body.steps.approval).toMatchObject({ status: 'success', resumePayload: approve.resumeData, output: { amount: 40, approved: true } })
      expect(app.log.count('r1', 'approval:first')).toBe(1)
      expect(app.log.count('r1', 'approval:resumed')).toBe(1)
      expect(app.log.count('r1', 'settle')).toBe(1)
      expect(await alice.run('refund', 'r1')).toMatchObject({ status: 'success', result: { status: 'refunded' } })
    })

    it('resumes in the background with /resume, then the run is polled to success', async () => {
      await suspendedRefund('r2')
      const res = await alice.post('/workflows/refund/resume?runId=r2', { resumeData: decline.resumeData })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ message: 'Workflow run resumed' })
      const state = await alice.waitFor('refund', 'r2', 'success')
      expect(state.result).toEqual({ amount: 40, status: 'declined', tenant: 'acme' })
    })

    it('answers 400 with resumeData field paths for bad resume data and leaves the run suspended', async () => {
      await suspendedRefund('r3')
      for (const resumeData of [{ approved: 'yes', approver: {} }, undefined]) {
        const bad = await alice.post('/workflows/refund/resume-async?runId=r3', { step: 'approval', resumeData })
        expect(bad.status).toBe(400)
        expect(bad.body.code).toBe('VALIDATION_ERROR')
        expect(fields(bad).every((f: string) => f.startsWith('resumeData'))).toBe(true)
        if (resumeData) expect(fields(bad)).toEqual(['resumeData.approved', 'resumeData.approver.name'])
        const state = await alice.run('refund', 'r3')
        expect(state.status).toBe('suspended')
        expect(state.steps.approval).toMatchObject({ status: 'suspended', suspendPayload: { reason: 'Refund of 40 needs approval' } })
        expect(state.steps.approval.resumePayload).toBeUndefined()
      }
      const background = await alice.post('/workflows/refund/resume?runId=r3', { step: 'approval', resumeData: { approved: 1 } })
      expect(background.status).toBe(400)
      expect((await alice.run('refund', 'r3')).status).toBe('suspended')
      expect(app.log.count('r3', 'approval:resumed')).toBe(0)
      const good = await alice.post('/workflows/refund/resume-async?runId=r3', approve)
      expect(good.body).toMatchObject({ status: 'success', result: { status: 'refunded' } })
    })

    it('answers 400 naming `step` when it names no suspended step or several are suspended', async () => {
      const started = await alice.post('/workflows/review/start-async?runId=two', { inputData: { doc: 'contract' } })
      expect(started.body.suspended).toEqual([['legal'], ['finance']])
      const unnamed = await alice.post('/workflows/review/resume-async?runId=two', { resumeData: { ok: true } })
      expect(unnamed.status).toBe(400)
      expect(fields(unnamed)).toEqual(['step'])
      const wrong = await alice.post('/workflows/review/resume-async?runId=two', { step: 'audit', resumeData: { ok: true } })
      expect(wrong.status).toBe(400)
      expect(fields(wrong)).toEqual(['step'])
      expect((await alice.run('review', 'two')).status).toBe('suspended')

      const legal = await alice.post('/workflows/review/resume-async?runId=two', { step: 'legal', resumeData: { ok: true } })
      expect(legal.body).toMatchObject({ status: 'suspended', suspended: [['finance']] })
      const finance = await alice.post('/workflows/review/resume-async?runId=two', { step: ['finance'], resumeData: { ok: false } })
      expect(finance.body).toMatchObject({ status: 'success', result: { legal: { ok: true }, finance: { ok: false } } })
    })

    it('answers 409 when resuming a run that is not suspended', async () => {
      await alice.post('/workflows/math/start-async?runId=finished', { inputData: { a: 1, b: 1 } })
      await alice.post('/workflows/refund/create-run?runId=pending', {})
      await suspendedRefund('resumed-once')
      await alice.post('/workflows/refund/resume-async?runId=resumed-once', approve)
      const attempts = [
        alice.post('/workflows/math/resume-async?runId=finished', { resumeData: {} }),
        alice.post('/workflows/refund/resume-async?runId=pending', approve),
        alice.post('/workflows/refund/resume-async?runId=resumed-once', approve),
        alice.post('/workflows/refund/resume?runId=resumed-once', approve),
      ]
      for (const res of await Promise.all(attempts)) {
        expect(res.status, res.text).toBe(409)
        expect(res.body.code).toBe('CONFLICT')
      }
      expect(app.log.count('resumed-once', 'approval:resumed')).toBe(1)
    })

    it('lets exactly one of two concurrent resume-async requests win; the other gets 409 CONFLICT', async () => {
      await suspendedRefund('race')
      const [first, second] = await Promise.all([
        alice.post('/workflows/refund/resume-async?runId=race', approve),
        alice.post('/workflows/refund/resume-async?runId=race', decline),
      ])
      expect([first.status, second.status].sort()).toEqual([200, 409])
      const winner = first.status === 200 ? first : second
      const loser = first.status === 200 ? second : first
      expect(loser.body.code).toBe('CONFLICT')
      expect(winner.body.status).toBe('success')
      expect(app.log.count('race', 'approval:resumed')).toBe(1)
      expect(app.log.count('race', 'settle')).toBe(1)
      expect((await alice.run('refund', 'race')).result).toEqual(winner.body.result)
    })
  })

  describe('cancel and restart', () => {
    it('cancels a live run: the running step’s signal fires and the run is canceled', async () => {
      await alice.post('/workflows/held/start?runId=c1', { inputData: { n: 1 } })
      const gate = app.gates.of('c1')
      await gate.started
      const res = await alice.post('/workflows/held/runs/c1/cancel')
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ message: 'Workflow run cancelled' })
      expect(gate.stepAborted).toBe(true)
      const state = await alice.run('held', 'c1')
      expect(state.status).toBe('canceled')
      expect(state.steps.wait.status).toBe('canceled')
      gate.open()
      expect((await alice.run('held', 'c1')).status).toBe('canceled')
    })

    it('cancels a start-async request’s run and answers that request with the canceled result', async () => {
      const pending = alice.post('/workflows/held/start-async?runId=c2', { inputData: { n: 1 } })
      await app.gates.of('c2').started
      expect((await alice.post('/workflows/held/runs/c2/cancel')).status).toBe(200)
      const res = await pending
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ status: 'canceled', runId: 'c2' })
    })

    it('cancels a suspended run, after which it cannot be resumed', async () => {
      await suspendedRefund('c3')
      expect((await alice.post('/workflows/refund/runs/c3/cancel')).body).toEqual({ message: 'Workflow run cancelled' })
      expect((await alice.run('refund', 'c3')).status).toBe('canceled')
      expect((await alice.post('/workflows/refund/resume-async?runId=c3', approve)).status).toBe(409)
    })

    it('answers 409 when cancelling a finished run', async () => {
      await alice.post('/workflows/math/start-async?runId=c4', { inputData: { a: 1, b: 1 } })
      const res = await alice.post('/workflows/math/runs/c4/cancel')
      expect(res.status).toBe(409)
      expect(res.body.code).toBe('CONFLICT')
      expect((await alice.run('math', 'c4')).status).toBe('success')
    })

    it('answers 409 to restart a run that is live here, finished, or suspended', async () => {
      await alice.post('/workflows/held/start?runId=live', { inputData: { n: 4 } })
      await app.gates.of('live').started
      const live = await alice.post('/workflows/held/runs/live/restart')
      expect(live.status).toBe(409)
      expect(live.body.code).toBe('CONFLICT')
      expect(app.gates.of('live').stepAborted).toBe(false)
      app.gates.of('live').open()
      await alice.waitFor('held', 'live', 'success')
      expect(app.log.count('live', 'wait')).toBe(1)
      expect((await alice.post('/workflows/held/runs/live/restart')).status).toBe(409)
      await suspendedRefund('paused')
      expect((await alice.post('/workflows/refund/runs/paused/restart')).status).toBe(409)
      expect((await alice.run('refund', 'paused')).status).toBe('suspended')
    })
  })
})
