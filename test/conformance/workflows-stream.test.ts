import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { eventually, readAll, recordFrames, sseFrames } from '../harness/http.js'
import { ALICE, startWorkflowApp, type WorkflowApp, type WorkflowClient } from './workflows-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const MATH_EVENTS = ['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-result', 'workflow-finish']

describe.each(hosts)('workflow streams on $name', (factory) => {
  let app: WorkflowApp
  let alice: WorkflowClient

  beforeEach(async () => {
    app = await startWorkflowApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  it('streams JSON records separated by \\x1e by default, each event in Mastra’s envelope', async () => {
    const res = await alice.post('/workflows/math/stream?runId=s1', { inputData: { a: 1, b: 1 } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(res.text.endsWith('\x1e')).toBe(true)
    const events = recordFrames(res.text)
    expect(events.map((e) => e.type)).toEqual(MATH_EVENTS)
    for (const event of events) {
      expect(Object.keys(event)).toEqual(['type', 'runId', 'from', 'payload'])
      expect(event).toMatchObject({ runId: 's1', from: 'WORKFLOW' })
    }
    expect(events[0].payload).toEqual({ workflowId: 'math' })
    expect(events[1].payload).toMatchObject({ id: 'add', stepName: 'add', payload: { a: 1, b: 1 }, status: 'running' })
    expect(events[2].payload).toMatchObject({ id: 'add', status: 'success', output: { sum: 2 } })
    expect(events[3].payload).toMatchObject({ id: 'multiply', payload: { sum: 2 } })
    expect(events[4].payload).toMatchObject({ id: 'multiply', status: 'success', output: { result: 4 } })
    expect(events[5].payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { result: 4 } })
    expect(await alice.run('math', 's1')).toMatchObject({ status: 'success', result: { result: 4 } })
  })

  it('streams SSE frames when the request accepts text/event-stream', async () => {
    const res = await alice.send('/workflows/math/stream', {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      json: { inputData: { a: 2, b: 3 } },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect(res.text).not.toContain('\x1e')
    expect(res.text.startsWith('data: {')).toBe(true)
    const events = sseFrames(res.text)
    expect(events.map((e) => e.type)).toEqual(MATH_EVENTS)
    const runId = events[0].runId
    expect(events.every((e) => e.runId === runId && e.from === 'WORKFLOW')).toBe(true)
    expect(events[5].payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { result: 10 } })
    expect((await alice.run('math', runId)).status).toBe('success')
  })

  it('emits workflow-step-suspended and ends with a suspended finish', async () => {
    const res = await alice.post('/workflows/refund/stream?runId=wait', { inputData: { amount: 30 } })
    const events = recordFrames(res.text)
    expect(events.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-suspended', 'workflow-finish'])
    expect(events[2].payload).toMatchObject({ id: 'approval', status: 'suspended', suspendPayload: { reason: 'Refund of 30 needs approval' } })
    expect(events[3].payload).toEqual({ workflowStatus: 'suspended', suspended: [['approval']] })
    expect((await alice.run('refund', 'wait')).status).toBe('suspended')
  })

  it('refuses bad input with a 400 before streaming anything', async () => {
    const res = await alice.post('/workflows/math/stream?runId=bad', { inputData: { a: 1 } })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.body.issues.map((i: { field: string }) => i.field)).toEqual(['inputData.b'])
    expect((await alice.get('/workflows/math/runs/bad')).status).toBe(404)
  })

  it('refuses to stream a run id that already ran, with a 409', async () => {
    await alice.post('/workflows/math/start-async?runId=once', { inputData: { a: 1, b: 1 } })
    const res = await alice.post('/workflows/math/stream?runId=once', { inputData: { a: 1, b: 1 } })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('CONFLICT')
  })

  it('keeps the run going when the client disconnects mid-stream; it completes and stays queryable', async () => {
    const stream = await app.openStream('/workflows/held/stream?runId=kept', ALICE, { inputData: { n: 7 } })
    expect(stream.response.statusCode).toBe(200)
    const gate = app.gates.of('kept')
    await gate.started
    stream.disconnect()
    await eventually(() => gate.requestSignal?.aborted)
    expect(gate.stepAborted).toBe(false)
    expect((await alice.run('held', 'kept')).status).toBe('running')
    gate.open()
    const state = await alice.waitFor('held', 'kept', 'success')
    expect(state.result).toEqual({ n: 7 })
    expect(gate.stepAborted).toBe(false)
  })

  it('cancels the run on disconnect when asked with ?cancelOnDisconnect=true', async () => {
    const stream = await app.openStream('/workflows/held/stream?runId=dropped&cancelOnDisconnect=true', ALICE, { inputData: { n: 1 } })
    expect(stream.response.statusCode).toBe(200)
    const gate = app.gates.of('dropped')
    await gate.started
    stream.disconnect()
    const state = await alice.waitFor('held', 'dropped', 'canceled')
    expect(gate.stepAborted).toBe(true)
    expect(state.steps.wait.status).toBe('canceled')
    expect(state.result).toBeUndefined()
  })

  it('ends the stream with a canceled finish when the run is canceled through the cancel route', async () => {
    const stream = await app.openStream('/workflows/held/stream?runId=stopped', ALICE, { inputData: { n: 5 } })
    const body = readAll(stream.response)
    await app.gates.of('stopped').started
    expect((await alice.post('/workflows/held/runs/stopped/cancel')).status).toBe(200)
    const events = recordFrames(await body)
    expect(events.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-finish'])
    expect(events[2].payload).toMatchObject({ id: 'wait', status: 'canceled' })
    expect(events[3].payload).toEqual({ workflowStatus: 'canceled' })
    expect(app.gates.of('stopped').stepAborted).toBe(true)
  })

  it('delivers the events written before the gate, then the rest, to a client that stays', async () => {
    const stream = await app.openStream('/workflows/held/stream?runId=stay', ALICE, { inputData: { n: 2 } })
    expect(stream.response.headers['content-type']).toBe('text/plain; charset=utf-8')
    const body = readAll(stream.response)
    await app.gates.of('stay').started
    app.gates.of('stay').open()
    const events = recordFrames(await body)
    expect(events.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-finish'])
    expect(events[3].payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { n: 2 } })
  })
})
