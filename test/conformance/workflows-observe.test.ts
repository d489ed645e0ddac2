import type { IncomingMessage } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hosts, PREFIX } from '../harness/hosts.js'
import { rawRequest, recordFrames, sseFrames } from '../harness/http.js'
import { ALICE, BOB, startWorkflowApp, type WorkflowApp, type WorkflowClient } from './workflows-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const approve = { step: 'approval', resumeData: { approved: true, approver: { name: 'Ada' } } }
const MATH_EVENTS = ['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start', 'workflow-step-result', 'workflow-finish']

/** A streaming response read as it arrives. */
interface Reading {
  /** Resolves with the records so far once there are at least `count`. */
  records(count: number): Promise<any[]>
  /** Resolves with every record once the response ended. */
  ended(): Promise<any[]>
}

function reading(res: IncomingMessage): Reading {
  let text = ''
  let done = false
  const waiters: Array<() => void> = []
  const wake = () => waiters.splice(0).forEach((w) => w())
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => ((text += chunk), wake()))
  res.on('end', () => ((done = true), wake()))
  const until = async (ready: () => boolean) => {
    while (!ready()) {
      if (done) throw new Error(`the stream ended first: ${text}`)
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }
  return {
    async records(count) {
      await until(() => recordFrames(text).length >= count)
      return recordFrames(text)
    },
    async ended() {
      await until(() => done)
      return recordFrames(text)
    },
  }
}

describe.each(hosts)('workflow resume-stream and observe on $name', (factory) => {
  let app: WorkflowApp
  let alice: WorkflowClient
  let bob: WorkflowClient

  beforeEach(async () => {
    app = await startWorkflowApp(factory)
    alice = app.as(ALICE)
    bob = app.as(BOB)
  })
  afterEach(() => closeClean(app))

  /** POSTs `/observe` with a raw request (no body, as @mastra/client-js sends it). */
  async function observe(query: string, token = ALICE): Promise<IncomingMessage> {
    const { req, response } = rawRequest(`${app.host.url}${PREFIX}/workflows/${query}`, { headers: { authorization: `Bearer ${token}` } })
    req.end()
    return response
  }

  describe('POST /workflows/:workflowId/resume-stream', () => {
    it('resumes a suspended run and streams the rest of it as records', async () => {
      await alice.post('/workflows/refund/start-async?runId=rs', { inputData: { amount: 12 } })
      const res = await alice.post('/workflows/refund/resume-stream?runId=rs', approve)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      const events = recordFrames(res.text)
      expect(events.map((e) => e.type)).toEqual(MATH_EVENTS)
      expect(events.every((e) => e.runId === 'rs' && e.from === 'WORKFLOW')).toBe(true)
      expect(events[1].payload).toMatchObject({ id: 'approval', status: 'running' })
      expect(events[2].payload).toMatchObject({ id: 'approval', status: 'success', output: { amount: 12, approved: true } })
      expect(events.at(-1).payload).toEqual({
        workflowStatus: 'success', finalWorkflowResult: { amount: 12, status: 'refunded', tenant: 'acme' },
      })
      expect(app.log.count('rs', 'approval:resumed')).toBe(1)
    })

    it('streams SSE frames when the request accepts text/event-stream', async () => {
      await alice.post('/workflows/refund/start-async?runId=rs-sse', { inputData: { amount: 3 } })
      const res = await alice.send('/workflows/refund/resume-stream?runId=rs-sse', {
        method: 'POST', headers: { accept: 'text/event-stream' }, json: approve,
      })
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(sseFrames(res.text).map((e) => e.type)).toEqual(MATH_EVENTS)
    })

    it('refuses before streaming: 400 for bad resume data, 409 when not suspended, 404 for another resource’s run', async () => {
      await alice.post('/workflows/refund/start-async?runId=rs-x', { inputData: { amount: 3 } })
      const bad = await alice.post('/workflows/refund/resume-stream?runId=rs-x', { step: 'approval', resumeData: {} })
      expect(bad.status).toBe(400)
      expect(bad.headers.get('content-type')).toMatch(/^application\/json/)
      expect(bad.body.issues.map((issue: any) => issue.field)).toContain('resumeData.approved')
      expect((await bob.post('/workflows/refund/resume-stream?runId=rs-x', approve)).body).toEqual({
        error: 'Workflow run rs-x not found', code: 'NOT_FOUND',
      })
      await alice.post('/workflows/refund/resume-stream?runId=rs-x', approve)
      const again = await alice.post('/workflows/refund/resume-stream?runId=rs-x', approve)
      expect(again.status).toBe(409)
      expect(again.body.code).toBe('CONFLICT')
      expect((await alice.post('/workflows/refund/resume-stream', approve)).status).toBe(400)
    })
  })

  describe('POST /workflows/:workflowId/observe', () => {
    it('joins a running run: what it emitted so far, then live until it ends', async () => {
      await alice.post('/workflows/pipeline/start?runId=live', { inputData: { n: 1 } })
      await app.gates.of('live').started
      const watcher = reading(await observe('pipeline/observe?runId=live'))
      const sofar = await watcher.records(4)
      expect(sofar.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-result', 'workflow-step-start'])
      expect(sofar[3].payload).toMatchObject({ id: 'slow' })
      app.gates.of('live').open()
      const all = await watcher.ended()
      expect(all.map((e) => e.type)).toEqual([...MATH_EVENTS.slice(0, 5), 'workflow-step-start', 'workflow-step-result', 'workflow-finish'])
      expect(all.at(-1).payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { n: 25 } })
    })

    it('replays a finished run exactly as its stream delivered it, from ?offset when given', async () => {
      const streamed = recordFrames((await alice.post('/workflows/math/stream?runId=done', { inputData: { a: 1, b: 2 } })).text)
      const replay = await observe('math/observe?runId=done')
      expect(replay.statusCode).toBe(200)
      expect(replay.headers['content-type']).toBe('text/plain; charset=utf-8')
      expect(await reading(replay).ended()).toEqual(streamed)
      expect(await reading(await observe('math/observe?runId=done&offset=4')).ended()).toEqual(streamed.slice(4))
      expect(await reading(await observe('math/observe?runId=done&offset=99')).ended()).toEqual([])
    })

    it('replays runs started without a stream, and every execution of a resumed run in order', async () => {
      await alice.post('/workflows/refund/start-async?runId=twice', { inputData: { amount: 4 } })
      await alice.post('/workflows/refund/resume-async?runId=twice', approve)
      const events = await reading(await observe('refund/observe?runId=twice')).ended()
      expect(events.map((e) => e.type)).toEqual([
        'workflow-start', 'workflow-step-start', 'workflow-step-suspended', 'workflow-finish',
        ...MATH_EVENTS,
      ])
      expect(events[3].payload).toMatchObject({ workflowStatus: 'suspended', suspended: [['approval']] })
      expect(events.at(-1).payload).toMatchObject({ workflowStatus: 'success' })
    })

    it('keeps the run going when its stream’s client goes away; another connection sees it finish', async () => {
      const stream = await app.openStream('/workflows/pipeline/stream?runId=left', ALICE, { inputData: { n: 1 } })
      expect(stream.response.statusCode).toBe(200)
      await app.gates.of('left').started
      stream.disconnect()
      const watcher = reading(await observe('pipeline/observe?runId=left'))
      await watcher.records(4)
      app.gates.of('left').open()
      expect((await watcher.ended()).at(-1).payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { n: 25 } })
    })

    it('answers a created run that never ran with an empty stream, and SSE on request', async () => {
      await alice.post('/workflows/math/create-run?runId=idle', {})
      const idle = await observe('math/observe?runId=idle')
      expect(idle.statusCode).toBe(200)
      expect(await reading(idle).ended()).toEqual([])
      await alice.post('/workflows/math/start-async?runId=sse', { inputData: { a: 1, b: 1 } })
      const res = await alice.send('/workflows/math/observe?runId=sse', { method: 'POST', headers: { accept: 'text/event-stream' } })
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(sseFrames(res.text).map((e) => e.type)).toEqual(MATH_EVENTS)
    })

    it('answers 404 for a missing or another resource’s run, 400 without a run id or with a bad offset', async () => {
      await alice.post('/workflows/math/start-async?runId=mine', { inputData: { a: 1, b: 1 } })
      const theirs = await bob.send('/workflows/math/observe?runId=mine', { method: 'POST' })
      expect(theirs.status).toBe(404)
      expect(theirs.body).toEqual({ error: 'Workflow run mine not found', code: 'NOT_FOUND' })
      expect((await alice.send('/workflows/math/observe?runId=none', { method: 'POST' })).body).toEqual({
        error: 'Workflow run none not found', code: 'NOT_FOUND',
      })
      for (const path of ['/workflows/math/observe', '/workflows/math/observe?runId=mine&offset=-1', '/workflows/math/observe?runId=mine&offset=x']) {
        const res = await alice.send(path, { method: 'POST' })
        expect(res.status, path).toBe(400)
        expect(res.body.code, path).toBe('VALIDATION_ERROR')
      }
      expect((await alice.send('/workflows/nope/observe?runId=mine', { method: 'POST' })).body).toEqual({
        error: 'Workflow with id nope not found', code: 'NOT_FOUND',
      })
    })
  })
})
