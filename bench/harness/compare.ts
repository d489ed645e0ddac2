// One scenario on one host: side A (the mount) and side B (hand-written, or another mount),
// each in its own process, loaded in turn (B A, A B, B A…) after a warm-up, and compared run by run.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HostName, Scenario } from '../scenarios/types.js'
import { loadOnce, type Sample } from './load.js'
import { ServerProcess, type Side } from './server-process.js'
import { loadAverage, spread, type Spread } from './stats.js'

export interface CompareOptions {
  repetitions: number
  seconds: number
  warmup: number
  connections: number
  nodeFlags: string[]
}

export interface Comparison {
  host: HostName
  scenario: string
  name: string
  target?: number
  connections: number
  mounted: Sample[]
  baseline: Sample[]
  /** A/B requests per second, one per repetition. */
  ratio: Spread
  /** B/A server CPU per request: the same direction as `ratio` (above 1: the mount costs less). */
  cpuRatio: Spread
  /** Load average (1 min) when the scenario started and ended. */
  load: [number, number]
}

export async function compare(host: HostName, key: string, scenario: Scenario, options: CompareOptions): Promise<Comparison> {
  const dir = mkdtempSync(join(tmpdir(), 'agentmount-bench-'))
  const servers: Partial<Record<Side, ServerProcess>> = {}
  const loadStart = loadAverage()[0]
  const connections = scenario.connections ?? options.connections
  try {
    for (const side of ['mounted', 'baseline'] as const) {
      const dbPath = join(dir, `${side}.db`)
      await scenario.setup?.(dbPath)
      servers[side] = await ServerProcess.start({ host, scenarios: [key], side, dbPath, nodeFlags: options.nodeFlags })
    }
    const requestOf = (side: Side) => (side === 'baseline' ? (scenario.baselineRequest ?? scenario.request) : scenario.request)
    const run = (side: Side, seconds: number) => loadOnce(servers[side]!, requestOf(side), { connections, seconds })
    // Warm-up: JIT, connection pools, SQLite page cache.
    for (const side of ['baseline', 'mounted'] as const) if (options.warmup > 0) await run(side, options.warmup)
    const samples: Record<Side, Sample[]> = { mounted: [], baseline: [] }
    for (let i = 0; i < options.repetitions; i++) {
      const order: Side[] = i % 2 === 0 ? ['baseline', 'mounted'] : ['mounted', 'baseline']
      for (const side of order) samples[side].push(await run(side, options.seconds))
    }
    const pairs = samples.mounted.map((m, i) => [m, samples.baseline[i]] as const)
    return {
      host,
      scenario: key,
      name: scenario.name,
      target: scenario.target,
      connections,
      mounted: samples.mounted,
      baseline: samples.baseline,
      ratio: spread(pairs.map(([m, b]) => m.rps / b.rps).filter(Number.isFinite)),
      cpuRatio: spread(pairs.map(([m, b]) => b.serverCpuPerRequest / m.serverCpuPerRequest).filter(Number.isFinite)),
      load: [loadStart, loadAverage()[0]],
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}
