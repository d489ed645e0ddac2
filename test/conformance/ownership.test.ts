import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { NeutralRequest } from '../../src/http/route.js'
import { hosts, hostUser } from '../harness/hosts.js'
import { ALICE, BOB, startSafetyApp, type SafetyApp } from './safety-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const SERVICE = 'service-token'

describe.each(hosts)('ownership and default scoping on $name', (factory) => {
  describe('workflow runs', () => {
    let app: SafetyApp
    beforeEach(async () => {
      app = await startSafetyApp(factory)
    })
    afterEach(() => closeClean(app))

    it('never lets a start racing the owner’s create-run take over the owner’s run', async () => {
      const alice = app.as(ALICE)
      const bob = app.as(BOB)
      const pairs = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const runId = `race-${i}`
          const [created, started] = await Promise.all([
            alice.post(`/workflows/echo/create-run?runId=${runId}`, {}),
            bob.post(`/workflows/echo/start-async?runId=${runId}`, { inputData: { data: 'bob' } }),
          ])
          return { runId, created, started }
        }),
      )
      for (const { runId, created, started } of pairs) {
        // Exactly one of them gets the run id; bob never gets alice's run.
        if (created.status === 200) {
          expect([404, 409], runId).toContain(started.status)
          expect(started.text).not.toContain('"status"')
          const run = await alice.get(`/workflows/echo/runs/${runId}`)
          expect(run.body.status, runId).toBe('pending')
          const ran = await alice.post(`/workflows/echo/start-async?runId=${runId}`, { inputData: { data: 'alice' } })
          expect(ran.body.result, runId).toEqual({ data: 'alice' })
        } else {
          expect(created.status, runId).toBe(409)
          expect(started.status, runId).toBe(200)
          expect((await alice.get(`/workflows/echo/runs/${runId}`)).status).toBe(404)
        }
      }
    })

    it('answers 404 to start, stream, resume, cancel and restart of another resource’s run', async () => {
      const alice = app.as(ALICE)
      const bob = app.as(BOB)
      expect((await alice.post('/workflows/echo/create-run?runId=mine', {})).status).toBe(200)
      const attempts = [
        bob.post('/workflows/echo/start-async?runId=mine', { inputData: { data: 'x' } }),
        bob.post('/workflows/echo/start?runId=mine', { inputData: { data: 'x' } }),
        bob.post('/workflows/echo/stream?runId=mine', { inputData: { data: 'x' } }),
        bob.post('/workflows/echo/resume-async?runId=mine', { resumeData: {} }),
        bob.post('/workflows/echo/resume?runId=mine', { resumeData: {} }),
        bob.post('/workflows/echo/runs/mine/cancel'),
        bob.post('/workflows/echo/runs/mine/restart'),
      ]
      for (const res of await Promise.all(attempts)) {
        expect(res.status).toBe(404)
        expect(res.body).toEqual({ error: 'Workflow run mine not found', code: 'NOT_FOUND' })
      }
      const run = await alice.get('/workflows/echo/runs/mine')
      expect(run.body.status).toBe('pending')
    })
  })

  describe('scoping without a resourceId hook', () => {
    let app: SafetyApp
    afterEach(async () => {
      await app.close()
    })

    const authenticate = (req: NeutralRequest) =>
      req.headers.authorization === `Bearer ${SERVICE}` ? { name: 'nightly job' } : (hostUser(req.host) ?? null)

    it('scopes memory and runs to the principal’s id when the app gives only authenticate', async () => {
      app = await startSafetyApp(factory, { auth: { authenticate: (req) => authenticate(req) } })
      const alice = app.as(ALICE)
      const bob = app.as(BOB)
      expect((await alice.post('/memory/threads', { threadId: 'a1', resourceId: 'bob' })).body.resourceId).toBe('alice')
      expect((await bob.get('/memory/threads')).body.threads).toEqual([])
      expect((await bob.get('/memory/threads?resourceId=alice')).body.threads).toEqual([])
      expect((await bob.get('/memory/threads/a1')).status).toBe(404)
      expect((await bob.send('/memory/threads/a1', { method: 'DELETE' })).status).toBe(404)
      expect((await alice.get('/memory/threads/a1')).status).toBe(200)
      await alice.post('/workflows/echo/create-run?runId=r1', {})
      expect((await bob.get('/workflows/echo/runs/r1')).status).toBe(404)
      expect((await bob.get('/workflows/echo/runs')).body.runs).toEqual([])
      expect(app.unexpected).toEqual([])
    })

    it('answers 500 and tells onError how to fix it when a principal has no usable id', async () => {
      app = await startSafetyApp(factory, { auth: { authenticate: (req) => authenticate(req) } })
      const res = await app.as(SERVICE).get('/memory/threads')
      expect(res.status).toBe(500)
      expect(res.body).toEqual({ error: 'Internal server error', code: 'INTERNAL' })
      expect(app.unexpected).toHaveLength(1)
      expect(String(app.unexpected[0])).toMatch(/no usable `id`.*auth\.resourceId/)
    })

    it('serves unscoped data only when the app’s resourceId hook returns undefined', async () => {
      const admin = await startSafetyApp(factory, {
        auth: { authenticate: (req) => authenticate(req), resourceId: () => undefined },
      })
      try {
        await admin.as(ALICE).post('/memory/threads', { threadId: 'a1', resourceId: 'alice' })
        const list = await admin.as(BOB).get('/memory/threads')
        expect(list.body.threads.map((t: { id: string }) => t.id)).toEqual(['a1'])
        expect((await admin.as(SERVICE).get('/memory/threads/a1')).status).toBe(200)
        expect(admin.unexpected).toEqual([])
      } finally {
        await admin.close()
      }
      app = await startSafetyApp(factory, { auth: { authenticate: () => ({ id: 42, name: 'numbered' }) } })
      expect((await app.as(ALICE).post('/memory/threads', { threadId: 'n1' })).body.resourceId).toBe('42')
    })
  })
})
