// One scenario served by 1 and then by N mounted instances sharing one database (a PostgreSQL
// scenario: every instance is given the same schema), each in its own process. The load is the
// same number of connections in both cases, split evenly across the instances' ports.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HostName, Scenario } from '../scenarios/types.js'
import { loadOnce, type Sample } from './load.js'
import { ServerProcess } from './server-process.js'
import { loadAverage, median } from './stats.js'

export interface InstancesOptions {
  instances: number
  repetitions: number
  seconds: number
  warmup: number
  connections: number
  nodeFlags: string[]
}

export interface InstancesResult {
  host: HostName
  scenario: string
  instances: number
  /** Median total requests per second with one instance, and with `instances`, over the repetitions. */
  single: number
  many: number
  /** Server CPU per request, µs: one instance, and the sum over the N instances. */
  singleCpu: number
  manyCpu: number
  errors: number
  load: [number, number]
}

/** Loads every server at once for `seconds`, connections split between them; totals their samples. */
async function loadAll(servers: ServerProcess[], scenario: Scenario, connections: number, seconds: number) {
  const each = Math.max(1, Math.floor(connections / servers.length))
  const samples: Sample[] = await Promise.all(servers.map((server) => loadOnce(server, scenario.request, { connections: each, seconds })))
  const requests = samples.reduce((sum, s) => sum + s.requests, 0)
  const rps = samples.reduce((sum, s) => sum + s.rps, 0)
  const cpu = samples.reduce((sum, s) => sum + s.serverCpuPerRequest * s.requests, 0) / requests
  return { rps, cpu, errors: samples.reduce((sum, s) => sum + s.errors, 0) }
}

export async function compareInstances(host: HostName, key: string, scenario: Scenario, options: InstancesOptions): Promise<InstancesResult> {
  const dir = mkdtempSync(join(tmpdir(), 'agentmount-bench-'))
  // One database path, so every instance gets the same schema.
  const dbPath = join(dir, 'shared.db')
  const servers: ServerProcess[] = []
  const loadStart = loadAverage()[0]
  try {
    await scenario.setup?.(dbPath)
    for (let i = 0; i < options.instances; i++) {
      servers.push(await ServerProcess.start({ host, scenarios: [key], side: 'mounted', dbPath, nodeFlags: options.nodeFlags }))
    }
    const one = servers.slice(0, 1)
    if (options.warmup > 0) await loadAll(servers, scenario, options.connections, options.warmup)
    const single: number[] = []
    const many: number[] = []
    const singleCpu: number[] = []
    const manyCpu: number[] = []
    let errors = 0
    for (let i = 0; i < options.repetitions; i++) {
      for (const set of i % 2 === 0 ? [one, servers] : [servers, one]) {
        const result = await loadAll(set, scenario, options.connections, options.seconds)
        errors += result.errors
        ;(set === one ? single : many).push(result.rps)
        ;(set === one ? singleCpu : manyCpu).push(result.cpu)
      }
    }
    return {
      host,
      scenario: key,
      instances: options.instances,
      single: median(single),
      many: median(many),
      singleCpu: median(singleCpu),
      manyCpu: median(manyCpu),
      errors,
      load: [loadStart, loadAverage()[0]],
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}
