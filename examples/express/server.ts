// An existing Express app (its own logger, auth and routes) with agentmount mounted at /api.
// Run: npx tsx examples/express/server.ts
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import express from 'express'
import { mount, type ExpressHost } from 'agentmount/express'
import { demoHooks, userFromAuthorization, type DemoUser } from '../shared/auth.js'
import { banner } from '../shared/banner.js'
import { createDemoRuntime } from '../shared/runtime.js'
import type { Store } from 'agentmount'

// Where a passport-style middleware keeps the signed-in user.
declare global {
  namespace Express {
    interface Request {
      user?: DemoUser
    }
  }
}

export interface AppOptions {
  port?: number
  log?: boolean
  store?: Store
}

export async function startExpressApp({ port = Number(process.env.PORT ?? 3000), log = true, store }: AppOptions = {}): Promise<Server> {
  const runtime = await createDemoRuntime({ store })
  const app = express()
  app.use((req, res, next) => {
    const started = Date.now()
    if (log) res.on('finish', () => console.log(`${req.method} ${req.originalUrl} ${res.statusCode} ${Date.now() - started}ms`))
    next()
  })
  // The app's own auth: it only identifies; the kit decides what each route requires.
  app.use((req, _res, next) => {
    req.user = userFromAuthorization(req.headers.authorization)
    next()
  })
  app.get('/health', (_req, res) => res.json({ ok: true }))
  app.use('/api', mount(runtime, { console: true, ...demoHooks<ExpressHost>((host) => host.req.user) }))
  const server = createServer(app)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  server.on('close', () => void runtime.close())
  return server
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startExpressApp()
  console.log(banner('Express', `http://127.0.0.1:${(server.address() as AddressInfo).port}`))
}
