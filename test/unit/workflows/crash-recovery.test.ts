import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { HttpError } from '../../../src/core/errors.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { crashWorkflow } from './fixtures/crash-workflow.js'
import { approvalWorkflow, deferred, runsIn } from './fixtures/workflows.js'
import { eventually } from '../../harness/http.js'

const childScript = join(import.meta.dirname, 'fixtures', 'crash-child.ts')

/** Polls for a file the child writes; fails at once if the child exits first. */
async function waitForFile(file: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const exited = deferred<number | null>()
  child.once('exit', (code) => exited.resolve(code))
  let exitCode: number | null | undefined
  void exited.promise.then((code) => (exitCode = code))
  while (!existsSync(file)) {
    if (exitCode !== undefined) throw new Error(`child exited (${exitCode}) before writing ${file}: ${stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function executions(dir: string, step: string): number {
  const file = join(dir, `${step}.log`)
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0
}

describe('crash recovery', () => {
  let dir: string | undefined
  let child: ChildProcess | undefined
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = child = undefined
  })

  it('restarts a run killed mid-step from its last completed step, and resumes a run suspended before the crash', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentmount-crash-'))
    const path = join(dir, 'data.db')
    const runId = 'crash-run'
    const suspendedRunId = 'suspended-run'
    child = spawn(process.execPath, ['--import', 'tsx', childScript, path, dir, runId, suspendedRunId], {
      cwd: process.cwd(),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    await waitForFile(join(dir, 'blocked'), child, () => stderr)
    const store = new SqliteStore({ path })
    const crashy = runsIn(crashWorkflow(dir), store.workflowRuns)
    // While the child lives its lease is live: nothing is interrupted, and a restart is refused.
    expect(await crashy.listInterruptedRuns()).toEqual([])
    expect(((await crashy.restart(runId).catch((e: unknown) => e)) as HttpError).status).toBe(409)
    expect(executions(dir, 'slow')).toBe(1)
    const exit = once(child, 'exit')
    child.kill('SIGKILL')
    await exit

    try {
      // Once the dead child's lease expires, the run is interrupted.
      const interrupted = (await eventually(async () => {
        const runs = await crashy.listInterruptedRuns()
        return runs.length > 0 ? runs : undefined
      }))!
      expect(interrupted.map((r) => r.runId)).toEqual([runId])
      expect(interrupted[0].snapshot.steps.prepare.status).toBe('success')
      expect(interrupted[0].snapshot.steps.fast.status).toBe('success')
      expect(executions(dir, 'slow')).toBe(1)

      const result = await crashy.restart(runId)
      expect(result.status).toBe('success')
      // prepare: 1 + 1 = 2; fast: 200; slow: 20; map: 220; finish: 225
      expect(result.result).toEqual({ n: 225 })
      expect({
        prepare: executions(dir, 'prepare'),
        fast: executions(dir, 'fast'),
        slow: executions(dir, 'slow'),
        finish: executions(dir, 'finish'),
      }).toEqual({ prepare: 1, fast: 1, slow: 2, finish: 1 })
      // The re-run of slow, in this process, got the key the killed child's execution had.
      const slowRuns = readFileSync(join(dir, 'slow.log'), 'utf8').trim().split('\n').map((line) => line.split(' '))
      expect(slowRuns.map(([, key]) => key)).toEqual([`${runId}:slow`, `${runId}:slow`])
      expect(slowRuns[1][0]).toBe(String(process.pid))
      expect(slowRuns[0][0]).not.toBe(String(process.pid))
      expect((await crashy.getRun(runId))?.status).toBe('success')
      expect(await crashy.listInterruptedRuns()).toEqual([])
      const again = (await crashy.restart(runId).catch((e: unknown) => e)) as HttpError
      expect(again.status).toBe(409)

      const approve = runsIn(approvalWorkflow(), store.workflowRuns)
      const resumed = await (await approve.createRun({ runId: suspendedRunId })).resume({ step: 'approval', resumeData: { approved: true } })
      expect(resumed).toMatchObject({ status: 'success', result: { value: 5, approved: true } })
    } finally {
      await store.close()
    }
  })

  it('refuses to restart a run that is live in this process', async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentmount-live-'))
    const store = new SqliteStore({ path: join(dir, 'data.db') })
    const crashy = runsIn(crashWorkflow(dir), store.workflowRuns)
    const parked = deferred()
    const release = deferred()
    const run = await crashy.createRun()
    const result = run.start({ inputData: { n: 1 }, context: { block: () => (parked.resolve(), release.promise) } })
    await parked.promise
    try {
      expect(await crashy.listInterruptedRuns()).toEqual([])
      const error = (await crashy.restart(run.runId).catch((e: unknown) => e)) as HttpError
      expect(error.status).toBe(409)
    } finally {
      release.resolve()
      expect((await result).status).toBe('success')
      await store.close()
    }
  })
})
