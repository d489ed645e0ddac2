// One scenario on one host: side A (the mount) and side B (hand-written, or another mount),
// each in its own process, loaded in turn in short slices (B A A B B A …) on connections kept
// open, and compared repetition by repetition.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HostName, Scenario } from '../scenarios/types.js'
import { LoadSide, newTally, type SideTally } from './interleave.js'
import type { Sample } from './load.js'
import type { ServerReply } from './protocol.js'
import { ServerProcess, type Side } from './server-process.js'
import { loadAverage, spread, type Spread } from './stats.js'

export interface CompareOptions {
  repetitions: number
  seconds: number
  warmup: number
  connections: number
  nodeFlags: string[]
  /** How long one side is loaded before the other takes over, ms. */
  sliceMs: number
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
  const load: Partial<Record<Side, LoadSide>> = {}
  const loadStart = loadAverage()[0]
  const connections = scenario.connections ?? options.connections
  try {
    for (const side of SIDES) {
      const dbPath = join(dir, `${side}.db`)
      await scenario.setup?.(dbPath)
      servers[side] = await ServerProcess.start({ host, scenarios: [key], side, dbPath, nodeFlags: options.nodeFlags })
      load[side] = new LoadSide(servers[side].port, side === 'baseline' ? (scenario.baselineRequest ?? scenario.request) : scenario.request, connections)
    }
    // B A A B B A …: every other slice starts with the other side, so a machine that speeds up
    // or slows down over a repetition weighs on both sides alike.
    const alternate = async (seconds: number, tallies: Record<Side, SideTally>) => {
      const slices = Math.max(1, Math.round((seconds * 1000) / options.sliceMs))
      for (let i = 0; i < slices; i++) {
        for (const side of i % 2 === 0 ? REVERSED : SIDES) await load[side]!.slice(options.sliceMs, tallies[side])
      }
    }
    // Warm-up: opens the connections, then JIT, connection pools, SQLite page cache.
    if (options.warmup > 0) await alternate(options.warmup, { mounted: newTally(), baseline: newTally() })
    const samples: Record<Side, Sample[]> = { mounted: [], baseline: [] }
    for (let i = 0; i < options.repetitions; i++) {
      const tallies = { mounted: newTally(), baseline: newTally() }
      const before = { mounted: await servers.mounted!.ask({ cmd: 'usage' }), baseline: await servers.baseline!.ask({ cmd: 'usage' }) }
      const loaderBefore = process.cpuUsage()
      const started = performance.now()
      await alternate(options.seconds, tallies)
      const wallMicros = (performance.now() - started) * 1000
      const loaderCores = cpuTotal(process.cpuUsage(loaderBefore)) / wallMicros
      for (const side of SIDES) {
        const after = await servers[side]!.ask({ cmd: 'usage' })
        samples[side].push(sampleOf(tallies[side], connections, cpuTotal(after.cpu) - cpuTotal(before[side].cpu), after, loaderCores))
      }
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
    for (const side of Object.values(load)) side.close()
    await Promise.all(Object.values(servers).map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

const SIDES: readonly Side[] = ['mounted', 'baseline']
const REVERSED: readonly Side[] = ['baseline', 'mounted']

const cpuTotal = (usage: NodeJS.CpuUsage) => usage.user + usage.system

/**
 * One side's repetition as a sample. Requests per second is the connections over the mean
 * latency (each connection sends its next request as soon as the last one is answered, so
 * this is the rate they kept up while loaded, the drain at the end of each slice included).
 */
function sampleOf(tally: SideTally, connections: number, serverMicros: number, server: ServerReply, loaderCores: number): Sample {
  const ms = (q: number) => tally.histogram.percentile(q) / 1000
  return {
    rps: tally.requests === 0 ? NaN : (connections * tally.requests) / (tally.latencyMs / 1000),
    requests: tally.requests,
    p50: ms(50),
    p99: ms(99),
    max: tally.histogram.max / 1000,
    errors: tally.errors,
    serverCpuPerRequest: tally.requests > 0 ? serverMicros / tally.requests : NaN,
    serverCores: serverMicros / (tally.loadedMs * 1000),
    loaderCores,
    loopDelayP99: server.loopDelay.p99,
    loopDelayMax: server.loopDelay.max,
    handlingP50: server.handling.p50,
    handlingP99: server.handling.p99,
  }
}
