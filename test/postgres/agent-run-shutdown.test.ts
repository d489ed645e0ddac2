import type { LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { afterEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agents/agent.js'
import { INSTANCE_SHUT_DOWN } from '../../src/agents/runs/agent-run.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import type { AgentRunRecord } from '../../src/storage/agent-runs.js'
import { eventually } from '../harness/http.js'
import { closeServers, frames, send } from '../harness/node-client.js'
import { postgresStore } from '../harness/stores.js'
import { hangingModel, refundTool, streamingModel, textParts, toolCallParts } from '../unit/agents/fixtures.js'

describe('agent runs of an instance shutting down, on one PostgreSQL schema', () => {
  const runtimes: Runtime[] = []
  afterEach(async () => {
    await closeServers()
    for (const runtime of runtimes.splice(0)) await runtime.close()
  })

  function instance(key: string, refundSteps: LanguageModelV3StreamPart[][]) {
    const finished: AgentRunRecord[] = []
    const errors: unknown[] = []
    const runtime = createRuntime({
      agents: {
        slow: new Agent({ id: 'slow', instructions: 'x', model: hangingModel().model }),
        refunds: new Agent({ id: 'refunds', instructions: 'x', model: streamingModel(...refundSteps), tools: { refund: refundTool } }),
      },
      store: postgresStore(key),
      runs: { leaseMs: 30_000, sweepMs: 0 },
      observability: { onRunFinish: (run) => void (run.kind === 'workflow' ? undefined : finished.push(run)) },
      onError: (error) => void errors.push(error),
    })
    runtimes.push(runtime)
    return { runtime, finished, errors }
  }

  it('stores the running run failed at once and leaves the suspended one for the other instance to continue', async () => {
    const key = `agent-shutdown-${Date.now()}`
    const a = instance(key, [toolCallParts('refund', { orderId: 'A-1' })])
    const b = instance(key, [textParts(['refunded'])])
    const first = await frames(await send(a.runtime, 'POST', '/agents/:agentId/stream', { params: { agentId: 'refunds' }, body: { messages: 'refund A-1' } }))
    const suspendedId = first[0].runId as string
    const response = send(a.runtime, 'POST', '/agents/:agentId/stream', { params: { agentId: 'slow' }, body: { messages: 'hi' } })
    const running = await eventually(async () => (await b.runtime.store.agentRuns.list({ agentId: 'slow', page: 0, perPage: 1 })).runs[0])
    await a.runtime.close({ drainMs: 0 })
    expect((await frames(await response)).at(-1)).toMatchObject({ type: 'error', payload: { message: INSTANCE_SHUT_DOWN.message } })
    // Stored by the instance that shut down, not a lease later by another one's sweep.
    expect(await b.runtime.store.agentRuns.get(running.runId)).toMatchObject({ status: 'failed', error: INSTANCE_SHUT_DOWN })
    expect(await b.runtime.services.agentRuns.sweep()).toBe(0)
    expect(a.finished.map((run) => [run.runId, run.status])).toEqual([[running.runId, 'failed']])
    expect(await b.runtime.store.agentRuns.get(suspendedId)).toMatchObject({ status: 'suspended' })
    const answer = { runId: suspendedId, toolCallId: 'call-1' }
    const continued = await frames(await send(b.runtime, 'POST', '/agents/:agentId/approve-tool-call', { params: { agentId: 'refunds' }, body: answer }))
    expect(continued.at(-1)).toMatchObject({ type: 'finish' })
    // Stored a moment after its stream ended: a list of the runtime's runs waits for the write.
    await b.runtime.services.agentRuns.list({ agentId: 'refunds', resourceId: undefined }, { page: 0, perPage: 1 })
    expect(await b.runtime.store.agentRuns.get(suspendedId)).toMatchObject({ status: 'success' })
    expect([...a.errors, ...b.errors]).toEqual([])
  })
})
