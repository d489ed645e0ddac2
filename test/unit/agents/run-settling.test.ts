import { afterEach, describe, expect, it } from 'vitest'
import { Agent } from '../../../src/agents/agent.js'
import { createRuntime, type Runtime } from '../../../src/runtime.js'
import type { AgentRunStore } from '../../../src/storage/agent-runs.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { callRoute, closeServers, failure, frames, send } from '../../harness/node-client.js'
import { streamingModel, textParts } from './fixtures.js'

/**
 * A store whose run writes that end a run (the insert of a run that finished before its first
 * write, and every state change) wait until `release()`: the moment between a run's end and
 * its final record being stored, held open for as long as a test needs.
 */
function heldStore() {
  const store = new SqliteStore({ path: ':memory:' })
  const real = store.agentRuns
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const held: Array<keyof AgentRunStore> = ['create', 'transition']
  const runs = new Proxy(real, {
    get(target, name: keyof AgentRunStore) {
      const value = target[name]
      if (typeof value !== 'function') return value
      const bound = (value as (...args: unknown[]) => unknown).bind(target)
      return held.includes(name) ? async (...args: unknown[]) => (await gate, bound(...args)) : bound
    },
  })
  Object.defineProperty(store, 'agentRuns', { value: runs })
  return { store, real, release }
}

/** Lets every callback queued so far run (several turns of the event loop). */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('a run that ended while its final record is being stored', () => {
  let runtime: Runtime | undefined
  let release: (() => void) | undefined
  afterEach(async () => {
    release?.()
    await runtime?.close()
    await closeServers()
  })

  function start() {
    const held = heldStore()
    release = held.release
    runtime = createRuntime({
      store: held.store,
      agents: {
        streamer: new Agent({ id: 'streamer', instructions: 'x', model: streamingModel(textParts(['hello ', 'world'])) }),
        chatter: new Agent({ id: 'chatter', instructions: 'x', model: streamingModel(textParts(['hi'])) }),
      },
    })
    return { runtime, ...held }
  }

  it('ends the stream with its last event, not after the write; the run answers from how it ended, reads of the store wait for the write', async () => {
    const { runtime, real, release } = start()
    const streamed = await frames(await send(runtime, 'POST', '/agents/:agentId/stream', { params: { agentId: 'streamer' }, body: { messages: 'hi' } }))
    expect(streamed.at(-1)).toMatchObject({ type: 'finish' })
    const runId = streamed[0].runId as string
    // The reply is whole, and the store does not have the run yet.
    expect(await real.get(runId)).toBeNull()
    const params = { agentId: 'streamer', runId }
    expect(await callRoute(runtime, 'GET', '/agents/:agentId/runs/:runId', { params })).toMatchObject({ runId, status: 'success', usage: { totalTokens: 7 } })
    // A finished run replays its events and closes, as it would once stored.
    const replay = await frames(await send(runtime, 'GET', '/agents/:agentId/runs/:runId/stream', { params }))
    expect(replay.map((chunk) => chunk.type)).toEqual(streamed.map((chunk) => chunk.type))

    let listed = false
    const list = callRoute(runtime, 'GET', '/agents/:agentId/runs', { params: { agentId: 'streamer' } }).finally(() => (listed = true))
    const cancel = failure(callRoute(runtime, 'POST', '/agents/:agentId/runs/:runId/cancel', { params }))
    await turns()
    // The list reads the store: it waits for the run's write rather than show it running, or not at all.
    expect(listed).toBe(false)
    release()
    expect(await list).toMatchObject({ total: 1, runs: [{ runId, status: 'success' }] })
    // Canceling a run that already finished is refused, as once it is stored.
    expect(await cancel).toMatchObject({ status: 409, code: 'CONFLICT' })
    expect(await real.get(runId)).toMatchObject({ status: 'success', lastSeq: streamed.length })
  })

  it('does not rejoin a chat turn that ended: 204 once it is stored', async () => {
    const { runtime, release } = start()
    const chatted = await frames(
      await send(runtime, 'POST', '/agents/:agentId/chat', {
        params: { agentId: 'chatter' },
        body: { id: 'c1', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] },
      }),
    )
    expect(chatted.at(-1)).toBe('[DONE]')
    const rejoin = send(runtime, 'GET', '/agents/:agentId/chat/:chatId/stream', { params: { agentId: 'chatter', chatId: 'c1' } })
    await turns()
    release()
    expect((await rejoin).status).toBe(204)
  })
})
