// The memory scenario: one server per side serving every scenario at once, loaded with N requests
// of each kind per round, measured at start, after each round and after an idle period. A leak
// shows as growth from round to round that does not level off.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { HostName, Scenario } from '../scenarios/types.js'
import { loadOnce } from './load.js'
import { ServerProcess, type Side } from './server-process.js'
import { loadAverage } from './stats.js'

export interface FootprintOptions {
  host: HostName
  rounds: number
  /** Requests of each kind per round. */
  requests: number
  connections: number
  idleSeconds: number
  /** Write heap snapshots of both sides at start and at the end into this folder. */
  heapSnapshots?: string
}

export interface Memory {
  /** Resident set as the OS sees it, before any forced GC (MiB). */
  rss: number
  /** After two full GCs: resident set and V8 heap in use (MiB). */
  rssAfterGc: number
  heapAfterGc: number
  /** Memory held outside the V8 heap (buffers, SQLite through native code is not included). */
  externalAfterGc: number
}

export interface Phase {
  phase: string
  mounted: Memory
  baseline: Memory
  load: number
  /** Failed requests (errors, timeouts, non-2xx) in the load before this phase, per side. */
  failed: Record<Side, number>
}

const MiB = 1024 * 1024

async function measure(server: ServerProcess): Promise<Memory> {
  const before = await server.ask({ cmd: 'usage' })
  const after = await server.ask({ cmd: 'gc' })
  return {
    rss: before.memory.rss / MiB,
    rssAfterGc: after.memory.rss / MiB,
    heapAfterGc: after.memory.heapUsed / MiB,
    externalAfterGc: after.memory.external / MiB,
  }
}

export async function footprint(scenarios: Record<string, Scenario>, options: FootprintOptions, onPhase: (p: Phase) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'agentmount-bench-'))
  const servers: Partial<Record<Side, ServerProcess>> = {}
  const keys = Object.keys(scenarios)
  const phases: Phase[] = []
  let failed: Record<Side, number> = { mounted: 0, baseline: 0 }
  const record = async (phase: string) => {
    const p = { phase, mounted: await measure(servers.mounted!), baseline: await measure(servers.baseline!), load: loadAverage()[0], failed }
    failed = { mounted: 0, baseline: 0 }
    phases.push(p)
    onPhase(p)
  }
  const snapshot = async (tag: string) => {
    if (!options.heapSnapshots) return
    mkdirSync(options.heapSnapshots, { recursive: true })
    for (const side of ['mounted', 'baseline'] as const) {
      await servers[side]!.ask({ cmd: 'snapshot', file: resolve(options.heapSnapshots, `${side}-${tag}.heapsnapshot`) })
    }
  }
  try {
    for (const side of ['mounted', 'baseline'] as const) {
      const dbPath = join(dir, `${side}.db`)
      const setups = new Set(keys.map((k) => scenarios[k].setup).filter((s) => s !== undefined))
      for (const setup of setups) await setup(dbPath)
      servers[side] = await ServerProcess.start({ host: options.host, scenarios: keys, side, dbPath, nodeFlags: ['--expose-gc'] })
    }
    await sleep(1000)
    await record('start')
    await snapshot('start')
    for (let round = 1; round <= options.rounds; round++) {
      const order: Side[] = round % 2 === 1 ? ['baseline', 'mounted'] : ['mounted', 'baseline']
      for (const side of order) {
        for (const key of keys) {
          const scenario = scenarios[key]
          const request = side === 'baseline' ? (scenario.baselineRequest ?? scenario.request) : scenario.request
          const sample = await loadOnce(servers[side]!, request, {
            connections: scenario.connections ?? options.connections,
            amount: options.requests,
          })
          failed[side] += sample.errors
        }
      }
      await record(`after ${round * options.requests} of each`)
    }
    if (options.idleSeconds > 0) {
      await sleep(options.idleSeconds * 1000)
      await record(`after ${options.idleSeconds} s idle`)
    }
    await snapshot('end')
    return phases
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}
