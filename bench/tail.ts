// `npm run bench:tail` — where the stream scenario's p99 comes from (about 1 minute).
// Options: --hosts express,fastify,koa  --connections 50  --seconds 6  --warmup 2  --busy-ms 3
//
// For each host, the hand-written and the mounted agent stream (50 chunks) each get 50
// keep-alive connections, opened together as the load generator of `npm run bench` opens them
// at the start of every sample. Every request is timed on its own, so the report can split
// latency into two kinds:
//   first request   the first request of each new connection: when it is answered
//   steady state    every later request on a connection that is already open
// A control server shows the same split with nothing of this kit, of the AI SDK or of a stream
// in it: node:http answering each request after `--busy-ms` of synchronous work.
import { fork } from 'node:child_process'
import { createServer } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { requestBytes } from './harness/interleave.js'
import { ServerProcess } from './harness/server-process.js'
import { streamScenario } from './scenarios/agents.js'
import type { BenchRequest } from './scenarios/types.js'

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: 'express,fastify,koa' },
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    'busy-ms': { type: 'string', default: '3' },
    // Internal: this file started as the control server.
    'serve-busy': { type: 'string' },
  },
})

/** The control: node:http, the body read, then `ms` of synchronous work, then a chunked answer. */
function serveBusy(ms: number) {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const until = performance.now() + ms
      while (performance.now() < until);
      res.write('busy')
      res.end()
    })
  })
  server.listen(0, '127.0.0.1', () => process.send!({ ready: (server.address() as AddressInfo).port }))
  process.on('SIGTERM', () => process.exit(0))
  process.on('disconnect', () => process.exit(0))
}

interface Timed {
  /** Index of the request on its connection: 0 is the connection's first. */
  index: number
  sent: number
  ended: number
}

const TERMINAL_CHUNK = '0\r\n\r\n'

/** One keep-alive connection sending `request` again as soon as each chunked answer ends, until `until`. */
async function drive(port: number, request: Buffer, until: number, into: Timed[]): Promise<void> {
  const socket: Socket = connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  try {
    for (let index = 0; performance.now() < until; index++) {
      const timed: Timed = { index, sent: performance.now(), ended: 0 }
      socket.write(request)
      await new Promise<void>((resolve, reject) => {
        let tail = ''
        const onData = (data: Buffer) => {
          tail = (tail + data.toString('latin1')).slice(-TERMINAL_CHUNK.length)
          if (tail !== TERMINAL_CHUNK) return
          socket.off('data', onData).off('error', reject)
          resolve()
        }
        socket.on('data', onData).once('error', reject)
      })
      timed.ended = performance.now()
      into.push(timed)
    }
  } finally {
    socket.destroy()
  }
}

function quantiles(ms: number[]): { p50: number; p99: number; max: number; count: number } {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))])
  return { p50: at(0.5), p99: at(0.99), max: sorted.length === 0 ? NaN : sorted[sorted.length - 1], count: sorted.length }
}

/** Load on connections of its own (then closed), so that the measured run finds the server's code compiled. */
async function warmUp(port: number, head: Buffer) {
  const until = performance.now() + Number(args.warmup) * 1000
  await Promise.all(Array.from({ length: Number(args.connections) }, () => drive(port, head, until, [])))
}

async function measure(label: string, port: number, request: BenchRequest) {
  const head = requestBytes(request)
  await warmUp(port, head)
  const timed: Timed[] = []
  const until = performance.now() + Number(args.seconds) * 1000
  await Promise.all(Array.from({ length: Number(args.connections) }, () => drive(port, head, until, timed)))
  const latency = (t: Timed) => t.ended - t.sent
  const all = quantiles(timed.map(latency))
  const steady = quantiles(timed.filter((t) => t.index > 0).map(latency))
  const first = quantiles(timed.filter((t) => t.index === 0).map(latency))
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–').padStart(5)
  console.log(
    `${label.padEnd(26)} all ${f(all.p50)} /${f(all.p99)} /${f(all.max)}   steady state ${f(steady.p50)} /${f(steady.p99)} /${f(steady.max)}` +
      ` (p99 = ${(steady.p99 / steady.p50).toFixed(1)} × p50)   first requests ${f(first.p50)} /${f(first.max)}   ${all.count} requests`,
  )
}

async function main() {
  console.log(`${args.connections} keep-alive connections opened together, ${args.seconds} s each after ${args.warmup} s of warm-up; latency ms as p50 / p99 / max (first requests: p50 / max)\n`)
  const dir = mkdtempSync(join(tmpdir(), 'agentmount-tail-'))
  const control = fork(new URL(import.meta.url).pathname, ['--serve-busy', args['busy-ms']!], { execArgv: ['--import', 'tsx'] })
  const port = await new Promise<number>((resolve) => control.on('message', (m: { ready?: number }) => m.ready && resolve(m.ready)))
  await measure(`node:http, ${args['busy-ms']} ms sync work`, port, { method: 'GET', path: '/' })
  control.kill('SIGTERM')
  for (const host of args.hosts!.split(',') as Array<'express' | 'fastify' | 'koa'>) {
    for (const side of ['baseline', 'mounted'] as const) {
      const server = await ServerProcess.start({ host, scenarios: ['stream'], side, dbPath: join(dir, `${host}-${side}.db`) })
      try {
        await measure(`${host} ${side === 'mounted' ? 'mounted' : 'hand-written'} stream`, server.port, streamScenario.request)
      } finally {
        await server.stop()
      }
    }
  }
  rmSync(dir, { recursive: true, force: true })
}

if (args['serve-busy'] !== undefined) serveBusy(Number(args['serve-busy']))
else await main()
