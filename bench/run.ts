// `npm run bench [-- --hosts express,koa --scenarios json --seconds 4]`
// For each host × scenario, load the mounted route and a hand-written route doing the same
// work in the same framework, one after the other in this run, and print their ratio.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { scenarios } from './scenarios/index.js'
import type { HostName, Scenario } from './scenarios/types.js'
import { measureStartup, type StartupResult } from './startup.js'

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: 'express,fastify,koa' },
    scenarios: { type: 'string', default: Object.keys(scenarios).join(',') },
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '32' },
    json: { type: 'string' },
    'skip-startup': { type: 'boolean', default: false },
  },
})

export interface Measurement {
  rps: number
  p99: number
  errors: number
}

interface Row {
  host: HostName
  scenario: string
  mounted: Measurement
  baseline: Measurement
  ratio: number
}

function startServer(host: HostName, scenario: string, mode: 'mounted' | 'baseline', dbPath: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server.ts', host, scenario, mode, dbPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  const port = new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /READY (\d+)/.exec(out)
      if (match) resolve(Number(match[1]))
    })
    child.once('exit', (code) => reject(new Error(`${host}/${scenario}/${mode} server exited with ${code}`)))
  })
  return { child, port }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

async function load(port: number, scenario: Scenario, seconds: number): Promise<Measurement> {
  const { request } = scenario
  const run = (duration: number) =>
    autocannon({
      url: `http://127.0.0.1:${port}${request.path}`,
      method: request.method,
      headers: request.body === undefined ? {} : { 'content-type': 'application/json' },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      connections: Number(args.connections),
      duration,
    })
  await run(1) // warm-up: JIT, connection pools, SQLite page cache
  const result = await run(seconds)
  const errors = result.errors + result.timeouts + result.non2xx
  return { rps: result.requests.average, p99: result.latency.p99, errors }
}

async function measure(host: HostName, name: string, mode: 'mounted' | 'baseline'): Promise<Measurement> {
  const scenario = scenarios[name]
  const dir = mkdtempSync(join(tmpdir(), 'agentmount-bench-'))
  const dbPath = join(dir, 'bench.db')
  try {
    await scenario.setup?.(dbPath)
    const server = startServer(host, name, mode, dbPath)
    try {
      return await load(await server.port, scenario, Number(args.seconds))
    } finally {
      await stop(server.child)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(8)

async function main() {
  const rows: Row[] = []
  const hosts = args.hosts!.split(',') as HostName[]
  console.log('host     scenario          mounted rps  p99ms   baseline rps  p99ms   ratio')
  for (const host of hosts) {
    for (const name of args.scenarios!.split(',')) {
      const baseline = await measure(host, name, 'baseline')
      const mounted = await measure(host, name, 'mounted')
      const ratio = mounted.rps / baseline.rps
      rows.push({ host, scenario: name, mounted, baseline, ratio })
      const errs = mounted.errors + baseline.errors
      console.log(
        `${host.padEnd(8)} ${name.padEnd(16)} ${fmt(mounted.rps)}   ${fmt(mounted.p99, 1)}  ${fmt(baseline.rps)}     ${fmt(baseline.p99, 1)}  ${fmt(ratio, 2)}${errs ? `  (${errs} errors!)` : ''}`,
      )
    }
  }
  let startup: StartupResult[] = []
  if (!args['skip-startup']) {
    startup = await measureStartup()
    const [bare, mounted] = startup
    console.log('\napp       cold start ms  RSS start MiB  RSS after load MiB')
    for (const r of startup) {
      console.log(`${r.app.padEnd(8)} ${fmt(r.coldStartMs)}      ${fmt(r.rssStartMiB, 1)}       ${fmt(r.rssLoadedMiB, 1)}`)
    }
    console.log(
      `mounted/bare: cold start ${(mounted.coldStartMs / bare.coldStartMs).toFixed(2)}x, RSS +${(mounted.rssStartMiB - bare.rssStartMiB).toFixed(1)} MiB at start, +${(mounted.rssLoadedMiB - bare.rssLoadedMiB).toFixed(1)} MiB after load`,
    )
  }
  if (args.json) {
    const { writeFileSync } = await import('node:fs')
    writeFileSync(args.json, JSON.stringify({ rows, startup }, null, 2))
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
