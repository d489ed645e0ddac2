// A benchmark server in its own process: `node --import tsx bench/server.ts <host> <scenario> <mounted|baseline> <dbPath>`.
// Prints `READY <port>` once listening.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { scenarios } from './scenarios/index.js'
import type { HostName } from './scenarios/types.js'
import { createRuntime } from '../src/runtime.js'

const [host, scenarioName, mode, dbPath] = process.argv.slice(2) as [HostName, string, 'mounted' | 'baseline', string]
const scenario = scenarios[scenarioName]
if (!scenario) throw new Error(`unknown scenario ${scenarioName}`)

function ready(server: Server) {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`)
  })
}

async function main() {
  const mounted = mode === 'mounted'
  const runtime = mounted ? createRuntime(scenario.runtime(dbPath)) : undefined
  if (host === 'express') {
    const { default: express } = await import('express')
    const { mount } = await import('../adapters/express.js')
    const app = express()
    if (mounted) app.use('/api', mount(runtime!))
    else {
      app.use(express.json())
      scenario.baseline.express(app, dbPath)
    }
    ready(createServer(app))
  } else if (host === 'fastify') {
    const { default: Fastify } = await import('fastify')
    const { mount } = await import('../adapters/fastify.js')
    const app = Fastify()
    if (mounted) await app.register(mount(runtime!), { prefix: '/api' })
    else scenario.baseline.fastify(app, dbPath)
    await app.ready()
    ready(app.server)
  } else {
    const { default: Koa } = await import('koa')
    const { default: Router } = await import('@koa/router')
    const { bodyParser } = await import('@koa/bodyparser')
    const { mount } = await import('../adapters/koa.js')
    const app = new Koa()
    // The load generator drops connections mid-stream at the end of a run; that EPIPE is expected.
    app.silent = true
    if (mounted) app.use(mount(runtime!, { prefix: '/api' }))
    else {
      const router = new Router()
      scenario.baseline.koa(router, dbPath)
      app.use(bodyParser())
      app.use(router.routes())
    }
    ready(createServer(app.callback()))
  }
}

// Exit cleanly so --cpu-prof can write its profile.
process.on('SIGTERM', () => process.exit(0))

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
