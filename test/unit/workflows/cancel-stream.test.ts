import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import type { HttpError } from '../../../src/core/errors.js'
import type { WorkflowEvent } from '../../../src/workflows/events.js'
import { InMemoryWorkflowRuns } from '../../harness/memory-workflow-runs.js'
import { createStep, createWorkflow } from '../../../src/workflows/workflow.js'
import { approvalWorkflow, runsIn, deferred, mathWorkflow } from './fixtures/workflows.js'

const num = z.object({ n: z.number() })

/** A step that signals when it starts and then waits for its abort signal. */
function blockingWorkflow(started: () => void, aborted: () => void) {
  const wait = createStep({
    id: 'wait',
    inputSchema: num,
    outputSchema: num,
    execute: ({ signal }) =>
      new Promise<{ n: number }>((_, reject) => {
        signal.addEventListener('abort', () => (aborted(), reject(new Error('aborted'))), { once: true })
        started()
      }),
  })
  return createWorkflow({ id: 'blocking', inputSchema: num, outputSchema: num }).then(wait).commit()
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('cancel', () => {
  it('aborts the running step’s signal and marks the run canceled', async () => {
    const started = deferred()
    let abortSeen = false
    const runs = new InMemoryWorkflowRuns()
    const workflow = runsIn(blockingWorkflow(started.resolve, () => (abortSeen = true)), runs)
    const run = await workflow.createRun()
    const result = run.start({ inputData: { n: 1 } })
    await started.promise
    expect(workflow.isRunning(run.runId)).toBe(true)

    await run.cancel()
    expect(abortSeen).toBe(true)
    const finished = await result
    expect(finished.status).toBe('canceled')
    expect(finished.steps.wait.status).toBe('canceled')
    expect((await runs.get('blocking', run.runId))?.status).toBe('canceled')
    expect(workflow.isRunning(run.runId)).toBe(false)
  })

  it('cancels a run waiting to retry and clears the backoff timer', async () => {
    const firstFailure = deferred()
    let attempts = 0
    const flaky = createStep({
      id: 'flaky',
      inputSchema: num,
      outputSchema: num,
      retries: 5,
      execute: () => {
        attempts += 1
        firstFailure.resolve()
        throw new Error('try again')
      },
    })
    const workflow = runsIn(createWorkflow({ id: 'backoff', inputSchema: num, outputSchema: num }).then(flaky).commit(), new InMemoryWorkflowRuns())
    const timerSet = deferred<ReturnType<typeof setTimeout>>()
    const realSetTimeout = globalThis.setTimeout
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const timer = realSetTimeout(fn, ms)
      if (ms === 10) timerSet.resolve(timer)
      return timer
    }) as typeof setTimeout)
    const cleared = vi.spyOn(globalThis, 'clearTimeout')

    const run = await workflow.createRun()
    const result = run.start({ inputData: { n: 1 } })
    await firstFailure.promise
    const timer = await timerSet.promise
    await run.cancel()
    expect((await result).status).toBe('canceled')
    expect(cleared).toHaveBeenCalledWith(timer)
    expect(attempts).toBe(1)
  })

  it('cancels a suspended run, which then cannot be resumed', async () => {
    const runs = new InMemoryWorkflowRuns()
    const workflow = runsIn(approvalWorkflow(), runs)
    const run = await workflow.createRun()
    await run.start({ inputData: { value: 1 } })
    await run.cancel()
    expect((await runs.get('approve', run.runId))?.status).toBe('canceled')
    const error = (await run.resume({ step: 'approval', resumeData: { approved: true } }).catch((e: unknown) => e)) as HttpError
    expect(error.status).toBe(409)
  })

  it('answers 409 when canceling a finished run', async () => {
    const workflow = runsIn(mathWorkflow(), new InMemoryWorkflowRuns())
    const run = await workflow.createRun()
    await run.start({ inputData: { a: 1, b: 1 } })
    const error = (await run.cancel().catch((e: unknown) => e)) as HttpError
    expect(error.code).toBe('CONFLICT')
  })

  it('cancels a run when the signal passed to start aborts', async () => {
    const started = deferred()
    const workflow = runsIn(blockingWorkflow(started.resolve, () => {}), new InMemoryWorkflowRuns())
    const controller = new AbortController()
    const result = (await workflow.createRun()).start({ inputData: { n: 1 }, signal: controller.signal })
    await started.promise
    controller.abort()
    expect((await result).status).toBe('canceled')
  })
})

describe('stream', () => {
  async function collect(iterable: AsyncIterable<WorkflowEvent>): Promise<WorkflowEvent[]> {
    const events: WorkflowEvent[] = []
    for await (const event of iterable) events.push(event)
    return events
  }

  it('yields start, step and finish events in Mastra’s shape', async () => {
    const workflow = runsIn(mathWorkflow(), new InMemoryWorkflowRuns())
    const run = await workflow.createRun()
    const events = await collect(run.stream({ inputData: { a: 1, b: 1 } }))
    expect(events.map((e) => e.type)).toEqual([
      'workflow-start',
      'workflow-step-start',
      'workflow-step-result',
      'workflow-step-start',
      'workflow-step-result',
      'workflow-finish',
    ])
    expect(events.every((e) => e.runId === run.runId && e.from === 'WORKFLOW')).toBe(true)
    expect(events[0].payload).toEqual({ workflowId: 'math' })
    expect(events[1].payload).toMatchObject({ id: 'add', stepName: 'add', payload: { a: 1, b: 1 }, status: 'running' })
    expect(events[2].payload).toMatchObject({ id: 'add', status: 'success', output: { sum: 2 } })
    expect(events[5].payload).toEqual({ workflowStatus: 'success', finalWorkflowResult: { result: 4 } })
  })

  it('reports a suspended step and a suspended finish', async () => {
    const workflow = runsIn(approvalWorkflow(), new InMemoryWorkflowRuns())
    const events = await collect((await workflow.createRun()).stream({ inputData: { value: 2 } }))
    expect(events.map((e) => e.type)).toEqual(['workflow-start', 'workflow-step-start', 'workflow-step-suspended', 'workflow-finish'])
    expect(events[2].payload).toMatchObject({ id: 'approval', suspendPayload: { reason: 'needs approval' } })
    expect(events[3].payload).toMatchObject({ workflowStatus: 'suspended', suspended: [['approval']] })
  })

  it('rejects the first read when the start is refused', async () => {
    const workflow = runsIn(mathWorkflow(), new InMemoryWorkflowRuns())
    const events = (await workflow.createRun()).stream({ inputData: { a: 'x' } as never })
    const error = (await events.next().catch((e: unknown) => e)) as HttpError
    expect(error.status).toBe(400)
  })

  it('keeps running when the consumer stops reading', async () => {
    const release = deferred()
    const slow = createStep({ id: 'slow', inputSchema: num, outputSchema: num, execute: async ({ inputData }) => (await release.promise, inputData) })
    const runs = new InMemoryWorkflowRuns()
    const workflow = runsIn(createWorkflow({ id: 'slowly', inputSchema: num, outputSchema: num }).then(slow).commit(), runs)
    const run = await workflow.createRun()
    const events = run.stream({ inputData: { n: 4 } })
    expect((await events.next()).value?.type).toBe('workflow-start')
    await events.return?.()
    release.resolve()
    // The run is still registered as active until it finishes; wait for that, not for time.
    while (workflow.isRunning(run.runId)) await new Promise((resolve) => setImmediate(resolve))
    const stored = await runs.get('slowly', run.runId)
    expect(stored?.status).toBe('success')
    expect(stored?.snapshot.result).toEqual({ n: 4 })
  })
})
