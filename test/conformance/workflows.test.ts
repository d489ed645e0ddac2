import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { ALICE, BOB, startWorkflowApp, type WorkflowApp, type WorkflowClient } from './workflows-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const jsonSchema = (text: string) => JSON.parse(text).json

describe.each(hosts)('workflows on $name', (factory) => {
  let app: WorkflowApp
  let alice: WorkflowClient

  beforeEach(async () => {
    app = await startWorkflowApp(factory)
    alice = app.as(ALICE)
  })
  afterEach(() => closeClean(app))

  describe('the catalogue', () => {
    it('lists every workflow by key with its steps and schemas as JSON-schema strings', async () => {
      const res = await alice.get('/workflows')
      expect(res.status).toBe(200)
      expect(Object.keys(res.body)).toEqual(['math', 'refund', 'review', 'held', 'pipeline'])
      const math = res.body.math
      expect(math).toEqual({
        name: 'math',
        description: 'Adds, then doubles the sum',
        steps: {
          add: { id: 'add', description: 'Adds a and b', inputSchema: expect.any(String), outputSchema: expect.any(String) },
          multiply: { id: 'multiply', inputSchema: expect.any(String), outputSchema: expect.any(String) },
        },
        inputSchema: expect.any(String),
        outputSchema: expect.any(String),
      })
      expect(jsonSchema(math.inputSchema)).toMatchObject({
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { a: { type: 'number' }, b: { type: 'number' } },
        required: ['a', 'b'],
      })
      expect(jsonSchema(math.steps.multiply.outputSchema)).toMatchObject({ properties: { result: { type: 'number' } } })
    })

    it('describes one workflow, including the resume and suspend schemas of its steps', async () => {
      const res = await alice.get('/workflows/refund')
      expect(res.status).toBe(200)
      expect(res.body.name).toBe('refund')
      expect(Object.keys(res.body.steps)).toEqual(['approval', 'settle'])
      const approval = res.body.steps.approval
      expect(jsonSchema(approval.resumeSchema)).toMatchObject({ required: ['approved', 'approver'] })
      expect(jsonSchema(approval.suspendSchema)).toMatchObject({ properties: { reason: { type: 'string' } } })
      expect(res.body).toEqual((await alice.get('/workflows')).body.refund)
    })

    it('answers 404 in the envelope for an unknown workflow on every route', async () => {
      const requests: Array<[string, string]> = [
        ['GET', '/workflows/nope'],
        ['POST', '/workflows/nope/create-run'],
        ['POST', '/workflows/nope/start-async'],
        ['POST', '/workflows/nope/start?runId=r1'],
        ['POST', '/workflows/nope/stream'],
        ['POST', '/workflows/nope/resume-async?runId=r1'],
        ['GET', '/workflows/nope/runs'],
        ['GET', '/workflows/nope/runs/r1'],
        ['POST', '/workflows/nope/runs/r1/cancel'],
      ]
      for (const [method, path] of requests) {
        const res = await alice.send(path, { method, ...(method === 'POST' ? { json: { inputData: { a: 1, b: 2 } } } : {}) })
        expect(res.status, `${method} ${path}`).toBe(404)
        expect(res.body, `${method} ${path}`).toEqual({ error: 'Workflow with id nope not found', code: 'NOT_FOUND' })
      }
    })

    it('answers 404 for an unknown run on every run route', async () => {
      const requests: Array<[string, string, unknown?]> = [
        ['GET', '/workflows/math/runs/ghost'],
        ['POST', '/workflows/math/runs/ghost/cancel'],
        ['POST', '/workflows/math/runs/ghost/restart'],
        ['POST', '/workflows/refund/resume-async?runId=ghost', { step: 'approval', resumeData: { approved: true } }],
        ['POST', '/workflows/refund/resume?runId=ghost', { step: 'approval', resumeData: { approved: true } }],
      ]
      for (const [method, path, json] of requests) {
        const res = await alice.send(path, { method, json })
        expect(res.status, `${method} ${path}`).toBe(404)
        expect(res.body, `${method} ${path}`).toEqual({ error: 'Workflow run ghost not found', code: 'NOT_FOUND' })
      }
    })
  })

  describe('creating and starting runs', () => {
    it('creates a run under the given ?runId, or a generated one, stored as pending', async () => {
      const named = await alice.post('/workflows/math/create-run?runId=mine', {})
      expect(named.status).toBe(200)
      expect(named.body).toEqual({ runId: 'mine' })
      const generated = await alice.post('/workflows/math/create-run')
      expect(generated.status).toBe(200)
      expect(Object.keys(generated.body)).toEqual(['runId'])
      expect(generated.body.runId).toMatch(UUID)
      expect((await alice.run('math', 'mine')).status).toBe('pending')
      expect((await alice.run('math', generated.body.runId)).status).toBe('pending')
    })

    it('answers a run id the caller already has with that run, unchanged, as Mastra clients expect', async () => {
      await alice.post('/workflows/math/create-run?runId=twice', {})
      const again = await alice.post('/workflows/math/create-run?runId=twice', {})
      expect(again.status).toBe(200)
      expect(again.body).toEqual({ runId: 'twice' })
      expect((await alice.run('math', 'twice')).status).toBe('pending')
      await alice.post('/workflows/math/start-async?runId=done', { inputData: { a: 1, b: 1 } })
      expect((await alice.post('/workflows/math/create-run?runId=done', {})).body).toEqual({ runId: 'done' })
      expect(await alice.run('math', 'done')).toMatchObject({ status: 'success', result: { result: 4 } })
    })

    it('answers 409 CONFLICT for a run id another resource has', async () => {
      await alice.post('/workflows/math/create-run?runId=taken', {})
      const theirs = await app.as(BOB).post('/workflows/math/create-run?runId=taken', {})
      expect(theirs.status).toBe(409)
      expect(theirs.body.code).toBe('CONFLICT')
      expect((await alice.run('math', 'taken')).resourceId).toBe('alice')
    })

    it('starts a run id once when two start-async requests race for it', async () => {
      const [a, b] = await Promise.all([
        alice.post('/workflows/math/start-async?runId=raced', { inputData: { a: 1, b: 1 } }),
        alice.post('/workflows/math/start-async?runId=raced', { inputData: { a: 2, b: 2 } }),
      ])
      expect([a.status, b.status].sort()).toEqual([200, 409])
      expect(app.log.count('raced', 'add')).toBe(1)
      expect((await alice.run('math', 'raced')).result).toEqual((a.status === 200 ? a : b).body.result)
    })

    it('runs a created run with start-async and returns the run result', async () => {
      const { runId } = (await alice.post('/workflows/math/create-run', {})).body
      const res = await alice.post(`/workflows/math/start-async?runId=${runId}`, { inputData: { a: 4, b: 5 } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(Object.keys(res.body).sort()).toEqual(['input', 'result', 'runId', 'status', 'steps'])
      expect(res.body).toMatchObject({ status: 'success', input: { a: 4, b: 5 }, result: { result: 18 }, runId })
      expect(Object.keys(res.body.steps)).toEqual(['add', 'multiply'])
      for (const [id, output] of [['add', { sum: 9 }], ['multiply', { result: 18 }]] as const) {
        const step = res.body.steps[id]
        expect(step).toEqual({ status: 'success', output, startedAt: expect.any(Number), endedAt: expect.any(Number) })
        expect(step.endedAt).toBeGreaterThanOrEqual(step.startedAt)
      }
      const again = await alice.post(`/workflows/math/start-async?runId=${runId}`, { inputData: { a: 1, b: 1 } })
      expect(again.status).toBe(409)
      expect(again.body.code).toBe('CONFLICT')
      expect(app.log.count(runId, 'add')).toBe(1)
    })

    it('start-async without ?runId makes a new run and reports its id', async () => {
      const res = await alice.post('/workflows/math/start-async', { inputData: { a: 1, b: 2 } })
      expect(res.status).toBe(200)
      expect(res.body.runId).toMatch(UUID)
      expect(res.body.result).toEqual({ result: 6 })
      expect((await alice.run('math', res.body.runId)).status).toBe('success')
    })

    it('answers 400 with inputData field paths for bad input and never stores a failed run', async () => {
      const res = await alice.post('/workflows/math/start-async?runId=bad', { inputData: { a: 'one' } })
      expect(res.status).toBe(400)
      expect(res.body.code).toBe('VALIDATION_ERROR')
      expect(res.body.issues.map((i: { field: string }) => i.field)).toEqual(['inputData.a', 'inputData.b'])
      expect((await alice.get('/workflows/math/runs')).body).toEqual({ runs: [], total: 0 })
      expect((await alice.get('/workflows/math/runs/bad')).status).toBe(404)
      expect(app.log.entries).toEqual([])
      const retry = await alice.post('/workflows/math/start-async?runId=bad', { inputData: { a: 1, b: 1 } })
      expect(retry.body.status).toBe('success')
    })

    it('starts in the background with /start and the run is polled to success', async () => {
      const res = await alice.post('/workflows/held/start?runId=bg', { inputData: { n: 3 } })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ message: 'Workflow run started' })
      await app.gates.of('bg').started
      expect((await alice.run('held', 'bg')).status).toBe('running')
      app.gates.of('bg').open()
      const state = await alice.waitFor('held', 'bg', 'success')
      expect(state).toMatchObject({ runId: 'bg', workflowName: 'held', resourceId: 'alice', payload: { n: 3 }, result: { n: 3 } })
      expect(state.createdAt).toMatch(ISO_DATE)
      expect(state.updatedAt).toMatch(ISO_DATE)
      expect(state.steps.wait).toMatchObject({ status: 'success', output: { n: 3 } })
    })

    it('requires ?runId on /start and validates its input before answering', async () => {
      const missing = await alice.post('/workflows/math/start', { inputData: { a: 1, b: 1 } })
      expect(missing.status).toBe(400)
      expect(missing.body.issues.map((i: { field: string }) => i.field)).toEqual(['runId'])
      const bad = await alice.post('/workflows/math/start?runId=s1', { inputData: { a: 1 } })
      expect(bad.status).toBe(400)
      expect(bad.body.issues.map((i: { field: string }) => i.field)).toEqual(['inputData.b'])
      expect((await alice.get('/workflows/math/runs')).body.total).toBe(0)
    })
  })

  describe('listing runs', () => {
    it('lists runs newest first with total, a ?status filter and pages', async () => {
      for (const a of [1, 2, 3]) await alice.post(`/workflows/math/start-async?runId=m${a}`, { inputData: { a, b: 0 } })
      await alice.post('/workflows/math/create-run?runId=waiting', {})
      const all = await alice.get('/workflows/math/runs')
      expect(all.status).toBe(200)
      expect(all.body.total).toBe(4)
      expect(all.body.runs.map((r: { runId: string }) => r.runId)).toEqual(['waiting', 'm3', 'm2', 'm1'])
      expect(all.body.runs[1]).toMatchObject({ runId: 'm3', workflowName: 'math', status: 'success', payload: { a: 3, b: 0 }, result: { result: 6 } })

      const page = await alice.get('/workflows/math/runs?status=success&perPage=2&page=0')
      expect(page.body.total).toBe(3)
      expect(page.body.runs.map((r: { runId: string }) => r.runId)).toEqual(['m3', 'm2'])
      const next = await alice.get('/workflows/math/runs?status=success&perPage=2&page=1')
      expect(next.body.total).toBe(3)
      expect(next.body.runs.map((r: { runId: string }) => r.runId)).toEqual(['m1'])
      const pending = await alice.get('/workflows/math/runs?status=pending')
      expect(pending.body).toMatchObject({ total: 1, runs: [{ runId: 'waiting', status: 'pending' }] })
      expect((await alice.get('/workflows/refund/runs')).body).toEqual({ runs: [], total: 0 })
    })
  })
})
