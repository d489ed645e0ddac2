import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../harness/http.js'
import { hosts } from '../harness/hosts.js'
import { abandonPipelineRun } from '../conformance/workflows-fixture.js'
import { ALICE, BOB, failure, readAll, startClientApp, type ClientApp } from './fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const approve = { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } }

// `@mastra/client-js` itself, unchanged, against a mount: the workflow family.
describe.each(hosts)('@mastra/client-js workflows on $name', (factory) => {
  let app: ClientApp

  beforeAll(async () => {
    app = await startClientApp(factory)
  })
  afterAll(() => closeClean(app))

  /** Polls the run until it has `status` (a deadline, not a timing assertion). */
  const settled = (workflowId: string, runId: string, status: string) =>
    eventually(async () => {
      const run: any = await app.client(ALICE).getWorkflow(workflowId).runById(runId)
      return run.status === status ? run : undefined
    })

  describe('MastraClient', () => {
    it('listWorkflows() lists every workflow with its steps and schemas', async () => {
      const workflows = await app.client(ALICE).listWorkflows()
      expect(Object.keys(workflows)).toEqual(['math', 'refund', 'pipeline'])
      expect(Object.keys(workflows.math.steps)).toEqual(['add', 'multiply'])
    })

    it('listWorkflowRunCounts() counts the caller’s runs per status', async () => {
      const client = app.client(BOB)
      const before: any = await client.listWorkflowRunCounts()
      await (await client.getWorkflow('refund').createRun()).startAsync({ inputData: { amount: 3 } })
      const after: any = await client.listWorkflowRunCounts()
      expect(Object.keys(after)).toEqual(['math', 'refund', 'pipeline'])
      expect(after.refund.suspended).toBe(before.refund.suspended + 1)
      expect(after.math).toEqual(before.math)
    })
  })

  describe('Workflow', () => {
    it('details() and getSchema() describe the workflow', async () => {
      const workflow = app.client(ALICE).getWorkflow('math')
      expect(await workflow.details()).toMatchObject({ name: 'math', description: 'Adds, then doubles the sum' })
      const { inputSchema, outputSchema } = await workflow.getSchema()
      expect(inputSchema).toMatchObject({ type: 'object', required: ['a', 'b'] })
      expect(outputSchema).toMatchObject({ type: 'object', required: ['result'] })
    })

    it('createRun(), runs() and runById() create, list and read the caller’s runs', async () => {
      const workflow = app.client(ALICE).getWorkflow('math')
      const run = await workflow.createRun({ runId: 'wf-created' })
      expect(run.runId).toBe('wf-created')
      expect((await workflow.createRun({ runId: 'wf-created' })).runId).toBe('wf-created')
      expect(await workflow.runById('wf-created')).toMatchObject({ runId: 'wf-created', status: 'pending', resourceId: 'alice' })
      const listed: any = await workflow.runs({ status: 'pending' })
      expect(listed.runs.map((r: any) => r.runId)).toContain('wf-created')
      expect((await app.client(BOB).getWorkflow('math').runs()).runs.map((r: any) => r.runId)).not.toContain('wf-created')
      expect((await failure(app.client(BOB).getWorkflow('math').createRun({ runId: 'wf-created' }))).status).toBe(409)
    })

    it('deleteRunById() deletes a finished run', async () => {
      const workflow = app.client(ALICE).getWorkflow('math')
      await (await workflow.createRun({ runId: 'wf-delete' })).startAsync({ inputData: { a: 1, b: 1 } })
      expect(await workflow.deleteRunById('wf-delete')).toEqual({ message: 'Workflow run deleted' })
      expect((await failure(workflow.runById('wf-delete'))).status).toBe(404)
    })
  })

  describe('Run', () => {
    it('startAsync() answers with the result; start() answers at once', async () => {
      const workflow = app.client(ALICE).getWorkflow('math')
      const result: any = await (await workflow.createRun()).startAsync({ inputData: { a: 2, b: 3 } })
      expect(result).toMatchObject({ status: 'success', result: { result: 10 } })
      const run = await workflow.createRun()
      expect(await run.start({ inputData: { a: 1, b: 2 } })).toEqual({ message: 'Workflow run started' })
      expect(await settled('math', run.runId, 'success')).toMatchObject({ result: { result: 6 } })
    })

    it('stream() delivers every event of the run as records', async () => {
      const run = await app.client(ALICE).getWorkflow('math').createRun()
      const events: any[] = await readAll(await run.stream({ inputData: { a: 1, b: 2 } }))
      expect(events.map((e) => e.type)).toEqual([
        'workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-result', 'workflow-finish',
      ])
      expect(events.at(-1).payload).toMatchObject({ workflowStatus: 'success', finalWorkflowResult: { result: 6 } })
    })

    it('resumeAsync(), resume() and resumeNoWait() continue a suspended run on a handle made by id', async () => {
      const workflow = app.client(ALICE).getWorkflow('refund')
      for (const [runId, how] of [['wf-r1', 'async'], ['wf-r2', 'plain'], ['wf-r3', 'no-wait']] as const) {
        const suspended: any = await (await workflow.createRun({ runId })).startAsync({ inputData: { amount: 5 } })
        expect(suspended.status).toBe('suspended')
        const handle = await workflow.createRun({ runId })
        if (how === 'async') expect(await handle.resumeAsync(approve)).toMatchObject({ status: 'success', result: { status: 'refunded' } })
        if (how === 'plain') expect(await handle.resume(approve)).toEqual({ message: 'Workflow run resumed' })
        if (how === 'no-wait') expect(await handle.resumeNoWait(approve)).toEqual({ runId })
        expect(await settled('refund', runId, 'success')).toMatchObject({ result: { amount: 5, status: 'refunded', tenant: 'acme' } })
      }
    })

    it('resumeStream() resumes a suspended run and streams the rest of it', async () => {
      const workflow = app.client(ALICE).getWorkflow('refund')
      await (await workflow.createRun({ runId: 'wf-rs' })).startAsync({ inputData: { amount: 8 } })
      const events: any[] = await readAll(await (await workflow.createRun({ runId: 'wf-rs' })).resumeStream(approve))
      expect(events.map((e) => e.type)).toEqual([
        'workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-result', 'workflow-finish',
      ])
      expect(events.at(-1).payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { amount: 8, status: 'refunded', tenant: 'acme' } })
    })

    it('observe() and observeStream() rejoin a running run from another connection, replaying what was missed', async () => {
      const workflow = app.client(ALICE).getWorkflow('pipeline')
      expect(await (await workflow.createRun({ runId: 'wf-watch' })).start({ inputData: { n: 1 } })).toEqual({ message: 'Workflow run started' })
      await app.gates.of('wf-watch').started
      const handle = await workflow.createRun({ runId: 'wf-watch' })
      const reader = (await handle.observe()).getReader()
      const first: any[] = []
      for (let i = 0; i < 4; i++) first.push((await reader.read()).value)
      expect(first.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start'])
      app.gates.of('wf-watch').open()
      const rest: any[] = []
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        rest.push(value)
      }
      expect(rest.map((e) => e.type)).toEqual(['workflow-step-result', 'workflow-step-start', 'workflow-step-result', 'workflow-finish'])
      expect(rest.at(-1).payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { n: 25 } })
      const replay: any[] = await readAll(await handle.observeStream())
      expect(replay).toEqual([...first, ...rest])
      expect(await readAll(await handle.observe({ offset: 6 }))).toEqual(rest.slice(2))
      expect((await failure(app.client(BOB).getWorkflow('pipeline').createRun({ runId: 'wf-watch' }))).status).toBe(409)
    })

    it('cancel() and cancelRun() cancel a suspended run', async () => {
      const workflow = app.client(ALICE).getWorkflow('refund')
      for (const runId of ['wf-c1', 'wf-c2']) {
        const run = await workflow.createRun({ runId })
        await run.startAsync({ inputData: { amount: 5 } })
        const answer = runId === 'wf-c1' ? await run.cancel() : await run.cancelRun()
        expect(answer).toEqual({ message: 'Workflow run cancelled' })
        expect((await workflow.runById(runId)).status).toBe('canceled')
      }
    })

    it('restart() and restartAsync() continue runs a dead process left behind', async () => {
      for (const runId of ['wf-orphan-1', 'wf-orphan-2']) await abandonPipelineRun(app.storePath, runId, 'alice')
      const pipeline = app.runtime.runs('pipeline')
      await eventually(async () => (await pipeline.listInterruptedRuns()).length === 2)
      for (const runId of ['wf-orphan-1', 'wf-orphan-2']) app.gates.of(runId).open()
      const workflow = app.client(ALICE).getWorkflow('pipeline')
      expect(await (await workflow.createRun({ runId: 'wf-orphan-1' })).restart({})).toEqual({ message: 'Workflow run restarted' })
      expect(await (await workflow.createRun({ runId: 'wf-orphan-2' })).restartAsync()).toMatchObject({ status: 'success', result: { n: 25 } })
      expect(await settled('pipeline', 'wf-orphan-1', 'success')).toMatchObject({ result: { n: 25 } })
      expect(app.log.entries.filter((entry) => entry.startsWith('wf-orphan-1/'))).toEqual(['wf-orphan-1/slow', 'wf-orphan-1/finish'])
    })
  })
})
