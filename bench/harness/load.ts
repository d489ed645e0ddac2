// One load run against one server: autocannon in this process, the server's CPU time read in its own.
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import type { BenchRequest } from '../scenarios/types.js'
import type { ServerProcess } from './server-process.js'

export interface LoadOptions {
  connections: number
  /** Seconds of load, or… */
  seconds?: number
  /** …a fixed number of requests. */
  amount?: number
}

export interface Sample {
  rps: number
  requests: number
  p50: number
  p99: number
  max: number
  errors: number
  /** Server CPU time (user + system, all its threads) per response, in microseconds. */
  serverCpuPerRequest: number
  /** The server's CPU use over the run, in cores (1 = one core busy all the time). */
  serverCores: number
  /** The server's event-loop delay during the run (p99, max; ms): long waits there are the server's own. */
  loopDelayP99: number
  /** Request handling time inside the server (request event → response closed), p50/p99 in ms. */
  handlingP50: number
  handlingP99: number
  loopDelayMax: number
  /** The load generator's CPU use over the run, in cores; near 1 means the generator was the limit. */
  loaderCores: number
}

const cpuTotal = (usage: NodeJS.CpuUsage) => usage.user + usage.system

/**
 * Waits until the server has closed every response of the previous run: the load generator
 * drops its connections when a run ends, and a starved server may still be working on them.
 */
async function settled(server: ServerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while ((await server.ask({ cmd: 'usage' })).inFlight > 0 && Date.now() < deadline) await sleep(50)
}

export async function loadOnce(server: ServerProcess, request: BenchRequest, options: LoadOptions): Promise<Sample> {
  await settled(server)
  const headers: Record<string, string> = { ...request.headers }
  if (request.body !== undefined) headers['content-type'] ??= 'application/json'
  const serverBefore = await server.ask({ cmd: 'usage' })
  const loaderBefore = process.cpuUsage()
  const started = performance.now()
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${request.path}`,
    method: request.method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.seconds } : { amount: options.amount }),
  })
  const wallMicros = (performance.now() - started) * 1000
  const loaderMicros = cpuTotal(process.cpuUsage(loaderBefore))
  const serverAfter = await server.ask({ cmd: 'usage' })
  const serverMicros = cpuTotal(serverAfter.cpu) - cpuTotal(serverBefore.cpu)
  const requests = result.requests.total
  return {
    rps: requests / (wallMicros / 1e6),
    requests,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts + result.non2xx,
    serverCpuPerRequest: requests > 0 ? serverMicros / requests : NaN,
    serverCores: serverMicros / wallMicros,
    loaderCores: loaderMicros / wallMicros,
    loopDelayP99: serverAfter.loopDelay.p99,
    loopDelayMax: serverAfter.loopDelay.max,
    handlingP50: serverAfter.handling.p50,
    handlingP99: serverAfter.handling.p99,
  }
}
