import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { eventually, rawRequest, readAll, sseFrames } from '../harness/http.js'
import { ALICE, BOB, HELD, openStream, startAgentApp, type AgentApp } from './agents-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

/** An SSE body as its frames, each with the id EventSource gives it: the last `id:` seen before its data. */
function framesWithIds(text: string): Array<{ id: number | undefined; data: any }> {
  let lastId: number | undefined
  const frames: Array<{ id: number | undefined; data: any }> = []
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n')
    const id = lines.find((line) => line.startsWith('id: '))
    if (id !== undefined) lastId = Number(id.slice(4))
    const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n')
    if (data === '') continue
    frames.push({ id: lastId, data: data === '[DONE]' ? data : JSON.parse(data) })
  }
  return frames
}

/** GETs an SSE route with a raw request, so headers like Last-Event-ID go out as given. */
async function getSse(url: string, headers: Record<string, string> = {}, token = ALICE): Promise<{ status: number; text: string }> {
  const { req, response } = rawRequest(url, { method: 'GET', headers: { authorization: `Bearer ${token}`, ...headers } })
  req.end()
  const res = await response
  return { status: res.statusCode ?? 0, text: await readAll(res) }
}

const textOf = (chunks: any[]) => chunks.filter((c) => c.type === 'text-delta').map((c) => c.payload.text).join('')

describe.each(hosts)('agent runs on $name', (factory) => {
  let app: AgentApp

  afterEach(() => closeClean(app))

  describe('records', () => {
    it('records a generate with its model, usage per step and in total, equal to what the model reported', async () => {
      app = await startAgentApp(factory)
      const res = await app.as(ALICE).post('/agents/support/generate', { messages: 'weather please' })
      expect(res.status).toBe(200)
      const run = (await app.as(ALICE).get(`/agents/support/runs/${res.body.runId}`)).body
      expect(run).toMatchObject({
        runId: res.body.runId, agentId: 'support', kind: 'generate', resourceId: 'alice', status: 'success', finishReason: 'stop',
        model: { provider: 'mock-provider', modelId: 'mock-model-id' }, error: null, pendingApprovals: [],
      })
      expect(run.steps.map((s: any) => s.finishReason)).toEqual(['tool-calls', 'stop'])
      // The scripted model reports 3 input and 4 output tokens per call.
      for (const step of run.steps) expect(step.usage).toMatchObject({ inputTokens: 3, outputTokens: 4, totalTokens: 7 })
      expect(run.usage).toMatchObject({ inputTokens: 6, outputTokens: 8, totalTokens: 14 })
      expect(run.usage).toMatchObject({ inputTokens: res.body.usage.inputTokens, outputTokens: res.body.usage.outputTokens })
      expect(Date.parse(run.finishedAt)).toBeGreaterThanOrEqual(Date.parse(run.createdAt))
      expect(run).not.toHaveProperty('state')
    })

    it('records stream and chat runs, lists them newest first and filters by thread and status', async () => {
      app = await startAgentApp(factory)
      const thread = randomUUID()
      const streamed = await app.as(ALICE).post('/agents/support/stream', { messages: 'hello', memory: { thread, resource: 'alice' } })
      const streamRunId = sseFrames(streamed.text)[0].runId
      const chatted = await app.as(ALICE).post('/agents/guide/chat', { id: 'c1', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] })
      expect(chatted.status).toBe(200)
      const failed = await app.as(ALICE).post('/agents/support/stream', { messages: 'explode' })
      const failedRunId = sseFrames(failed.text)[0].runId
      // The model failure reaches onError (pinned in failures.test.ts).
      expect(app.unexpected).toHaveLength(1)
      app.unexpected.length = 0

      const list = (await app.as(ALICE).get('/agents/support/runs')).body
      expect(list).toMatchObject({ total: 2, page: 0, perPage: 100, hasMore: false })
      expect(list.runs.map((r: any) => r.runId)).toEqual([failedRunId, streamRunId])
      expect(list.runs[0]).toMatchObject({ status: 'failed', kind: 'stream', error: { message: 'The model call failed' }, finishReason: 'error' })
      expect(list.runs[1]).toMatchObject({ status: 'success', threadId: thread, usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 } })
      expect((await app.as(ALICE).get(`/agents/support/runs?threadId=${thread}`)).body.runs.map((r: any) => r.runId)).toEqual([streamRunId])
      expect((await app.as(ALICE).get('/agents/support/runs?status=failed')).body.runs.map((r: any) => r.runId)).toEqual([failedRunId])
      const chat = (await app.as(ALICE).get('/agents/guide/runs')).body.runs
      expect(chat).toEqual([expect.objectContaining({ kind: 'chat', threadId: 'c1', status: 'success', usage: expect.objectContaining({ totalTokens: 7 }) })])
    })

    it('shows a resource only its own runs: another’s run is 404 on every run route', async () => {
      app = await startAgentApp(factory)
      const res = await app.as(ALICE).post('/agents/quiet/generate', { messages: 'mine' })
      const runId = res.body.runId
      expect((await app.as(BOB).get('/agents/quiet/runs')).body).toMatchObject({ runs: [], total: 0 })
      for (const [method, path] of [
        ['GET', `/agents/quiet/runs/${runId}`],
        ['GET', `/agents/quiet/runs/${runId}/stream`],
        ['POST', `/agents/quiet/runs/${runId}/cancel`],
      ]) {
        const answer = method === 'GET' ? await app.as(BOB).get(path) : await app.as(BOB).post(path)
        expect(answer.status, path).toBe(404)
        expect(answer.body.code).toBe('NOT_FOUND')
      }
      // The same run under another agent's path is not found either.
      expect((await app.as(ALICE).get(`/agents/guide/runs/${runId}`)).status).toBe(404)
      expect((await app.as(ALICE).get(`/agents/quiet/runs/${runId}`)).status).toBe(200)
    })

    it('answers 400 for a bad status or page and 404 for an unknown agent', async () => {
      app = await startAgentApp(factory)
      expect((await app.as(ALICE).get('/agents/support/runs?status=sleeping')).body.code).toBe('VALIDATION_ERROR')
      expect((await app.as(ALICE).get('/agents/support/runs?page=-1')).status).toBe(400)
      expect((await app.as(ALICE).get('/agents/nope/runs')).status).toBe(404)
    })
  })

  describe('streams with ids', () => {
    it('numbers every /stream frame and replays the run after Last-Event-ID or ?after, without gaps or duplicates', async () => {
      app = await startAgentApp(factory)
      const res = await app.as(ALICE).post('/agents/support/stream', { messages: 'weather please' })
      const frames = framesWithIds(res.text)
      expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => i + 1))
      const runId = frames[0].data.runId

      const replay = await getSse(app.url(`/agents/support/runs/${runId}/stream`))
      expect(replay.status).toBe(200)
      expect(framesWithIds(replay.text)).toEqual(frames)

      const rejoined = framesWithIds((await getSse(app.url(`/agents/support/runs/${runId}/stream`), { 'last-event-id': '3' })).text)
      expect(rejoined).toEqual(frames.slice(3))
      const after = framesWithIds((await getSse(app.url(`/agents/support/runs/${runId}/stream?after=5`))).text)
      expect(after).toEqual(frames.slice(5))
      // The header wins over the query, as a reconnecting EventSource keeps its URL.
      const both = framesWithIds((await getSse(app.url(`/agents/support/runs/${runId}/stream?after=1`), { 'last-event-id': String(frames.length) })).text)
      expect(both).toEqual([])
      expect((await getSse(app.url(`/agents/support/runs/${runId}/stream`), { 'last-event-id': 'x' })).status).toBe(400)
    })

    it('rejoins a run still generating after the client went away, the whole reply exactly once (onDisconnect: continue)', async () => {
      app = await startAgentApp(factory, { mount: { onDisconnect: 'continue' } })
      const first = await openStream(app.url('/agents/support/stream'), { messages: 'hold on', memory: { thread: randomUUID(), resource: 'alice' } })
      const seen = framesWithIds(await first.until(HELD.before.trim().split(' ').at(-1)!))
      first.disconnect()
      await eventually(() => app.models.support.held() === 1)
      const runId = seen[0].data.runId
      const lastId = seen.at(-1)!.id!
      const rejoin = getSse(app.url(`/agents/support/runs/${runId}/stream`), { 'last-event-id': String(lastId) })
      await eventually(async () => (await app.as(ALICE).get(`/agents/support/runs/${runId}`)).body.status === 'running')
      app.models.support.release()
      const rest = framesWithIds((await rejoin).text)
      expect(rest[0].id).toBe(lastId + 1)
      expect(rest.map((f) => f.id)).toEqual(rest.map((_, i) => lastId + 1 + i))
      expect(rest.at(-1)!.data.type).toBe('finish')
      expect(textOf([...seen, ...rest].map((f) => f.data))).toBe(HELD.before + HELD.after)
      expect((await app.as(ALICE).get(`/agents/support/runs/${runId}`)).body.status).toBe('success')
    })

    it('stops the run when its client goes away by default, and records it canceled', async () => {
      app = await startAgentApp(factory)
      const thread = randomUUID()
      const first = await openStream(app.url('/agents/support/stream'), { messages: 'hang on', memory: { thread, resource: 'alice' } })
      const runId = sseFrames(await first.until('partial'))[0].runId
      first.disconnect()
      await eventually(() => app.models.support.hung[0]?.aborted)
      const run = await eventually(async () => {
        const body = (await app.as(ALICE).get(`/agents/support/runs/${runId}`)).body
        return body.status === 'canceled' ? body : undefined
      })
      expect(run.finishReason).toBe('abort')
      const messages = (await app.as(ALICE).get(`/memory/threads/${thread}/messages?agentId=support`)).body.messages
      expect(messages.at(-1).content.metadata).toMatchObject({ aborted: true })
    })
  })

  describe('cancel', () => {
    it('cancels a run from a second connection: model stopped, partial reply kept in memory, status canceled', async () => {
      app = await startAgentApp(factory)
      const thread = randomUUID()
      const first = await openStream(app.url('/agents/support/stream'), { messages: 'hang on', memory: { thread, resource: 'alice' } })
      const runId = sseFrames(await first.until('partial'))[0].runId
      const canceled = await app.as(ALICE).post(`/agents/support/runs/${runId}/cancel`)
      expect(canceled.status).toBe(200)
      expect(canceled.body).toMatchObject({ runId, status: 'canceled', finishReason: 'abort' })
      expect(app.models.support.hung[0].aborted).toBe(true)
      // The first connection's stream ends.
      await expect(first.until('\n\n:never')).rejects.toThrow(/stream ended/)
      const messages = (await app.as(ALICE).get(`/memory/threads/${thread}/messages?agentId=support`)).body.uiMessages
      expect(messages.at(-1)).toMatchObject({ role: 'assistant', metadata: { aborted: true } })
      expect(messages.at(-1).parts).toContainEqual(expect.objectContaining({ type: 'text', text: 'partial ' }))
      // Canceling again is harmless; a finished run cannot be canceled.
      expect((await app.as(ALICE).post(`/agents/support/runs/${runId}/cancel`)).body.status).toBe('canceled')
      const done = await app.as(ALICE).post('/agents/quiet/generate', { messages: 'hi' })
      const late = await app.as(ALICE).post(`/agents/quiet/runs/${done.body.runId}/cancel`)
      expect(late.status).toBe(409)
      expect(late.body.code).toBe('CONFLICT')
    })

    it('answers the canceled generate’s own caller with a 409', async () => {
      app = await startAgentApp(factory)
      const pending = app.as(ALICE).post('/agents/support/generate', { messages: 'hold on' })
      await eventually(() => app.models.support.held() === 1)
      // The record is written beside the run, not before it: the list may take a moment to show it.
      const runs = await eventually(async () => {
        const listed = (await app.as(ALICE).get('/agents/support/runs?status=running')).body.runs
        return listed.length > 0 ? listed : undefined
      })
      expect((await app.as(ALICE).post(`/agents/support/runs/${runs[0].runId}/cancel`)).body.status).toBe('canceled')
      const answer = await pending
      expect(answer.status).toBe(409)
      expect(answer.body.error).toMatch(/was canceled/)
    })
  })
})
