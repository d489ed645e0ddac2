import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ALICE, BOB, startWorkflowApp, type WorkflowApp, type WorkflowClient } from './workflows-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const approve = { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } }
const runIds = (res: { body: any }) => res.body.runs.map((r: { runId: string }) => r.runId)

// These apps parse JSON themselves before the mount, so the host-parsed body path is covered too.
describe.each(hosts)('workflow runs scoped to their resource on $name', (factory) => {
  let app: WorkflowApp
  let alice: WorkflowClient
  let bob: WorkflowClient

  beforeEach(async () => {
    app = await startWorkflowApp(factory, { parser: true })
    alice = app.as(ALICE)
    bob = app.as(BOB)
  })
  afterEach(() => closeClean(app))

  it('lists only the caller’s runs, whatever ?resourceId it sends', async () => {
    await alice.post('/workflows/math/start-async?runId=a1', { inputData: { a: 1, b: 1 } })
    await alice.post('/workflows/math/create-run?runId=a2', {})
    await bob.post('/workflows/math/start-async?runId=b1', { inputData: { a: 2, b: 2 } })
    for (const query of ['', '?resourceId=bob', '?status=success']) {
      const mine = await alice.get(`/workflows/math/runs${query}`)
      expect(runIds(mine), query).toEqual(query === '?status=success' ? ['a1'] : ['a2', 'a1'])
    }
    const theirs = await bob.get('/workflows/math/runs?resourceId=alice')
    expect(runIds(theirs)).toEqual(['b1'])
    expect(theirs.body.total).toBe(1)
    expect(theirs.body.runs[0].resourceId).toBe('bob')
  })

  it('creates a run for the caller even when the body names another resource', async () => {
    const created = await alice.post('/workflows/math/create-run?runId=forged', { resourceId: 'bob' })
    expect(created.status).toBe(200)
    expect((await alice.run('math', 'forged')).resourceId).toBe('alice')
    expect(runIds(await bob.get('/workflows/math/runs'))).toEqual([])
    expect((await bob.get('/workflows/math/runs/forged')).status).toBe(404)
    expect((await bob.post('/workflows/math/start-async?runId=forged', { inputData: { a: 1, b: 1 } })).status).toBe(404)
    const started = await alice.post('/workflows/math/start-async?runId=forged', { inputData: { a: 1, b: 1 } })
    expect(started.body.status).toBe('success')
  })

  it('answers 404 to every run route bob uses on alice’s run, exactly as for a missing one', async () => {
    await alice.post('/workflows/refund/start-async?runId=secret', { inputData: { amount: 99 } })
    const attempts: Array<[string, unknown?]> = [
      ['GET /workflows/refund/runs/secret'],
      ['POST /workflows/refund/resume-async?runId=secret', approve],
      ['POST /workflows/refund/resume?runId=secret', approve],
      ['POST /workflows/refund/runs/secret/cancel'],
      ['POST /workflows/refund/runs/secret/restart'],
      ['POST /workflows/refund/stream?runId=secret', { inputData: { amount: 1 } }],
      ['POST /workflows/refund/start-async?runId=secret', { inputData: { amount: 1 } }],
      ['POST /workflows/refund/start?runId=secret', { inputData: { amount: 1 } }],
      ['POST /workflows/refund/resume-no-wait?runId=secret', approve],
      ['POST /workflows/refund/restart?runId=secret', {}],
      ['POST /workflows/refund/restart-async?runId=secret', {}],
      ['DELETE /workflows/refund/runs/secret'],
    ]
    for (const [line, json] of attempts) {
      const [method, path] = line.split(' ')
      const res = await bob.send(path, { method, json })
      expect(res.status, line).toBe(404)
      expect(res.body, line).toEqual({ error: 'Workflow run secret not found', code: 'NOT_FOUND' })
      expect(res.text, line).not.toContain('99')
    }
    const taken = await bob.post('/workflows/refund/create-run?runId=secret', {})
    expect(taken.status).toBe(409)
    const state = await alice.run('refund', 'secret')
    expect(state).toMatchObject({ status: 'suspended', resourceId: 'alice', payload: { amount: 99 } })
    expect(app.log.count('secret', 'approval:resumed')).toBe(0)
    const done = await alice.post('/workflows/refund/resume-async?runId=secret', approve)
    expect(done.body).toMatchObject({ status: 'success', result: { amount: 99, status: 'refunded', tenant: 'acme' } })
  })

  it('does not let bob cancel alice’s live run', async () => {
    await alice.post('/workflows/held/start?runId=live', { inputData: { n: 1 } })
    const gate = app.gates.of('live')
    await gate.started
    expect((await bob.post('/workflows/held/runs/live/cancel')).status).toBe(404)
    expect(gate.stepAborted).toBe(false)
    gate.open()
    await alice.waitFor('held', 'live', 'success')
  })

  it('answers 401 to an anonymous caller on every workflow route', async () => {
    const routes = [
      'GET /workflows',
      'GET /workflows/math',
      'POST /workflows/math/create-run',
      'POST /workflows/math/start-async',
      'POST /workflows/math/start?runId=x',
      'POST /workflows/math/stream',
      'POST /workflows/math/resume-async?runId=x',
      'POST /workflows/math/resume?runId=x',
      'GET /workflows/math/runs',
      'GET /workflows/math/runs/x',
      'POST /workflows/math/runs/x/cancel',
      'POST /workflows/math/runs/x/restart',
    ]
    for (const line of routes) {
      const [method, path] = line.split(' ')
      const res = await app.as().send(path, { method, ...(method === 'POST' ? { json: { inputData: { a: 1, b: 1 } } } : {}) })
      expect(res.status, line).toBe(401)
      expect(res.body, line).toEqual({ error: 'Authentication required', code: 'UNAUTHENTICATED' })
    }
    expect((await alice.get('/workflows/math/runs')).body.total).toBe(0)
  })
})

describe.each(hosts)('bad workflow input never answers 500 on $name', (factory) => {
  let app: WorkflowApp
  let alice: WorkflowClient

  beforeEach(async () => {
    app = await startWorkflowApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  it('answers 400 BAD_JSON for malformed JSON on every body route', async () => {
    await alice.post('/workflows/refund/start-async?runId=s', { inputData: { amount: 5 } })
    for (const path of [
      '/workflows/math/create-run',
      '/workflows/math/start-async',
      '/workflows/math/start?runId=j1',
      '/workflows/math/stream',
      '/workflows/refund/resume-async?runId=s',
      '/workflows/refund/resume?runId=s',
    ]) {
      const res = await alice.send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputData": {' })
      expect(res.status, path).toBe(400)
      expect(res.body.code, path).toBe('BAD_JSON')
    }
    expect((await alice.run('refund', 's')).status).toBe('suspended')
    expect((await alice.get('/workflows/math/runs')).body.total).toBe(0)
  })

  it('answers 400 naming the field for values of the wrong type', async () => {
    await alice.post('/workflows/refund/start-async?runId=s', { inputData: { amount: 5 } })
    const cases: Array<[string, unknown, string[]]> = [
      ['/workflows/math/start-async', { inputData: 5 }, ['inputData']],
      ['/workflows/math/start-async', {}, ['inputData']],
      ['/workflows/math/start-async', { inputData: [1, 2] }, ['inputData']],
      ['/workflows/refund/start-async', { inputData: { amount: -3 } }, ['inputData.amount']],
      ['/workflows/math/stream', { inputData: 'a+b' }, ['inputData']],
      ['/workflows/math/start?runId=w1', { inputData: null }, ['inputData']],
      ['/workflows/math/create-run', { resourceId: 5 }, ['resourceId']],
      ['/workflows/refund/resume-async?runId=s', { step: 5, resumeData: approve.resumeData }, ['step']],
      ['/workflows/refund/resume-async?runId=s', { step: [], resumeData: approve.resumeData }, ['step']],
      ['/workflows/refund/resume-async?runId=s', { step: 'approval', resumeData: 'yes' }, ['resumeData']],
    ]
    for (const [path, json, expected] of cases) {
      const res = await alice.post(path, json)
      const label = `${path} ${JSON.stringify(json)}`
      expect(res.status, label).toBe(400)
      expect(res.body.code, label).toBe('VALIDATION_ERROR')
      expect(res.body.issues.map((i: { field: string }) => i.field), label).toEqual(expected)
    }
    expect((await alice.run('refund', 's')).status).toBe('suspended')
    expect((await alice.get('/workflows/math/runs')).body.total).toBe(0)
  })

  it('answers 400 for bad query values and 4xx for bodies that are not JSON objects', async () => {
    for (const path of [
      '/workflows/math/runs?perPage=0',
      '/workflows/math/runs?perPage=many',
      '/workflows/math/runs?page=-1',
      '/workflows/math/runs?status=exploded',
    ]) {
      const res = await alice.get(path)
      expect(res.status, path).toBe(400)
      expect(res.body.code, path).toBe('VALIDATION_ERROR')
    }
    for (const path of ['/workflows/math/start?runId=', '/workflows/math/start-async?runId=a&runId=b', '/workflows/math/stream?cancelOnDisconnect=maybe']) {
      const res = await alice.post(path, { inputData: { a: 1, b: 1 } })
      expect(res.status, path).toBe(400)
    }
    for (const json of [[{ inputData: { a: 1, b: 1 } }], 'inputData', 42]) {
      const res = await alice.post('/workflows/math/start-async', json)
      expect(res.status, JSON.stringify(json)).toBe(400)
    }
    const text = await alice.send('/workflows/math/start-async', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a=1' })
    expect(text.status).toBe(415)
    expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    expect((await alice.get('/workflows/math/runs')).body.total).toBe(0)
  })
})
