import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HttpError } from '../../../src/core/errors.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { InMemoryWorkflowRuns } from '../../harness/memory-workflow-runs.js'
import { createStep, createWorkflow } from '../../../src/workflows/workflow.js'
import { approvalWorkflow, runsIn } from './fixtures/workflows.js'

const value = z.object({ value: z.number() })

function gate<Id extends string>(id: Id, executions: string[]) {
  return createStep({
    id,
    inputSchema: value,
    outputSchema: z.object({ value: z.number(), note: z.string() }),
    resumeSchema: z.object({ note: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      executions.push(`${id}:${resumeData ? 'resumed' : 'first'}`)
      if (!resumeData) return suspend({ waitingOn: id })
      return { value: inputData.value, note: resumeData.note }
    },
  })
}

function quick<Id extends string>(id: Id, executions: string[]) {
  return createStep({
    id,
    inputSchema: value,
    outputSchema: value,
    execute: ({ inputData }) => (executions.push(id), { value: inputData.value + 1 }),
  })
}

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`)
  return error
}

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe('suspend and resume', () => {
  it('suspends with a payload, then resumes with data and finishes', async () => {
    const executions: string[] = []
    const runs = new InMemoryWorkflowRuns()
    const workflow = runsIn(approvalWorkflow('approve', executions), runs)
    const run = await workflow.createRun()
    const suspended = await run.start({ inputData: { value: 7 } })
    expect(suspended).toMatchObject({
      status: 'suspended',
      suspended: [['approval']],
      suspendPayload: { approval: { reason: 'needs approval' } },
      steps: { approval: { status: 'suspended', suspendPayload: { reason: 'needs approval' } } },
    })
    expect((await runs.get('approve', run.runId))?.status).toBe('suspended')

    const done = await run.resume({ step: 'approval', resumeData: { approved: true } })
    expect(done.status).toBe('success')
    expect(done.result).toEqual({ value: 7, approved: true })
    expect(done.steps.approval).toMatchObject({ status: 'success', resumePayload: { approved: true } })
    expect(done.steps.approval.suspendPayload).toBeUndefined()
    expect(executions).toEqual(['first', 'resumed'])
  })

  it('fails the step when the suspend payload does not match suspendSchema', async () => {
    const bad = createStep({
      id: 'bad',
      inputSchema: value,
      outputSchema: value,
      suspendSchema: z.object({ reason: z.string() }),
      execute: ({ suspend }) => suspend({ reason: 42 } as never),
    })
    const workflow = runsIn(createWorkflow({ id: 'badsuspend', inputSchema: value, outputSchema: value }).then(bad).commit(), new InMemoryWorkflowRuns())
    const result = await (await workflow.createRun()).start({ inputData: { value: 1 } })
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(/^Step bad suspend payload invalid: reason: /)
  })

  it('resumes a step suspended in a parallel branch, keeping the other branch’s output', async () => {
    const executions: string[] = []
    const workflow = createWorkflow({ id: 'par', inputSchema: value, outputSchema: z.object({ total: z.number(), note: z.string() }) })
      .parallel([gate('gate', executions), quick('quick', executions)])
      .map(({ inputData }) => ({ total: inputData.gate.value + inputData.quick.value, note: inputData.gate.note }))
      .commit()
    const runs = new InMemoryWorkflowRuns()
    const run = await runsIn(workflow, runs).createRun()
    const suspended = await run.start({ inputData: { value: 1 } })
    expect(suspended.status).toBe('suspended')
    expect(suspended.suspended).toEqual([['gate']])
    expect(suspended.steps.quick).toMatchObject({ status: 'success', output: { value: 2 } })

    const done = await run.resume({ step: 'gate', resumeData: { note: 'ok' } })
    expect(done.status).toBe('success')
    expect(done.result).toEqual({ total: 3, note: 'ok' })
    expect(executions).toEqual(['gate:first', 'quick', 'gate:resumed'])
  })

  it('resumes a step suspended inside a nested workflow, by path or by its own id', async () => {
    const executions: string[] = []
    const inner = createWorkflow({ id: 'inner', inputSchema: value, outputSchema: z.object({ value: z.number(), note: z.string() }) })
      .then(quick('innerQuick', executions))
      .then(gate('innerGate', executions))
      .commit()
    const outer = createWorkflow({ id: 'outer', inputSchema: value, outputSchema: z.object({ value: z.number(), note: z.string() }) })
      .then(inner)
      .commit()
    const outerRuns = runsIn(outer, new InMemoryWorkflowRuns())

    const first = await outerRuns.createRun()
    const suspended = await first.start({ inputData: { value: 1 } })
    expect(suspended.suspended).toEqual([['inner', 'innerGate']])
    expect(suspended.suspendPayload).toEqual({ inner: { waitingOn: 'innerGate' } })
    const done = await first.resume({ step: ['inner', 'innerGate'], resumeData: { note: 'deep' } })
    expect(done.result).toEqual({ value: 2, note: 'deep' })

    const second = await outerRuns.createRun()
    await second.start({ inputData: { value: 5 } })
    expect((await second.resume({ step: 'innerGate', resumeData: { note: 'leaf' } })).result).toEqual({ value: 6, note: 'leaf' })
    expect(executions.filter((e) => e === 'innerQuick')).toHaveLength(2)
  })

  it('answers 400 with field paths for bad resumeData and leaves the run suspended', async () => {
    const executions: string[] = []
    const runs = new InMemoryWorkflowRuns()
    const workflow = runsIn(approvalWorkflow('approve', executions), runs)
    const run = await workflow.createRun()
    await run.start({ inputData: { value: 1 } })

    const error = await rejection(run.resume({ step: 'approval', resumeData: { approved: 'yes' } }))
    expect(error.status).toBe(400)
    expect(error.issues?.map((i) => i.field)).toEqual(['resumeData.approved'])
    expect((await runs.get('approve', run.runId))?.status).toBe('suspended')
    expect(executions).toEqual(['first'])

    expect((await run.resume({ step: 'approval', resumeData: { approved: false } })).status).toBe('success')
  })

  it('answers 409 when the run is not suspended, 404 when unknown and 400 for a step that is not suspended', async () => {
    const workflow = runsIn(approvalWorkflow(), new InMemoryWorkflowRuns())
    const run = await workflow.createRun()
    await run.start({ inputData: { value: 1 } })
    expect((await rejection(run.resume({ step: 'nope', resumeData: { approved: true } }))).status).toBe(400)
    await run.resume({ step: 'approval', resumeData: { approved: true } })
    expect((await rejection(run.resume({ step: 'approval', resumeData: { approved: true } }))).code).toBe('CONFLICT')
    const ghost = await workflow.createRun({ runId: 'ghost' })
    expect((await rejection(ghost.resume({ resumeData: { approved: true } }))).status).toBe(404)
  })

  it('resumes a run exactly once when two resumes race in one process', async () => {
    const executions: string[] = []
    const workflow = runsIn(approvalWorkflow('approve', executions), new InMemoryWorkflowRuns())
    const run = await workflow.createRun()
    await run.start({ inputData: { value: 3 } })
    const twin = await workflow.createRun({ runId: run.runId })
    const outcomes = await Promise.allSettled([
      run.resume({ step: 'approval', resumeData: { approved: true } }),
      twin.resume({ step: 'approval', resumeData: { approved: false } }),
    ])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
    expect((rejected.reason as HttpError).status).toBe(409)
    expect(executions).toEqual(['first', 'resumed'])
  })

  it('resumes a run exactly once when two instances sharing one database race', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentmount-race-'))
    const path = join(dir, 'runs.db')
    const executions: string[] = []
    const storeA = new SqliteStore({ path })
    const storeB = new SqliteStore({ path })
    // One definition, as two app instances would load it, each with its own connection.
    const approve = approvalWorkflow('approve', executions)
    const instanceA = runsIn(approve, storeA.workflowRuns)
    const instanceB = runsIn(approve, storeB.workflowRuns)
    try {
      const run = await instanceA.createRun()
      await run.start({ inputData: { value: 3 } })
      // Both handles first, so both resumes read the run as suspended before either writes.
      const onA = await instanceA.createRun({ runId: run.runId })
      const onB = await instanceB.createRun({ runId: run.runId })
      const outcomes = await Promise.allSettled([
        onA.resume({ step: 'approval', resumeData: { approved: true } }),
        onB.resume({ step: 'approval', resumeData: { approved: false } }),
      ])
      const statuses = outcomes.map((o) => (o.status === 'fulfilled' ? o.value.status : (o.reason as HttpError).status))
      expect(statuses.sort()).toEqual([409, 'success'])
      expect(executions).toEqual(['first', 'resumed'])
      expect((await storeB.workflowRuns.get('approve', run.runId))?.status).toBe('success')
    } finally {
      await storeA.close()
      await storeB.close()
    }
  })
})
