import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { Memory } from '../../../src/memory/memory.js'
import { createRuntime, type Runtime } from '../../../src/runtime.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { createStep, createWorkflow } from '../../../src/workflows/workflow.js'
import { generatingModel } from '../agents/fixtures.js'
import { approvalWorkflow, deferred } from '../workflows/fixtures/workflows.js'

const num = z.object({ n: z.number() })

/** One set of definitions, built once, as an app module would export them. */
function definitions() {
  const gate = deferred()
  const started = deferred()
  const held = createStep({
    id: 'held',
    inputSchema: num,
    outputSchema: num,
    execute: async ({ inputData }) => {
      started.resolve()
      await gate.promise
      return inputData
    },
  })
  const memory = new Memory({ workingMemory: { template: '# Notes' } })
  const support = new Agent({ id: 'support', instructions: 'Help.', model: generatingModel('Hello!'), memory })
  const approve = approvalWorkflow('approve')
  const holding = createWorkflow({ id: 'holding', inputSchema: num, outputSchema: num }).then(held).commit()
  return { memory, support, approve, holding, gate, started }
}

describe('definitions shared by two runtimes with different stores', () => {
  let defs: ReturnType<typeof definitions>
  let storeA: SqliteStore
  let storeB: SqliteStore
  let a: Runtime
  let b: Runtime

  beforeEach(() => {
    defs = definitions()
    storeA = new SqliteStore(':memory:')
    storeB = new SqliteStore(':memory:')
    const config = { agents: { support: defs.support }, workflows: { approve: defs.approve, holding: defs.holding } }
    a = createRuntime({ ...config, store: storeA })
    b = createRuntime({ ...config, store: storeB })
  })

  afterEach(async () => {
    defs.gate.resolve()
    await a.close()
    await b.close()
  })

  it('keeps each runtime’s agent memory in its own store, whichever runtime was built last', async () => {
    const ask = (runtime: Runtime, thread: string) =>
      runtime.services.agents.generate('support', { messages: 'hi', memory: { thread, resource: 'alice' } })
    await ask(a, 'in-a')
    await ask(b, 'in-b')
    await ask(a, 'in-a')

    expect(await storeA.threads.getThread('in-a')).toMatchObject({ resourceId: 'alice' })
    expect(await storeA.threads.getThread('in-b')).toBeNull()
    expect(await storeB.threads.getThread('in-b')).toMatchObject({ resourceId: 'alice' })
    expect(await storeB.threads.getThread('in-a')).toBeNull()
    expect((await storeA.threads.listMessages({ threadId: 'in-a', page: 0, perPage: 10 }))!.total).toBe(4)
    expect((await storeB.threads.listMessages({ threadId: 'in-b', page: 0, perPage: 10 }))!.total).toBe(2)
  })

  it('serves each runtime’s threads and working memory from its own store', async () => {
    const caller = { resourceId: 'alice', agentId: 'support' }
    await a.services.threads.create(caller, { threadId: 'shared-id', title: 'A' })
    await b.services.threads.create(caller, { threadId: 'shared-id', title: 'B' })
    await a.services.threads.setWorkingMemory(caller, 'shared-id', '# Notes\n- from A')

    expect((await a.services.threads.get(caller, 'shared-id')).title).toBe('A')
    expect((await b.services.threads.get(caller, 'shared-id')).title).toBe('B')
    expect((await a.services.threads.getWorkingMemory(caller, 'shared-id')).workingMemory).toBe('# Notes\n- from A')
    expect((await b.services.threads.getWorkingMemory(caller, 'shared-id')).workingMemory).toBe('# Notes')
  })

  it('stores each runtime’s workflow runs apart: a run of one is unknown to the other', async () => {
    const caller = { resourceId: 'alice' }
    const suspended = await a.services.workflowRuns.start('approve', caller, { inputData: { value: 3 } })
    expect(suspended.status).toBe('suspended')

    const elsewhere = b.services.workflowRuns.resume('approve', caller, { runId: suspended.runId, resumeData: { approved: true } })
    await expect(elsewhere).rejects.toMatchObject({ status: 404 })
    expect(await storeB.workflowRuns.get('approve', suspended.runId)).toBeNull()

    const done = await a.services.workflowRuns.resume('approve', caller, { runId: suspended.runId, resumeData: { approved: true } })
    expect(done).toMatchObject({ status: 'success', result: { value: 3, approved: true } })
  })

  it('tracks the runs executing in this process per runtime, not on the definition', async () => {
    const runId = await a.services.workflowRuns.startInBackground('holding', { resourceId: undefined }, { runId: 'r1', inputData: { n: 1 } })
    await defs.started.promise
    expect(a.runs('holding').isRunning(runId)).toBe(true)
    expect(b.runs('holding').isRunning(runId)).toBe(false)
    // The same run id is free in the other runtime's store, and starts there on its own.
    const result = b.services.workflowRuns.start('holding', { resourceId: undefined }, { runId, inputData: { n: 2 } })
    defs.gate.resolve()
    expect(await result).toMatchObject({ status: 'success', result: { n: 2 } })
    while (a.runs('holding').isRunning(runId)) await new Promise((resolve) => setImmediate(resolve))
    expect((await storeA.workflowRuns.get('holding', runId))?.snapshot.result).toEqual({ n: 1 })
  })
})
