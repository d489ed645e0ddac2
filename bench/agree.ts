// `npm run bench:agree -- <first.json> <second.json> [--within 10]` — do two runs of
// `npm run bench -- --json <file>` agree? For every comparison both measured, the ratio and the
// CPU ratio of each run, how far apart they are, and how many are within ±`--within` %.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Comparison } from './harness/compare.js'

const { values: args, positionals } = parseArgs({ options: { within: { type: 'string', default: '10' } }, allowPositionals: true })
if (positionals.length !== 2) {
  console.error('usage: npm run bench:agree -- <first.json> <second.json> [--within 10]')
  process.exit(2)
}

const load = (file: string): Comparison[] => JSON.parse(readFileSync(file, 'utf8')).comparisons ?? []
const [first, second] = positionals.map(load)
const within = Number(args.within) / 100
const key = (c: Comparison) => `${c.host} ${c.scenario}`
const later = new Map(second.map((c) => [key(c), c]))
const apart = (a: number, b: number) => b / a - 1
const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(0)} %`

console.log('| host | scenario | run 1 | run 2 | apart | CPU run 1 | CPU run 2 | apart |')
console.log('|---|---|---:|---:|---:|---:|---:|---:|')
let rows = 0
let ratiosWithin = 0
let cpuWithin = 0
for (const a of first) {
  const b = later.get(key(a))
  if (!b) continue
  rows++
  const ratio = apart(a.ratio.median, b.ratio.median)
  const cpu = apart(a.cpuRatio.median, b.cpuRatio.median)
  if (Math.abs(ratio) <= within) ratiosWithin++
  if (Math.abs(cpu) <= within) cpuWithin++
  const mark = (x: number) => (Math.abs(x) <= within ? pct(x) : `**${pct(x)}**`)
  console.log(
    `| ${a.host} | ${a.name} | ${a.ratio.median.toFixed(2)} | ${b.ratio.median.toFixed(2)} | ${mark(ratio)} | ${a.cpuRatio.median.toFixed(2)} | ${b.cpuRatio.median.toFixed(2)} | ${mark(cpu)} |`,
  )
}
console.log(`\nWithin ±${args.within} %: ${ratiosWithin} of ${rows} ratios, ${cpuWithin} of ${rows} CPU ratios.`)
