import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { databaseUrl, testSchema } from '../harness/stores.js'
import { eventually } from '../harness/http.js'

const instanceScript = join(import.meta.dirname, 'fixtures', 'instance.ts')
const HOSTS = ['express', 'fastify', 'koa'] as const
const RUNS = 30
const STEPS = ['a', 'b', 'c']

interface Instance {
  host: (typeof HOSTS)[number]
  child: ChildProcess
  url: string
  stdout: () => string
  stderr: () => string
}

/** Starts one app process and resolves once it listens. */
async function startInstance(host: Instance['host'], schema: string, leaseMs: number): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', instanceScript, host, databaseUrl(), schema, String(leaseMs)], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const ready = /READY (\d+)/.exec(stdout)
      if (ready) resolve(ready[1])
    })
    child.once('exit', (code) => reject(new Error(`${host} instance exited (${code}) before listening: ${stderr}`)))
  })
  return { host, child, url: `http://127.0.0.1:${port}/api`, stdout: () => stdout, stderr: () => stderr }
}

describe('three app instances on one PostgreSQL database', () => {
  const instances: Instance[] = []
  const clients: pg.Client[] = []
  afterEach(async () => {
    for (const { child } of instances.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGKILL')
        await exited
      }
    }
    for (const client of clients.splice(0)) await client.end()
  })

  /** A schema with the side-effect tables, three instances (Express, Fastify, Koa) on it, and 30 runs started across them. */
  async function serveRuns(leaseMs: number) {
    const schema = testSchema()
    const db = new pg.Client({ connectionString: databaseUrl() })
    await db.connect()
    clients.push(db)
    await db.query(`CREATE SCHEMA "${schema}"`)
    await db.query(`CREATE TABLE "${schema}".effects (key TEXT PRIMARY KEY, pid INTEGER NOT NULL)`)
    await db.query(`CREATE TABLE "${schema}".executions (key TEXT NOT NULL, pid INTEGER NOT NULL)`)
    instances.push(...(await Promise.all(HOSTS.map((host) => startInstance(host, schema, leaseMs)))))
    const runIds = Array.from({ length: RUNS }, (_, i) => `run-${i}`)
    await Promise.all(
      runIds.map(async (runId, i) => {
        const res = await fetch(`${instances[i % 3].url}/workflows/effects/start?runId=${runId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputData: { n: 0 } }),
        })
        expect(res.status).toBe(200)
      }),
    )
    const rows = async <T extends pg.QueryResultRow>(sql: string, values: unknown[] = []) => (await db.query<T>(sql, values)).rows
    /** Waits until `victim` is inside a step (it recorded the execution and is waiting before its effect). */
    const midStep = async (victim: Instance) => {
      const before = (await rows<{ n: number }>(`SELECT COUNT(*)::int AS n FROM "${schema}".executions WHERE pid = $1`, [victim.child.pid]))[0].n
      await eventually(async () => {
        const [{ n }] = await rows<{ n: number }>(`SELECT COUNT(*)::int AS n FROM "${schema}".executions WHERE pid = $1`, [victim.child.pid])
        return n > before && n >= 3
      }, 20_000)
    }
    const statuses = () => rows<{ status: string; n: number }>(`SELECT status, COUNT(*)::int AS n FROM "${schema}".workflow_runs GROUP BY status`)
    /** Every run ended `success`, each step's effect is there exactly once, and some step executed twice. */
    const expectAllDoneOnce = async () => {
      await eventually(async () => {
        const counts = await statuses()
        return counts.length === 1 && counts[0].status === 'success' && counts[0].n === RUNS
      }, 45_000)
      const results = await rows<{ snapshot: { result: unknown } }>(`SELECT snapshot FROM "${schema}".workflow_runs`)
      expect(results.every((r) => JSON.stringify(r.snapshot.result) === '{"n":3}')).toBe(true)
      const effects = await rows<{ key: string }>(`SELECT key FROM "${schema}".effects ORDER BY key`)
      expect(effects.map((e) => e.key)).toEqual(runIds.flatMap((runId) => STEPS.map((step) => `${runId}:${step}`)).sort())
      return rows<{ key: string; pids: number[] }>(
        `SELECT key, array_agg(pid) AS pids FROM "${schema}".executions GROUP BY key HAVING COUNT(*) > 1`,
      )
    }
    return { expectAllDoneOnce, midStep }
  }

  it('re-drives the runs of an instance killed mid-step: every run succeeds, each effect is recorded once', async () => {
    const { midStep, expectAllDoneOnce } = await serveRuns(1_000)
    const victim = instances[1]
    await midStep(victim)
    const exited = once(victim.child, 'exit')
    victim.child.kill('SIGKILL')
    await exited
    const repeated = await expectAllDoneOnce()
    // The step the victim was inside ran again elsewhere under the same key, its effect kept once.
    expect(repeated.some((r) => r.pids.includes(victim.child.pid!) && r.pids.some((pid) => pid !== victim.child.pid))).toBe(true)
    for (const other of [instances[0], instances[2]]) expect(other.stderr()).toBe('')
  }, 90_000)

  it('hands the runs of an instance shutting down to the others at once, well before its lease would expire', async () => {
    // A lease of ten minutes: only the hand-off at shutdown lets the others finish these runs in time.
    const { midStep, expectAllDoneOnce } = await serveRuns(600_000)
    const leaving = instances[2]
    await midStep(leaving)
    const exited = once(leaving.child, 'exit')
    leaving.child.kill('SIGTERM')
    const [code] = await exited
    expect(code).toBe(0)
    const repeated = await expectAllDoneOnce()
    expect(repeated.some((r) => r.pids.includes(leaving.child.pid!) && r.pids.some((pid) => pid !== leaving.child.pid))).toBe(true)
    for (const instance of instances) expect(instance.stderr()).toBe('')
  }, 90_000)

  it('closes as failed the agent run of an instance killed mid-generation: a survivor sweeps it once and serves it', async () => {
    const leaseMs = 400
    const schema = testSchema()
    const db = new pg.Client({ connectionString: databaseUrl() })
    await db.connect()
    clients.push(db)
    const [victim, survivor] = await Promise.all([startInstance('express', schema, leaseMs), startInstance('fastify', schema, leaseMs)])
    instances.push(victim, survivor)
    const res = await fetch(`${victim.url}/agents/slow/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: 'hi' }),
    })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    let received = ''
    while (!received.includes('partial')) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`the stream ended early: ${received}`)
      received += new TextDecoder().decode(value)
    }
    // The schema appears once an instance's store first migrated it.
    const runs = () =>
      db.query<{ run_id: string; status: string }>(`SELECT run_id, status FROM "${schema}".agent_runs`).then(
        (r) => r.rows,
        () => [],
      )
    const [{ run_id: runId }] = await eventually(async () => ((await runs()).length === 1 ? runs() : undefined))
    // Alive, its instance renews the lease: three leases later the survivor's sweeps (every 100 ms) left it running.
    await new Promise((resolve) => setTimeout(resolve, 3 * leaseMs))
    expect(await runs()).toEqual([{ run_id: runId, status: 'running' }])

    const exited = once(victim.child, 'exit')
    victim.child.kill('SIGKILL')
    await exited
    await reader.cancel().catch(() => {})
    await eventually(() => survivor.stdout().includes(`RUN_FINISH ${runId} `) || undefined, 20_000)
    const view = await (await fetch(`${survivor.url}/agents/slow/runs/${runId}`)).json()
    expect(view).toMatchObject({ runId, status: 'failed', error: { message: 'The instance running this agent run stopped; model calls are not replayed' } })
    expect(view.finishedAt).toEqual(expect.any(String))
    // Announced exactly once, priced like any finished run, however many sweeps came after.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const announced = survivor.stdout().split('\n').filter((line) => line.startsWith(`RUN_FINISH ${runId} `))
    expect(announced).toEqual([`RUN_FINISH ${runId} failed {"amount":0,"currency":"USD","source":"mock-model-id","price":{"inputPerMillion":1,"outputPerMillion":2}}`])
    expect(victim.stdout()).not.toContain('RUN_FINISH')
    expect(await runs()).toEqual([{ run_id: runId, status: 'failed' }])
    expect(survivor.stderr()).toBe('')
  }, 60_000)
})
