import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hosts, PREFIX, type TestHost } from '../harness/hosts.js'
import { call, eventually } from '../harness/http.js'
import { installTracing } from '../harness/tracing.js'
import { coreMountOptions, coreRuntime } from './core-fixture.js'
import { ALICE, startWorkflowApp, type WorkflowApp } from './workflows-fixture.js'

const tracing = installTracing()
afterAll(() => tracing.uninstall())

describe.each(hosts)('traces on $name', (factory) => {
  let host: TestHost
  const api = (path: string) => `${host.url}${PREFIX}${path}`

  beforeAll(async () => {
    host = await factory.create({ runtime: coreRuntime(), mount: coreMountOptions })
  })
  afterAll(() => host?.close())
  beforeEach(() => tracing.reset())

  it('names the route with its mount prefix, its ids and the resource on the host server span', async () => {
    const res = await call(api('/items/abc?verbose=true'), { headers: { authorization: 'Bearer alice-token' } })
    expect(res.status).toBe(200)
    const server = await eventually(() => tracing.server(`${PREFIX}/items/abc`))
    expect(server.attributes).toMatchObject({
      'http.route': `${PREFIX}/items/:id`,
      'agentmount.resource.id': 'alice',
    })
  })
})

describe.each(hosts)('workflow traces on $name', (factory) => {
  let app: WorkflowApp
  beforeAll(async () => {
    app = await startWorkflowApp(factory)
  })
  afterAll(() => app?.close())
  beforeEach(() => tracing.reset())

  it('traces a run that suspends, then its resume in a later trace linked to the first', async () => {
    const alice = app.as(ALICE)
    const started = await alice.post('/workflows/refund/start-async?runId=traced', { inputData: { amount: 40 } })
    expect(started.body.status).toBe('suspended')
    const first = await eventually(() => tracing.spans().find((s) => s.name === 'invoke_workflow refund'))
    const startServer = await eventually(() => tracing.server(`${PREFIX}/workflows/refund/start-async`))
    expect(first.parentSpanContext?.spanId).toBe(startServer.spanContext().spanId)
    expect(first.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'agentmount.workflow.id': 'refund',
      'agentmount.run.id': 'traced',
      'agentmount.resource.id': 'alice',
      'agentmount.workflow.status': 'suspended',
    })
    const approval = tracing.span('execute_step approval')
    expect(approval.parentSpanContext?.spanId).toBe(first.spanContext().spanId)
    expect(approval.attributes).toMatchObject({ 'agentmount.workflow.step.status': 'suspended', 'agentmount.workflow.step.attempt': 1 })
    expect(approval.attributes['agentmount.workflow.step.resumed']).toBeUndefined()
    tracing.reset()

    const resumed = await alice.post('/workflows/refund/resume-async?runId=traced', { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } })
    expect(resumed.body.status).toBe('success')
    const second = await eventually(() => tracing.spans().find((s) => s.name === 'invoke_workflow refund'))
    expect(second.spanContext().traceId).not.toBe(first.spanContext().traceId)
    expect(second.links.map((l) => l.context.spanId)).toEqual([first.spanContext().spanId])
    expect(second.attributes['agentmount.workflow.status']).toBe('success')
    const steps = tracing.children(second).map((s) => [s.name, s.attributes['agentmount.workflow.step.status'], s.attributes['agentmount.workflow.step.resumed']])
    expect(steps).toEqual([
      ['execute_step approval', 'success', true],
      ['execute_step settle', 'success', undefined],
    ])
  })
})
