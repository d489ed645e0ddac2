import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createRuntime, type Runtime } from '../../../src/runtime.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { createStep, createWorkflow } from '../../../src/workflows/workflow.js'
import { callRoute as call, closeServers, failure, frames, send, type RouteCall } from '../../harness/node-client.js'
import { approvalWorkflow, deferred, mathWorkflow } from './fixtures/workflows.js'

type Route = readonly [method: string, path: string]
const route = (method: string, path: string): Route => [method, path]
/** Calls the route on the node host serving this test's runtime. */
const callRoute = (r: Route, runtime: Runtime, input?: RouteCall) => call(runtime, r[0], r[1], input)
const createRun = route('POST', '/workflows/:workflowId/create-run')
const startAsync = route('POST', '/workflows/:workflowId/start-async')
const start = route('POST', '/workflows/:workflowId/start')
const stream = route('POST', '/workflows/:workflowId/stream')
const resumeAsync = route('POST', '/workflows/:workflowId/resume-async')
const resume = route('POST', '/workflows/:workflowId/resume')
const listRuns = route('GET', '/workflows/:workflowId/runs')
const getRun = route('GET', '/workflows/:workflowId/runs/:runId')
const cancel = route('POST', '/workflows/:workflowId/runs/:runId/cancel')
const restart = route('POST', '/workflows/:workflowId/runs/:runId/restart')

const num = z.object({ n: z.number() })

let runtime: Runtime
let gate: ReturnType<typeof deferred<void>>
let gateStarted: ReturnType<typeof deferred<void>>
let gateAborted: boolean

beforeEach(() => {
  gate = deferred()
  gateStarted = deferred()
  gateAborted = false
  const held = createStep({
    id: 'held',
    inputSchema: num,
    outputSchema: num,
    execute: async ({ inputData, signal }) => {
      signal.addEventListener('abort', () => (gateAborted = true))
      gateStarted.resolve()
      await gate.promise
      if (inputData.n < 0) throw new Error('negative')
      return inputData
    },
  })
  runtime = createRuntime({
    store: new SqliteStore({ path: ':memory:' }),
    workflows: {
      mathWorkflow: mathWorkflow('math-workflow'),
      approve: approvalWorkflow('approve'),
      held: createWorkflow({ id: 'held', inputSchema: num, outputSchema: num }).then(held).commit(),
    },
  })
})

afterEach(async () => {
  await closeServers()
  gate.resolve()
  vi.restoreAllMocks()
  await runtime.close()
})

/** Waits until no run of `workflowId` executes in this process any more. */
async function settled(workflowId: string, runId: string): Promise<void> {
  while (runtime.runs(workflowId).isRunning(runId)) await new Promise((resolve) => setImmediate(resolve))
}

describe('workflow routes', () => {
  it('lists workflows by key and describes one; unknown ids are 404', async () => {
    const list = await callRoute(route('GET', '/workflows'), runtime)
    expect(Object.keys(list)).toEqual(['mathWorkflow', 'approve', 'held'])
    expect(list.mathWorkflow.name).toBe('math-workflow')
    const one = await callRoute(route('GET', '/workflows/:workflowId'), runtime, { params: { workflowId: 'approve' } })
    expect(Object.keys(one.steps)).toEqual(['approval'])
    expect(typeof one.steps.approval.resumeSchema).toBe('string')
    const error = await failure(callRoute(route('GET', '/workflows/:workflowId'), runtime, { params: { workflowId: 'nope' } }))
    expect(error.status).toBe(404)
  })

  it('creates a run, starts it by id and reports its state', async () => {
    const { runId } = await callRoute(createRun, runtime, { params: { workflowId: 'mathWorkflow' }, body: {} })
    const result = await callRoute(startAsync, runtime, { params: { workflowId: 'mathWorkflow' }, query: { runId }, body: { inputData: { a: 4, b: 5 } } })
    expect(result).toMatchObject({ status: 'success', result: { result: 18 }, input: { a: 4, b: 5 }, runId })
    const state = await callRoute(getRun, runtime, { params: { workflowId: 'mathWorkflow', runId } })
    expect(state).toMatchObject({ runId, workflowName: 'math-workflow', resourceId: null, status: 'success', result: { result: 18 }, payload: { a: 4, b: 5 } })
    expect(state.steps.add.output).toEqual({ sum: 9 })
    expect(new Date(state.createdAt).toISOString()).toBe(state.createdAt)
    const again = await failure(callRoute(startAsync, runtime, { params: { workflowId: 'mathWorkflow' }, query: { runId }, body: { inputData: { a: 1, b: 1 } } }))
    expect(again.status).toBe(409)
  })

  it('answers 400 with inputData field paths for bad input, never a failed run', async () => {
    const error = await failure(callRoute(startAsync, runtime, { params: { workflowId: 'mathWorkflow' }, body: { inputData: { a: 'x' } } }))
    expect(error.status).toBe(400)
    expect(error.issues?.map((i) => i.field)).toEqual(['inputData.a', 'inputData.b'])
    expect((await callRoute(listRuns, runtime, { params: { workflowId: 'mathWorkflow' } })).total).toBe(0)
  })

  it('starts in the background and records a failure there instead of throwing', async () => {
    const errors = vi.spyOn(console, 'error')
    const reply = await callRoute(start, runtime, { params: { workflowId: 'held' }, query: { runId: 'bg' }, body: { inputData: { n: -1 } } })
    expect(reply).toEqual({ message: 'Workflow run started' })
    expect((await callRoute(getRun, runtime, { params: { workflowId: 'held', runId: 'bg' } })).status).toBe('running')
    gate.resolve()
    await settled('held', 'bg')
    expect(await callRoute(getRun, runtime, { params: { workflowId: 'held', runId: 'bg' } })).toMatchObject({ status: 'failed', error: 'negative' })
    expect(errors).not.toHaveBeenCalled()
  })

  it('requires ?runId on /start', async () => {
    const error = await failure(callRoute(start, runtime, { params: { workflowId: 'held' }, body: { inputData: { n: 1 } } }))
    expect(error).toMatchObject({ status: 400, issues: [{ field: 'runId' }] })
  })

  it('streams records by default and SSE when asked, each event in Mastra’s envelope', async () => {
    const records = await send(runtime, ...stream, { params: { workflowId: 'mathWorkflow' }, query: { runId: 's1' }, body: { inputData: { a: 1, b: 1 } } })
    expect(records.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const events = await frames(records)
    expect(events.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-result', 'workflow-finish'])
    expect(events[5].payload.finalWorkflowResult).toEqual({ result: 4 })

    const headers = { accept: 'text/event-stream' }
    const sse = await send(runtime, ...stream, { params: { workflowId: 'mathWorkflow' }, body: { inputData: { a: 1, b: 1 } }, headers })
    expect(sse.headers.get('content-type')).toBe('text/event-stream')
    expect((await frames(sse)).at(-1)?.type).toBe('workflow-finish')
  })

  it('refuses a stream with bad input as a 400 before streaming', async () => {
    const error = await failure(callRoute(stream, runtime, { params: { workflowId: 'mathWorkflow' }, body: { inputData: {} } }))
    expect(error.issues?.[0].field).toBe('inputData.a')
  })

  it('keeps a streamed run going after a disconnect, unless cancelOnDisconnect', async () => {
    const client = new AbortController()
    await send(runtime, ...stream, { params: { workflowId: 'held' }, query: { runId: 'keep' }, body: { inputData: { n: 1 } }, signal: client.signal })
    await gateStarted.promise
    client.abort()
    gate.resolve()
    await settled('held', 'keep')
    expect((await callRoute(getRun, runtime, { params: { workflowId: 'held', runId: 'keep' } })).status).toBe('success')

    gate = deferred()
    gateStarted = deferred()
    const leaving = new AbortController()
    const query = { runId: 'drop', cancelOnDisconnect: 'true' }
    await send(runtime, ...stream, { params: { workflowId: 'held' }, query, body: { inputData: { n: 1 } }, signal: leaving.signal })
    await gateStarted.promise
    leaving.abort()
    await settled('held', 'drop')
    expect(gateAborted).toBe(true)
    expect((await callRoute(getRun, runtime, { params: { workflowId: 'held', runId: 'drop' } })).status).toBe('canceled')
  })

  it('resumes with resume-async and in the background with resume', async () => {
    const params = { workflowId: 'approve' }
    const first = await callRoute(startAsync, runtime, { params, body: { inputData: { value: 7 } } })
    expect(first).toMatchObject({ status: 'suspended', suspended: [['approval']] })
    const bad = await failure(callRoute(resumeAsync, runtime, { params, query: { runId: first.runId }, body: { step: 'approval', resumeData: {} } }))
    expect(bad.issues?.[0].field).toBe('resumeData.approved')
    const done = await callRoute(resumeAsync, runtime, { params, query: { runId: first.runId }, body: { step: 'approval', resumeData: { approved: true } } })
    expect(done).toMatchObject({ status: 'success', result: { value: 7, approved: true } })

    const second = await callRoute(startAsync, runtime, { params, body: { inputData: { value: 8 } } })
    const reply = await callRoute(resume, runtime, { params, query: { runId: second.runId }, body: { resumeData: { approved: false } } })
    expect(reply).toEqual({ message: 'Workflow run resumed' })
    await settled('approve', second.runId)
    expect((await callRoute(getRun, runtime, { params: { ...params, runId: second.runId } })).result).toEqual({ value: 8, approved: false })
  })

  it('lists runs newest first with paging and a status filter', async () => {
    const params = { workflowId: 'mathWorkflow' }
    for (const a of [1, 2, 3]) await callRoute(startAsync, runtime, { params, query: { runId: `m${a}` }, body: { inputData: { a, b: 0 } } })
    await callRoute(createRun, runtime, { params, query: { runId: 'pending-one' } })
    const page = await callRoute(listRuns, runtime, { params, query: { page: '0', perPage: '2', status: 'success' } })
    expect(page.total).toBe(3)
    expect(page.runs.map((r: { runId: string }) => r.runId)).toEqual(['m3', 'm2'])
    expect(page.runs[0]).toMatchObject({ workflowName: 'math-workflow', status: 'success', payload: { a: 3, b: 0 } })
    expect((await callRoute(listRuns, runtime, { params, query: { status: 'pending' } })).runs[0].runId).toBe('pending-one')
  })

  it('cancels a live run and restarts an interrupted one', async () => {
    const params = { workflowId: 'held' }
    void callRoute(startAsync, runtime, { params, query: { runId: 'c1' }, body: { inputData: { n: 1 } } })
    await gateStarted.promise
    expect(await callRoute(cancel, runtime, { params: { ...params, runId: 'c1' } })).toEqual({ message: 'Workflow run cancelled' })
    expect(gateAborted).toBe(true)
    expect((await callRoute(getRun, runtime, { params: { ...params, runId: 'c1' } })).status).toBe('canceled')

    const at = new Date()
    const snapshot = { input: { n: 3 }, position: 0, steps: {} }
    await runtime.store.workflowRuns.create({ workflowId: 'held', runId: 'orphan', resourceId: null, status: 'running', snapshot, createdAt: at, updatedAt: at })
    gate.resolve()
    const restarted = await callRoute(restart, runtime, { params: { ...params, runId: 'orphan' } })
    expect(restarted).toMatchObject({ status: 'success', result: { n: 3 } })
  })

  describe('scoped to a resource', () => {
    it('owns the runs it creates, whatever the body says, and lists only those', async () => {
      const params = { workflowId: 'mathWorkflow' }
      const { runId } = await callRoute(createRun, runtime, { params, body: { resourceId: 'mallory' }, resourceId: 'alice' })
      await callRoute(startAsync, runtime, { params, query: { runId }, body: { inputData: { a: 1, b: 1 } }, resourceId: 'alice' })
      await callRoute(startAsync, runtime, { params, body: { inputData: { a: 2, b: 2 } }, resourceId: 'bob' })
      await callRoute(startAsync, runtime, { params, body: { inputData: { a: 3, b: 3 } } })
      expect((await callRoute(getRun, runtime, { params: { ...params, runId }, resourceId: 'alice' })).resourceId).toBe('alice')
      const alices = await callRoute(listRuns, runtime, { params, resourceId: 'alice', query: { resourceId: 'bob' } })
      expect(alices.runs.map((r: { runId: string }) => r.runId)).toEqual([runId])
      expect((await callRoute(listRuns, runtime, { params })).total).toBe(3)
      expect((await callRoute(listRuns, runtime, { params, query: { resourceId: 'bob' } })).total).toBe(1)
    })

    it('answers 404 for another resource’s run on every run route', async () => {
      const params = { workflowId: 'approve' }
      const { runId } = await callRoute(startAsync, runtime, { params, body: { inputData: { value: 1 } }, resourceId: 'alice' })
      const asBob = { resourceId: 'bob' }
      const attempts = [
        callRoute(getRun, runtime, { params: { ...params, runId }, ...asBob }),
        callRoute(resumeAsync, runtime, { params, query: { runId }, body: { resumeData: { approved: true } }, ...asBob }),
        callRoute(resume, runtime, { params, query: { runId }, body: { resumeData: { approved: true } }, ...asBob }),
        callRoute(cancel, runtime, { params: { ...params, runId }, ...asBob }),
        callRoute(restart, runtime, { params: { ...params, runId }, ...asBob }),
        callRoute(stream, runtime, { params, query: { runId }, body: { inputData: { value: 1 } }, ...asBob }),
        callRoute(startAsync, runtime, { params, query: { runId }, body: { inputData: { value: 1 } }, ...asBob }),
        callRoute(start, runtime, { params, query: { runId }, body: { inputData: { value: 1 } }, ...asBob }),
      ].map(failure)
      for (const attempt of attempts) expect((await attempt).status).toBe(404)
      expect((await callRoute(getRun, runtime, { params: { ...params, runId }, resourceId: 'alice' })).status).toBe('suspended')
      const done = await callRoute(resumeAsync, runtime, { params, query: { runId }, body: { resumeData: { approved: true } }, resourceId: 'alice' })
      expect(done.status).toBe('success')
    })
  })
})
