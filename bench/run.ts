// `npm run bench` — every part, every host, every scenario (about 30 minutes, more with DATABASE_URL).
// Quicker: `npm run bench -- --hosts fastify --scenarios generate --parts throughput`
// Options (defaults in brackets):
//   --hosts express,fastify,koa        --scenarios <keys of bench/scenarios/index.ts>
//   --parts throughput,memory,startup  --reps 5  --seconds 3  --warmup 2  --connections 50
//   --slice-ms 500      how long one side is loaded before the other takes over (A B A B …)
//   --parts instances   the PostgreSQL scenarios on 1 and on --instances 3 mounted instances sharing one database
//   --cpu-prof <dir>    write a CPU profile of every server process into <dir>
//   --semi-space 32     both throughput servers' young generation, MiB (--min- and --max-semi-space-size); 0: V8's own sizing
//   --gc main           both throughput servers collect garbage on their main thread only (see BENCHMARKS.md);
//                       --gc parallel: with V8's background GC threads as well
//   --node-flags=<flags>  more Node/V8 flags for both throughput servers, e.g. --node-flags=--trace-gc
//   --memory-host express  --memory-rounds 5  --memory-requests 500  --idle 60
//   --heap-snapshots <dir> heap snapshots of both memory-scenario servers at start and end
//   --json <file>       every sample, as JSON          --markdown   tables for BENCHMARKS.md
//   --help              this text
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { compare, type Comparison } from './harness/compare.js'
import { compareInstances, type InstancesResult } from './harness/instances.js'
import { footprint, type Phase } from './harness/footprint.js'
import { loadAverage, median } from './harness/stats.js'
import { scenarios } from './scenarios/index.js'
import type { HostName, Scenario } from './scenarios/types.js'
import { measureStartup, type StartupResult } from './startup.js'

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: 'express,fastify,koa' },
    // The PostgreSQL scenarios run by default only where DATABASE_URL names a server.
    scenarios: { type: 'string', default: Object.keys(scenarios).filter((key) => !key.startsWith('pg-') || process.env.DATABASE_URL).join(',') },
    parts: { type: 'string', default: 'throughput,memory,startup' },
    reps: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    'slice-ms': { type: 'string', default: '500' },
    connections: { type: 'string', default: '50' },
    'cpu-prof': { type: 'string' },
    'semi-space': { type: 'string', default: '32' },
    gc: { type: 'string', default: 'main' },
    'node-flags': { type: 'string', default: '' },
    instances: { type: 'string', default: '3' },
    'memory-host': { type: 'string', default: 'express' },
    'memory-rounds': { type: 'string', default: '5' },
    'memory-requests': { type: 'string', default: '500' },
    idle: { type: 'string', default: '60' },
    'heap-snapshots': { type: 'string' },
    json: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})

if (args.help) {
  // The options are the comment at the head of this file.
  const head = readFileSync(new URL(import.meta.url), 'utf8').split('\n')
  console.log(head.slice(0, head.findIndex((line) => !line.startsWith('//'))).map((line) => line.replace(/^\/\/ ?/, '')).join('\n'))
  process.exit(0)
}

const list = (value: string | undefined) => (value ?? '').split(',').filter(Boolean)
const hosts = list(args.hosts) as HostName[]
const keys = list(args.scenarios)
const parts = new Set(list(args.parts))
for (const key of keys) if (!scenarios[key]) throw new Error(`unknown scenario ${key}; known: ${Object.keys(scenarios).join(', ')}`)
for (const host of hosts) if (!['express', 'fastify', 'koa'].includes(host)) throw new Error(`unknown host ${host}`)

const n = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ' ') : '–')
const r2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–')
const med = (xs: number[]) => median(xs)

function verdict(c: Comparison): string {
  if (c.target === undefined) return ''
  return c.ratio.median >= c.target ? `≥ ${r2(c.target)}` : `≥ ${r2(c.target)} — missed`
}

function printComparison(c: Comparison) {
  const side = (label: string, s: Comparison['mounted']) =>
    `${label} ${n(med(s.map((x) => x.rps))).padStart(6)} req/s p50 ${n(med(s.map((x) => x.p50)), 1).padStart(5)} p99 ${n(med(s.map((x) => x.p99)), 1).padStart(6)} ms ${n(med(s.map((x) => x.serverCpuPerRequest))).padStart(5)} µs/req`
  const errors = [...c.mounted, ...c.baseline].reduce((sum, s) => sum + s.errors, 0)
  const loader = Math.max(...[...c.mounted, ...c.baseline].map((s) => s.loaderCores))
  console.log(
    `${c.host.padEnd(8)}${c.scenario.padEnd(10)} ratio ${r2(c.ratio.median)} (${r2(c.ratio.min)}–${r2(c.ratio.max)})  cpu ratio ${r2(c.cpuRatio.median)} (${r2(c.cpuRatio.min)}–${r2(c.cpuRatio.max)})  ${verdict(c)}`,
  )
  console.log(`${''.padEnd(18)}${side('A', c.mounted)} | ${side('B', c.baseline)}`)
  const loop = (s: Comparison['mounted']) => `${n(med(s.map((x) => x.loopDelayP99)))}/${n(Math.max(...s.map((x) => x.loopDelayMax)))}`
  const inside = (s: Comparison['mounted']) => `${n(med(s.map((x) => x.handlingP50)), 1)}/${n(med(s.map((x) => x.handlingP99)), 1)}`
  console.log(`${''.padEnd(18)}inside the server: handling p50/p99 ms A ${inside(c.mounted)}, B ${inside(c.baseline)}; event-loop delay p99/max ms A ${loop(c.mounted)}, B ${loop(c.baseline)}`)
  console.log(`${''.padEnd(18)}load generator ≤ ${r2(loader)} cores, load average ${r2(c.load[0])} → ${r2(c.load[1])}${errors ? `, ${errors} ERRORS` : ''}`)
}

function printPhase(p: Phase) {
  const m = p.mounted
  const b = p.baseline
  console.log(
    `${p.phase.padEnd(22)} ${n(m.rss, 1).padStart(6)} ${n(m.rssAfterGc, 1).padStart(6)} ${n(m.heapAfterGc, 1).padStart(6)}   ${n(b.rss, 1).padStart(6)} ${n(b.rssAfterGc, 1).padStart(6)} ${n(b.heapAfterGc, 1).padStart(6)}   ${(m.rss - b.rss >= 0 ? '+' : '') + n(m.rss - b.rss, 1)}  (load ${r2(p.load)})${p.failed.mounted + p.failed.baseline > 0 ? `  failed requests: A ${p.failed.mounted}, B ${p.failed.baseline}` : ''}`,
  )
}

function markdown(comparisons: Comparison[], phases: Phase[], startup: StartupResult[]): string {
  const out: string[] = []
  if (comparisons.length > 0) {
    out.push('| host | scenario | ratio (min–max) | CPU ratio (min–max) | mounted req/s | p50 / p99 ms | µs CPU/req | hand-written req/s | p50 / p99 ms | µs CPU/req | target | load avg |')
    out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    for (const c of comparisons) {
      const cells = (s: Comparison['mounted']) => [
        n(med(s.map((x) => x.rps))),
        `${n(med(s.map((x) => x.p50)))} / ${n(med(s.map((x) => x.p99)))}`,
        n(med(s.map((x) => x.serverCpuPerRequest))),
      ]
      out.push(
        `| ${[c.host, c.name, `**${r2(c.ratio.median)}** (${r2(c.ratio.min)}–${r2(c.ratio.max)})`, `${r2(c.cpuRatio.median)} (${r2(c.cpuRatio.min)}–${r2(c.cpuRatio.max)})`, ...cells(c.mounted), ...cells(c.baseline), verdict(c), r2(c.load[0])].join(' | ')} |`,
      )
    }
  }
  if (phases.length > 0) {
    out.push('', '| phase | mounted RSS | after GC: RSS / heap | bare RSS | after GC: RSS / heap | RSS difference |')
    out.push('|---|---:|---:|---:|---:|---:|')
    for (const p of phases) {
      const m = p.mounted
      const b = p.baseline
      out.push(
        `| ${p.phase} | ${n(m.rss, 1)} | ${n(m.rssAfterGc, 1)} / ${n(m.heapAfterGc, 1)} | ${n(b.rss, 1)} | ${n(b.rssAfterGc, 1)} / ${n(b.heapAfterGc, 1)} | ${m.rss >= b.rss ? '+' : ''}${n(m.rss - b.rss, 1)} |`,
      )
    }
  }
  if (startup.length > 0) {
    out.push('', '| app | cold start ms | RSS after start MiB | RSS after 3 s of load MiB |', '|---|---:|---:|---:|')
    for (const s of startup) out.push(`| ${s.app} | ${n(s.coldStartMs)} | ${n(s.rssStartMiB, 1)} | ${n(s.rssLoadedMiB, 1)} |`)
  }
  return out.join('\n')
}

async function main() {
  const started = new Date()
  const nodeFlags = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args['cpu-prof'])}`] : []
  // V8 sizes the young generation from how much survives, and a server under 50 concurrent
  // streams can settle on a small one for its whole life: the same build then measures one
  // of two CPU costs, 30 % apart, from run to run. Both sides get the same fixed size instead.
  const semiSpace = Number(args['semi-space'])
  if (args.gc !== 'main' && args.gc !== 'parallel') throw new Error(`--gc is main or parallel, not ${args.gc}`)
  const singleThreadedGc = args.gc === 'main'
  const sizedFlags = semiSpace > 0 ? [...nodeFlags, `--min-semi-space-size=${semiSpace}`, `--max-semi-space-size=${semiSpace}`] : nodeFlags
  const throughputFlags = [...(singleThreadedGc ? [...sizedFlags, '--single-threaded-gc'] : sizedFlags), ...args['node-flags'].split(/\s+/).filter(Boolean)]
  console.log(
    `${started.toISOString()}  Node ${process.version}, ${cpus().length} cores, ${n(totalmem() / 2 ** 30)} GiB; load average ${loadAverage().map(r2).join(' ')}`,
  )
  const comparisons: Comparison[] = []
  if (parts.has('throughput')) {
    const options = {
      repetitions: Number(args.reps),
      seconds: Number(args.seconds),
      warmup: Number(args.warmup),
      connections: Number(args.connections),
      nodeFlags: throughputFlags,
      sliceMs: Number(args['slice-ms']),
    }
    console.log(
      `\nA = mounted, B = hand-written; ${options.repetitions} × ${options.seconds} s each after ${options.warmup} s of warm-up, in slices of ${options.sliceMs} ms alternating B A A B … on keep-alive connections; ratio = A/B req/s, cpu ratio = B/A CPU per request (medians of the paired runs, min–max); young generation ${semiSpace > 0 ? `${semiSpace} MiB semi-spaces on both sides` : "V8's own sizing"}${singleThreadedGc ? '; garbage collection on the main thread only' : "; V8's background GC threads on"}`,
    )
    for (const host of hosts) {
      for (const key of keys) {
        const c = await compare(host, key, scenarios[key], options)
        comparisons.push(c)
        printComparison(c)
        save({ comparisons })
      }
    }
  }
  const instances: InstancesResult[] = []
  if (parts.has('instances')) {
    const count = Number(args.instances)
    const options = { instances: count, repetitions: Number(args.reps), seconds: Number(args.seconds), warmup: Number(args.warmup), connections: Number(args.connections), nodeFlags: throughputFlags }
    console.log(`\nOne instance, then ${count} instances of the mount on one PostgreSQL database (${options.connections} connections split between them), ${options.repetitions} × ${options.seconds} s alternating; req/s is the total over the instances`)
    for (const host of hosts) {
      for (const key of keys.filter((k) => k.startsWith('pg-'))) {
        const r = await compareInstances(host, key, scenarios[key], options)
        instances.push(r)
        console.log(
          `${host.padEnd(8)}${key.padEnd(12)} 1 instance ${n(r.single).padStart(6)} req/s ${n(r.singleCpu).padStart(5)} µs/req | ${count} instances ${n(r.many).padStart(6)} req/s ${n(r.manyCpu).padStart(5)} µs/req | ×${r2(r.many / r.single)}${r.errors ? `, ${r.errors} ERRORS` : ''} (load ${r2(r.load[0])} → ${r2(r.load[1])})`,
        )
        save({ comparisons, instances })
      }
    }
  }
  let phases: Phase[] = []
  if (parts.has('memory')) {
    // One server per side serves every scenario there, on one store: the SQLite ones compared with
    // hand-written routes (the PostgreSQL scenarios repeat their routes; the ones compared with a
    // second mount, such as tracing or the ledger off, would put a mount on the bare side).
    const chosen: Record<string, Scenario> = Object.fromEntries(
      keys.filter((k) => !k.startsWith('pg-') && !('runtime' in scenarios[k].baseline)).map((k) => [k, scenarios[k]]),
    )
    const options = {
      host: args['memory-host'] as HostName,
      rounds: Number(args['memory-rounds']),
      requests: Number(args['memory-requests']),
      connections: Number(args.connections),
      idleSeconds: Number(args.idle),
      heapSnapshots: args['heap-snapshots'],
    }
    console.log(
      `\nMemory (${options.host}, MiB): every scenario in one server per side, ${options.requests} requests of each per round, ${options.connections} connections`,
    )
    console.log(`${'phase'.padEnd(22)} mounted: RSS, after GC: RSS heap   bare: RSS, after GC: RSS heap   RSS difference`)
    phases = await footprint(chosen, options, printPhase)
  }
  let startup: StartupResult[] = []
  if (parts.has('startup')) {
    startup = await measureStartup()
    const [bare, mounted] = startup
    console.log('\napp       cold start ms  RSS start MiB  RSS after load MiB')
    for (const r of startup) {
      console.log(`${r.app.padEnd(8)} ${n(r.coldStartMs).padStart(8)}      ${n(r.rssStartMiB, 1).padStart(8)}       ${n(r.rssLoadedMiB, 1).padStart(8)}`)
    }
    console.log(
      `mounted/bare: cold start ${r2(mounted.coldStartMs / bare.coldStartMs)}x, RSS +${n(mounted.rssStartMiB - bare.rssStartMiB, 1)} MiB at start, +${n(mounted.rssLoadedMiB - bare.rssLoadedMiB, 1)} MiB after load`,
    )
  }
  console.log(`\nfinished ${new Date().toISOString()}; load average ${loadAverage().map(r2).join(' ')}`)
  if (args.markdown) console.log(`\n${markdown(comparisons, phases, startup)}`)
  save({ comparisons, instances, phases, startup })
}

/** Written after every scenario too, so a long run that is cut short keeps what it measured. */
function save(results: { comparisons: Comparison[]; instances?: InstancesResult[]; phases?: Phase[]; startup?: StartupResult[] }) {
  if (args.json) writeFileSync(args.json, JSON.stringify({ node: process.version, ...results }, null, 2))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
