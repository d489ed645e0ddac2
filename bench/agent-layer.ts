// `npm run bench:agent-layer` — what the agent layer adds to one generate, in process, no sockets.
// Options: --calls 20000 (measured per variant and round)  --rounds 3  --warmup 3000
//          --concurrency 50 (calls in flight, as the HTTP bench's connections: the store groups their writes)
//
// CPU µs per call (user + system, so a busy machine inflates every row alike) of:
//   generateText            the bare call the hand-written bench route makes (system + prompt)
//   agent, runs: false      `Agent.generate` with no run ledger
//   agent via runtime       the runtime's `agents.generate` with its run ledger on the default store
// Rows run round-robin, `--rounds` times; the table shows each row's median and minimum, then
// the bytes each row allocates per call (V8's sampling heap profiler, counting objects the GC
// has already collected): the scavenger's work grows with what a request allocates.
import { mkdtempSync, rmSync } from 'node:fs'
import type { HeapProfiler } from 'node:inspector'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateText, stepCountIs } from 'ai'
import { median } from './harness/stats.js'
import { kit } from './kit.js'
import { BenchModel } from './scenarios/bench-model.js'

const { values: args } = parseArgs({
  options: { calls: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' }, warmup: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '50' } },
})
const calls = Number(args.calls)
const rounds = Number(args.rounds)
const warmup = Number(args.warmup)
const concurrency = Number(args.concurrency)

const INSTRUCTIONS = 'You are a load-test agent.'
const model = new BenchModel()
const unrecorded = new kit.Agent({ id: 'bench', instructions: INSTRUCTIONS, model, runs: false })
const dir = mkdtempSync(join(tmpdir(), 'agent-layer-'))
const runtime = kit.createRuntime({
  agents: { bench: new kit.Agent({ id: 'bench', instructions: INSTRUCTIONS, model }) },
  store: new kit.SqliteStore({ path: join(dir, 'bench.db') }),
})

const variants: Record<string, () => Promise<unknown>> = {
  generateText: () => generateText({ model, system: INSTRUCTIONS, prompt: 'hello there', stopWhen: stepCountIs(5) }),
  'agent, runs: false': () => unrecorded.generate({ messages: 'hello there' }),
  'agent via runtime': () => runtime.services.agents.generate('bench', { messages: 'hello there' }),
}

async function cpuPerCall(fn: () => Promise<unknown>, n: number): Promise<number> {
  let left = n
  const worker = async () => {
    while (left-- > 0) await fn()
  }
  const start = process.cpuUsage()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const used = process.cpuUsage(start)
  return (used.user + used.system) / n
}

const samples: Record<string, number[]> = {}
for (const [name, fn] of Object.entries(variants)) {
  await cpuPerCall(fn, warmup)
  samples[name] = []
}
for (let round = 0; round < rounds; round++) {
  for (const [name, fn] of Object.entries(variants)) samples[name].push(await cpuPerCall(fn, calls))
}

/** Bytes allocated per call over `n` calls, garbage included (sampled every 4 KiB). */
async function bytesPerCall(session: Session, fn: () => Promise<unknown>, n: number): Promise<number> {
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMinorGC: true,
    includeObjectsCollectedByMajorGC: true,
  } as HeapProfiler.StartSamplingParameterType)
  let left = n
  const worker = async () => {
    while (left-- > 0) await fn()
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SampledNode } }
  let total = 0
  const visit = (node: SampledNode) => {
    total += node.selfSize
    for (const child of node.children) visit(child)
  }
  visit(profile.head)
  return total / n
}
interface SampledNode {
  selfSize: number
  children: SampledNode[]
}

const session = new Session()
session.connect()
const allocated: Record<string, number> = {}
for (const [name, fn] of Object.entries(variants)) allocated[name] = await bytesPerCall(session, fn, Math.max(1000, Math.round(calls / 4)))
session.disconnect()
await runtime.close()
rmSync(dir, { recursive: true, force: true })

const base = median(samples.generateText)
const baseBytes = allocated.generateText
process.stdout.write(
  `${calls} calls × ${rounds} rounds per row, ${concurrency} in flight; CPU µs per call (median, min) and the median over generateText's; KiB allocated per call and over generateText's\n`,
)
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs)
  const kib = (bytes: number) => (bytes / 1024).toFixed(1)
  process.stdout.write(
    `${name.padEnd(20)} ${m.toFixed(1).padStart(7)} ${Math.min(...xs).toFixed(1).padStart(7)}  +${(m - base).toFixed(1).padEnd(6)} ${kib(allocated[name]).padStart(7)} KiB  +${kib(allocated[name] - baseBytes)}\n`,
  )
}
