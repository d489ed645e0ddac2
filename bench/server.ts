// One benchmark server in its own process, started by the harness with an IPC channel:
//   node --import tsx bench/server.ts <host> <scenario[,scenario…]> <mounted|baseline> <dbPath>
// Side `mounted` serves the scenarios' runtimes merged into one mount under /api; side `baseline`
// serves their hand-written routes (or their baseline mounts). Answers the harness's questions
// about its own CPU time and memory over IPC, so the figures are this process's alone.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import { writeHeapSnapshot } from 'node:v8'
import { scenarios } from './scenarios/index.js'
import type { HandWritten, HostName, MountedBaseline, Scenario } from './scenarios/types.js'
import type { RuntimeConfig } from '../src/index.js'
import { adapters, kit } from './kit.js'
import type { ServerReply, ServerRequest } from './harness/protocol.js'

const [host, names, side, dbPath] = process.argv.slice(2) as [HostName, string, 'mounted' | 'baseline', string]
const chosen: Scenario[] = names.split(',').map((name) => {
  const scenario = scenarios[name]
  if (!scenario) throw new Error(`unknown scenario ${name}`)
  return scenario
})

/** Several scenarios' configurations as one runtime (the memory scenario serves them all). */
function merge(configs: RuntimeConfig[]): RuntimeConfig {
  const merged: RuntimeConfig = {}
  for (const config of configs) {
    merged.agents = { ...merged.agents, ...config.agents }
    merged.workflows = { ...merged.workflows, ...config.workflows }
    merged.tools = { ...merged.tools, ...config.tools }
    merged.routes = [...(merged.routes ?? []), ...(config.routes ?? [])]
    merged.store ??= config.store
    merged.auth ??= config.auth
    merged.context ??= config.context
    merged.mcp ??= config.mcp
  }
  return merged
}

async function build() {
  const handWritten: HandWritten[] = []
  const configs: RuntimeConfig[] = []
  for (const scenario of chosen) {
    if (side === 'mounted') configs.push(await scenario.runtime(dbPath))
    else if ('runtime' in scenario.baseline) configs.push(await (scenario.baseline as MountedBaseline).runtime(dbPath))
    else handWritten.push(scenario.baseline as HandWritten)
  }
  const runtime = configs.length > 0 ? kit.createRuntime(merge(configs)) : undefined

  if (host === 'express') {
    const { default: express } = await import('express')
    const { mount } = await adapters.express()
    const app = express()
    if (runtime) app.use('/api', mount(runtime))
    if (handWritten.length > 0) {
      app.use(express.json())
      for (const routes of handWritten) routes.express(app, dbPath)
    }
    return createServer(app)
  }
  if (host === 'fastify') {
    const { default: Fastify } = await import('fastify')
    const { mount } = await adapters.fastify()
    const app = Fastify()
    if (runtime) await app.register(mount(runtime), { prefix: '/api' })
    for (const routes of handWritten) routes.fastify(app, dbPath)
    await app.ready()
    return app.server
  }
  const { default: Koa } = await import('koa')
  const { default: Router } = await import('@koa/router')
  const { bodyParser } = await import('@koa/bodyparser')
  const { mount } = await adapters.koa()
  const app = new Koa()
  // The load generator drops connections mid-stream at the end of a run; that EPIPE is expected.
  app.silent = true
  if (runtime) app.use(mount(runtime, { prefix: '/api' }))
  if (handWritten.length > 0) {
    const router = new Router()
    for (const routes of handWritten) routes.koa(router, dbPath)
    app.use(bodyParser())
    app.use(router.routes())
  }
  return createServer(app.callback())
}

const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()
/** Request handling time in µs; the same listener on both sides. */
const handling = createHistogram()
let inFlight = 0
function timeRequests(server: Server) {
  server.prependListener('request', (_req, res) => {
    const started = performance.now()
    inFlight++
    res.once('close', () => {
      inFlight--
      handling.record(Math.max(1, Math.round((performance.now() - started) * 1000)))
    })
  })
}

function answer(request: ServerRequest): ServerReply {
  if (request.cmd === 'gc') {
    // Twice: the first pass can leave garbage that only a second one frees (weak callbacks).
    globalThis.gc?.()
    globalThis.gc?.()
  }
  const file = request.cmd === 'snapshot' ? writeHeapSnapshot(request.file) : undefined
  const ms = (ns: number) => ns / 1e6
  const loopDelay = { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) }
  const handled = { p50: handling.percentile(50) / 1000, p99: handling.percentile(99) / 1000, max: handling.max / 1000 }
  loop.reset()
  handling.reset()
  return { id: request.id, cpu: process.cpuUsage(), memory: process.memoryUsage(), loopDelay, handling: handled, inFlight, file }
}

process.on('message', (message) => process.send!(answer(message as ServerRequest)))
// Exit cleanly so --cpu-prof can write its profile.
process.on('SIGTERM', () => process.exit(0))

build()
  .then((server: Server) => {
    timeRequests(server)
    server.listen(0, '127.0.0.1', () => process.send!({ ready: (server.address() as AddressInfo).port }))
  })
  .catch((err) => {
    console.error(err)
    process.exit(1)
  })
