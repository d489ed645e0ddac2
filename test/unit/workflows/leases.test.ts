import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { afterEach, describe, expect, it } from 'vitest'
import type { HttpError } from '../../../src/core/errors.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { RunLeases } from '../../../src/workflows/run-leases.js'
import { WorkflowRuns } from '../../../src/workflows/runs.js'
import { createStep, createWorkflow } from '../../../src/workflows/workflow.js'
import { eventually } from '../../harness/http.js'
import { deferred } from './fixtures/workflows.js'

const num = z.object({ n: z.number() })

/** One "instance": its own store connection, workflow object and leases, on a shared file. */
function instance(path: string, name: string, leaseMs: number, entries: string[], gate?: Promise<void>) {
  const store = new SqliteStore({ path })
  const leases = new RunLeases(() => store.workflowRuns, { instanceId: name, leaseMs })
  const entered = deferred()
  const step = (id: string, wait: boolean) =>
    createStep({
      id,
      inputSchema: num,
      outputSchema: num,
      execute: async ({ inputData, runId }) => {
        entries.push(`${name}:${runId}/${id}`)
        if (wait) {
          entered.resolve()
          await gate
        }
        return { n: inputData.n + 1 }
      },
    })
  const definition = createWorkflow({ id: 'leased', inputSchema: num, outputSchema: num })
    .then(step('first', false))
    .then(step('held', gate !== undefined))
    .then(step('last', false))
    .commit()
  const workflow = new WorkflowRuns(definition, store.workflowRuns, leases)
  return { store, leases, workflow, entered: entered.promise }
}

describe('run leases', () => {
  let dir = ''
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
    rmSync(dir, { recursive: true, force: true })
  })

  function open(name: string, leaseMs: number, entries: string[], gate?: Promise<void>) {
    const made = instance(join(dir, 'data.db'), name, leaseMs, entries, gate)
    closers.push(async () => {
      await made.leases.stop()
      await made.store.close()
    })
    return made
  }

  it('keeps a long step’s lease alive with heartbeats, so no other instance may take the run', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentmount-leases-'))
    const entries: string[] = []
    const release = deferred()
    const a = open('a', 300, entries, release.promise)
    const b = open('b', 300, entries)
    const run = await a.workflow.createRun({ runId: 'long' })
    const result = run.start({ inputData: { n: 0 } })
    await a.entered
    // Several lease lengths pass; the heartbeat (every 100 ms) keeps renewing it.
    await sleep(1200)
    expect(await b.workflow.listInterruptedRuns()).toEqual([])
    expect(((await b.workflow.restart('long').catch((e: unknown) => e)) as HttpError).status).toBe(409)
    release.resolve()
    expect(await result).toMatchObject({ status: 'success', result: { n: 3 } })
    expect(entries).toEqual(['a:long/first', 'a:long/held', 'a:long/last'])
  })

  it('stops an instance that lost its lease from writing: the instance that took the run over finishes it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentmount-leases-'))
    const entries: string[] = []
    const release = deferred()
    const a = open('a', 60, entries, release.promise)
    const b = open('b', 60_000, entries)
    const run = await a.workflow.createRun({ runId: 'paused' })
    const original = run.start({ inputData: { n: 0 } })
    await a.entered
    // Instance a stalls (its heartbeat stops, as in a long GC pause or a partition) until its lease runs out.
    await a.leases.stop()
    await eventually(async () => (await b.workflow.listInterruptedRuns()).length === 1)
    const takeover = await b.workflow.restart('paused')
    expect(takeover).toMatchObject({ status: 'success', result: { n: 3 } })
    // a wakes up: its step finishes, but its checkpoint is refused and it runs nothing more.
    release.resolve()
    const stale = await original
    expect(stale).toMatchObject({ status: 'success', result: { n: 3 } })
    expect(entries).toEqual(['a:paused/first', 'a:paused/held', 'b:paused/held', 'b:paused/last'])
    expect((await b.workflow.getRun('paused'))?.snapshot.steps.held.startedAt).toBe(takeover.steps.held.startedAt)
  })

  it('aborts a run here at the next heartbeat once another instance canceled it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentmount-leases-'))
    const entries: string[] = []
    const a = open('a', 300, entries, new Promise(() => {}))
    const b = open('b', 300, entries)
    const run = await a.workflow.createRun({ runId: 'far' })
    const result = run.start({ inputData: { n: 0 } })
    await a.entered
    await (await b.workflow.createRun({ runId: 'far' })).cancel()
    // The step never returns on its own: only the heartbeat noticing the cancel ends the run here.
    expect((await result).status).toBe('canceled')
    expect(a.workflow.isRunning('far')).toBe(false)
    expect(entries).toEqual(['a:far/first', 'a:far/held'])
  })
})
