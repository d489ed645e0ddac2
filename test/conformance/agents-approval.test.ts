import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { UIMessage } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { hosts } from '../harness/hosts.js'
import { sseFrames } from '../harness/http.js'
import { storeKind } from '../harness/stores.js'
import { ALICE, BOB, startAgentApp, TestChat, type AgentApp } from './agents-fixture.js'
import { closeClean } from '../harness/lifecycle.js'

const REFUNDED = 'Tool said: {"refunded":"A-1"}'
const DENIED = 'Tool said: [execution-denied]'

type Part = UIMessage['parts'][number] & { state?: string; approval?: { id: string; approved?: boolean; reason?: string }; output?: unknown }

const toolPart = (message: UIMessage | undefined) => message?.parts.find((p) => p.type === 'tool-refund') as Part | undefined
const textOf = (message: UIMessage | undefined) =>
  (message?.parts ?? []).filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join('')

/** A store another runtime can open again after this one closed (a restart). */
function sharedStore(): { path: string; cleanup: () => void } {
  if (storeKind === 'postgres') return { path: `restart-${randomUUID()}`, cleanup: () => {} }
  const dir = mkdtempSync(join(tmpdir(), 'agentmount-approval-'))
  return { path: join(dir, 'data.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

describe.each(hosts)('tool approval on $name', (factory) => {
  const apps: AgentApp[] = []
  const start = async (options?: Parameters<typeof startAgentApp>[1]) => {
    const app = await startAgentApp(factory, options)
    apps.push(app)
    return app
  }

  afterEach(async () => {
    await closeClean(...apps.splice(0))
  })

  describe('/chat with useChat’s Chat and DefaultChatTransport', () => {
    it('runs the tool once approved and goes on in the same assistant message; memory and the run agree', async () => {
      const app = await start()
      const chatId = randomUUID()
      const chat = new TestChat(app, 'support', chatId)
      await chat.sendMessage({ text: 'please refund my order' })
      expect(toolPart(chat.lastMessage)).toMatchObject({ state: 'approval-requested', input: { orderId: 'A-1' } })
      expect(app.refunds).toEqual([])
      const [suspended] = (await app.as(ALICE).get('/agents/support/runs?status=suspended')).body.runs
      expect(suspended).toMatchObject({ kind: 'chat', threadId: chatId, pendingApprovals: [{ toolName: 'refund', args: { orderId: 'A-1' } }] })

      const finished = chat.nextFinish()
      await chat.addToolApprovalResponse({ id: chat.pendingApprovalId(), approved: true })
      await finished
      expect(chat.error).toBeUndefined()
      expect(app.refunds).toEqual(['A-1'])
      expect(chat.messages).toHaveLength(2)
      expect(toolPart(chat.lastMessage)).toMatchObject({ state: 'output-available', output: { refunded: 'A-1' }, approval: { approved: true } })
      expect(textOf(chat.lastMessage)).toBe(REFUNDED)

      const stored = (await app.as(ALICE).get(`/memory/threads/${chatId}/messages?agentId=support`)).body.uiMessages as UIMessage[]
      expect(stored.map((m) => m.id)).toEqual(chat.messages.map((m) => m.id))
      expect(toolPart(stored[1])).toMatchObject({ state: 'output-available', output: { refunded: 'A-1' } })
      expect(textOf(stored[1])).toBe(REFUNDED)
      const run = (await app.as(ALICE).get(`/agents/support/runs/${suspended.runId}`)).body
      expect(run).toMatchObject({ status: 'success', pendingApprovals: [] })
      expect(run.steps).toHaveLength(2)
      expect((await app.as(ALICE).get('/agents/support/runs')).body.total).toBe(1)
    })

    it('never runs a declined tool; the model is told, and memory keeps the denial', async () => {
      const app = await start()
      const chatId = randomUUID()
      const chat = new TestChat(app, 'support', chatId)
      await chat.sendMessage({ text: 'please refund my order' })
      const finished = chat.nextFinish()
      await chat.addToolApprovalResponse({ id: chat.pendingApprovalId(), approved: false, reason: 'not eligible' })
      await finished
      expect(app.refunds).toEqual([])
      expect(toolPart(chat.lastMessage)).toMatchObject({ state: 'output-denied', approval: { approved: false, reason: 'not eligible' } })
      expect(textOf(chat.lastMessage)).toBe(DENIED)
      const stored = (await app.as(ALICE).get(`/memory/threads/${chatId}/messages?agentId=support`)).body.uiMessages as UIMessage[]
      expect(stored).toHaveLength(2)
      expect(toolPart(stored[1])).toMatchObject({ state: 'output-denied', approval: { approved: false, reason: 'not eligible' } })
    })

    it('works without memory, going on with the call as stored, whatever input the client sends back', async () => {
      const app = await start()
      const chat = new TestChat(app, 'ops', randomUUID())
      await chat.sendMessage({ text: 'please refund my order' })
      const approvalId = chat.pendingApprovalId()
      // A client that rewrites the call it approves: the server runs the call it asked about.
      const last = chat.lastMessage!
      const tampered = { ...last, parts: last.parts.map((p) => (p.type === 'tool-refund' ? { ...p, input: { orderId: 'A-999' } } : p)) }
      const res = await app.as(ALICE).post('/agents/ops/chat', {
        id: chat.id, trigger: 'submit-message', messageId: last.id,
        messages: [chat.messages[0], { ...tampered, parts: tampered.parts.map((p) => (p.type === 'tool-refund' ? { ...p, state: 'approval-responded', approval: { id: approvalId, approved: true } } : p)) }],
      })
      expect(res.status).toBe(200)
      expect(app.refunds).toEqual(['A-1'])
      const output = sseFrames(res.text).find((f) => f.type === 'tool-output-available')
      expect(output).toMatchObject({ output: { refunded: 'A-1' } })
    })

    it('ignores approvals the server never asked for: invented, for another chat, or from another resource', async () => {
      const app = await start()
      const chatId = randomUUID()
      const chat = new TestChat(app, 'support', chatId)
      await chat.sendMessage({ text: 'please refund my order' })
      const realId = chat.pendingApprovalId()
      const answered = (id: string) => {
        const last = chat.lastMessage!
        return { ...last, parts: last.parts.map((p) => (p.type === 'tool-refund' ? { ...p, state: 'approval-responded', approval: { id, approved: true } } : p)) }
      }
      const attempts = [
        { token: ALICE, id: chatId, approval: 'forged-approval-id' },
        { token: ALICE, id: randomUUID(), approval: realId },
        { token: BOB, id: chatId, approval: realId },
      ]
      for (const attempt of attempts) {
        const res = await app.as(attempt.token).post('/agents/support/chat', {
          id: attempt.id, trigger: 'submit-message', messages: [chat.messages[0], answered(attempt.approval)],
        })
        expect(res.status, JSON.stringify(attempt)).toBe(attempt.token === BOB ? 404 : 409)
      }
      expect(app.refunds).toEqual([])
      expect(app.models.support.doStreamCalls).toHaveLength(1)
      expect((await app.as(ALICE).get('/agents/support/suspended-runs')).body.total).toBe(1)
      // The real answer still counts afterwards.
      const finished = chat.nextFinish()
      await chat.addToolApprovalResponse({ id: realId, approved: true })
      await finished
      expect(app.refunds).toEqual(['A-1'])
    })

    it('refuses a replayed approval: the tool ran once, the replay answers 409', async () => {
      const app = await start()
      const chatId = randomUUID()
      const chat = new TestChat(app, 'support', chatId)
      await chat.sendMessage({ text: 'please refund my order' })
      const approvalId = chat.pendingApprovalId()
      const request = {
        id: chatId, trigger: 'submit-message',
        messages: [chat.messages[0], { ...chat.lastMessage!, parts: chat.lastMessage!.parts.map((p) => (p.type === 'tool-refund' ? { ...p, state: 'approval-responded', approval: { id: approvalId, approved: true } } : p)) }],
      }
      expect((await app.as(ALICE).post('/agents/support/chat', request)).status).toBe(200)
      const replay = await app.as(ALICE).post('/agents/support/chat', request)
      expect(replay.status).toBe(409)
      expect(replay.body.code).toBe('CONFLICT')
      expect(app.refunds).toEqual(['A-1'])
    })

    it('cancels a turn waiting for approval: memory shows the call declined, and a late approval runs nothing', async () => {
      const app = await start()
      const chatId = randomUUID()
      const chat = new TestChat(app, 'support', chatId)
      await chat.sendMessage({ text: 'please refund my order' })
      const [waiting] = (await app.as(ALICE).get('/agents/support/suspended-runs')).body.runs
      expect((await app.as(ALICE).post(`/agents/support/runs/${waiting.runId}/cancel`)).body.status).toBe('canceled')
      const stored = (await app.as(ALICE).get(`/memory/threads/${chatId}/messages?agentId=support`)).body.uiMessages as UIMessage[]
      expect(toolPart(stored[1])).toMatchObject({ state: 'output-denied', approval: { approved: false, reason: 'The run was canceled' } })
      const finished = chat.nextFinish()
      await chat.addToolApprovalResponse({ id: chat.pendingApprovalId(), approved: true })
      await finished
      expect(chat.error?.message).toMatch(/CONFLICT/)
      expect(app.refunds).toEqual([])
      expect((await app.as(ALICE).get(`/agents/support/runs/${waiting.runId}`)).body.status).toBe('canceled')
    })

    it('takes the approval after a restart: a new runtime on the same store goes on with the suspended run', async () => {
      const shared = sharedStore()
      try {
        const before = await start({ store: shared.path })
        const chatId = randomUUID()
        const first = new TestChat(before, 'support', chatId)
        await first.sendMessage({ text: 'please refund my order' })
        apps.splice(apps.indexOf(before), 1)
        await before.close()
        expect(before.unexpected).toEqual([])

        const after = await start({ store: shared.path })
        // A reloaded page: the chat starts from the stored messages, as the console does.
        const stored = (await after.as(ALICE).get(`/memory/threads/${chatId}/messages?agentId=support`)).body.uiMessages as UIMessage[]
        const chat = new TestChat(after, 'support', chatId, { messages: stored })
        const finished = chat.nextFinish()
        await chat.addToolApprovalResponse({ id: chat.pendingApprovalId(), approved: true })
        await finished
        expect(after.refunds).toEqual(['A-1'])
        expect(textOf(chat.lastMessage)).toBe(REFUNDED)
        expect(chat.messages).toHaveLength(2)
      } finally {
        shared.cleanup()
      }
    })
  })

  it('refuses to run a tool that needs approval directly, over /tools and the agent’s tool routes', async () => {
    const app = await start()
    const direct = await app.as(ALICE).post('/tools/refund/execute', { data: { orderId: 'A-1' } })
    expect(direct.status).toBe(403)
    expect(direct.body.code).toBe('FORBIDDEN')
    expect((await app.as(ALICE).post('/agents/ops/tools/refund/execute', { data: { orderId: 'A-1' } })).status).toBe(403)
    expect(app.refunds).toEqual([])
    // Its needsApproval says no for this input: it runs.
    expect((await app.as(ALICE).post('/agents/ops/tools/refund/execute', { data: { orderId: 'free' } })).body).toEqual({ refunded: 'free' })
    expect(app.refunds).toEqual(['free'])
  })

  describe('Mastra’s routes', () => {
    it('ends /stream at the approval chunk, approves once through approve-tool-call, and refuses the second time', async () => {
      const app = await start()
      const thread = randomUUID()
      const res = await app.as(ALICE).post('/agents/support/stream', { messages: 'refund please', memory: { thread, resource: 'alice' } })
      const frames = sseFrames(res.text)
      const approval = frames.at(-1)
      expect(approval).toMatchObject({ type: 'tool-call-approval', from: 'AGENT', payload: { toolName: 'refund', args: { orderId: 'A-1' } } })
      expect(JSON.parse(approval.payload.resumeSchema)).toMatchObject({ required: ['approved'] })
      expect(frames.map((f) => f.type)).not.toContain('finish')
      const { runId } = approval
      const { toolCallId } = approval.payload
      const suspended = (await app.as(ALICE).get('/agents/support/suspended-runs')).body
      expect(suspended).toEqual({
        total: 1,
        runs: [{ runId, status: 'suspended', threadId: thread, resourceId: 'alice', suspendedAt: expect.any(String), toolCalls: [{ toolCallId, toolName: 'refund', args: { orderId: 'A-1' }, requiresApproval: true }] }],
      })
      expect((await app.as(BOB).get('/agents/support/suspended-runs')).body).toEqual({ runs: [], total: 0 })
      expect((await app.as(BOB).post('/agents/support/approve-tool-call', { runId, toolCallId })).status).toBe(404)
      expect((await app.as(ALICE).post('/agents/support/approve-tool-call', { runId, toolCallId: 'nope' })).status).toBe(404)
      expect(app.refunds).toEqual([])

      const approved = await app.as(ALICE).post('/agents/support/approve-tool-call', { runId, toolCallId })
      expect(approved.status).toBe(200)
      const continuation = sseFrames(approved.text)
      expect(continuation[0]).toMatchObject({ type: 'tool-result', runId, payload: { toolCallId, result: { refunded: 'A-1' } } })
      expect(continuation.at(-1)).toMatchObject({ type: 'finish', runId })
      expect(continuation.filter((c) => c.type === 'text-delta').map((c) => c.payload.text).join('')).toBe(REFUNDED)
      expect(app.refunds).toEqual(['A-1'])

      const again = await app.as(ALICE).post('/agents/support/approve-tool-call', { runId, toolCallId })
      expect(again.status).toBe(409)
      expect(app.refunds).toEqual(['A-1'])
      expect((await app.as(ALICE).get('/agents/support/suspended-runs')).body.total).toBe(0)
      // One assistant message in memory holds the call, its result and the answer.
      const stored = (await app.as(ALICE).get(`/memory/threads/${thread}/messages?agentId=support`)).body.uiMessages as UIMessage[]
      expect(stored).toHaveLength(2)
      expect(toolPart(stored[1])).toMatchObject({ state: 'output-available', approval: { approved: true } })
      expect(textOf(stored[1])).toBe(REFUNDED)
      // The run's log holds both activations, numbered on.
      const log = (await app.as(ALICE).post('/agents/support/observe', { runId })).text
      expect(sseFrames(log)).toEqual([...frames, ...continuation])
    })

    it('declines with a reason through decline-tool-call, and resume-stream answers like approve', async () => {
      const app = await start()
      const first = sseFrames((await app.as(ALICE).post('/agents/ops/stream', { messages: 'refund please' })).text).at(-1)
      const declined = await app.as(ALICE).post('/agents/ops/decline-tool-call', { runId: first.runId, toolCallId: first.payload.toolCallId, reason: 'not eligible' })
      const chunks = sseFrames(declined.text)
      expect(chunks[0]).toMatchObject({ type: 'tool-output-denied', payload: { toolName: 'refund', args: { orderId: 'A-1' }, approval: { approved: false, reason: 'not eligible' } } })
      expect(chunks.at(-1).type).toBe('finish')
      expect(app.refunds).toEqual([])

      const second = sseFrames((await app.as(ALICE).post('/agents/ops/stream', { messages: 'refund please' })).text).at(-1)
      const resumed = await app.as(ALICE).post('/agents/ops/resume-stream', { runId: second.runId, resumeData: { approved: true } })
      expect(sseFrames(resumed.text)[0]).toMatchObject({ type: 'tool-result', payload: { result: { refunded: 'A-1' } } })
      expect(app.refunds).toEqual(['A-1'])
      expect((await app.as(ALICE).post('/agents/ops/resume-stream', { runId: second.runId })).body.code).toBe('VALIDATION_ERROR')
    })

    it('suspends generate and answers approve-tool-call-generate and decline-tool-call-generate with the generate result', async () => {
      const app = await start()
      const suspended = (await app.as(ALICE).post('/agents/ops/generate', { messages: 'refund please' })).body
      expect(suspended).toMatchObject({
        text: '', finishReason: 'suspended',
        suspendPayload: { toolName: 'refund', args: { orderId: 'A-1' }, resumeSchema: expect.any(String) },
        toolCalls: [{ type: 'tool-call', payload: { toolName: 'refund', args: { orderId: 'A-1' } } }],
      })
      const { runId } = suspended
      const { toolCallId } = suspended.suspendPayload
      const approved = await app.as(ALICE).post('/agents/ops/approve-tool-call-generate', { runId, toolCallId })
      expect(approved.body).toMatchObject({ runId, text: REFUNDED, finishReason: 'stop' })
      expect((await app.as(ALICE).post('/agents/ops/approve-tool-call-generate', { runId, toolCallId })).status).toBe(409)

      const again = (await app.as(ALICE).post('/agents/ops/generate', { messages: 'refund please' })).body
      const declined = await app.as(ALICE).post('/agents/ops/decline-tool-call-generate', { runId: again.runId, toolCallId: again.suspendPayload.toolCallId })
      expect(declined.body).toMatchObject({ text: DENIED, finishReason: 'stop' })
      expect(app.refunds).toEqual(['A-1'])
      const runs = (await app.as(ALICE).get('/agents/ops/runs')).body.runs
      expect(runs.map((r: { status: string }) => r.status)).toEqual(['success', 'success'])
    })

    it('approves over Mastra’s route after a restart', async () => {
      const shared = sharedStore()
      try {
        const before = await start({ store: shared.path })
        const approval = sseFrames((await before.as(ALICE).post('/agents/ops/stream', { messages: 'refund please' })).text).at(-1)
        apps.splice(apps.indexOf(before), 1)
        await before.close()
        const after = await start({ store: shared.path })
        const res = await after.as(ALICE).post('/agents/ops/approve-tool-call', { runId: approval.runId, toolCallId: approval.payload.toolCallId })
        expect(sseFrames(res.text).at(-1)).toMatchObject({ type: 'finish', runId: approval.runId })
        expect(after.refunds).toEqual(['A-1'])
      } finally {
        shared.cleanup()
      }
    })

    it('cancels a suspended run: nothing waits any more and its approval answers 409', async () => {
      const app = await start()
      const approval = sseFrames((await app.as(ALICE).post('/agents/ops/stream', { messages: 'refund please' })).text).at(-1)
      expect((await app.as(ALICE).post(`/agents/ops/runs/${approval.runId}/cancel`)).body.status).toBe('canceled')
      expect((await app.as(ALICE).get('/agents/ops/suspended-runs')).body.total).toBe(0)
      expect((await app.as(ALICE).post('/agents/ops/approve-tool-call', { runId: approval.runId, toolCallId: approval.payload.toolCallId })).status).toBe(409)
      expect(app.refunds).toEqual([])
    })

    it('runs a tool without asking when its needsApproval function says no for that input', async () => {
      const app = await start()
      const frames = sseFrames((await app.as(ALICE).post('/agents/ops/stream', { messages: 'refund the free order' })).text)
      expect(frames.map((f) => f.type)).not.toContain('tool-call-approval')
      expect(frames.find((f) => f.type === 'tool-result')).toMatchObject({ payload: { result: { refunded: 'free' } } })
      expect(app.refunds).toEqual(['free'])
      expect((await app.as(ALICE).get('/agents/ops/suspended-runs')).body.total).toBe(0)
    })
  })
})
