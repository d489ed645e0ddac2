// An existing Koa app (its own logger, auth and routes) with agentmount at /api.
// Run: npx tsx examples/koa/server.ts
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import Koa from 'koa'
import Router from '@koa/router'
import { mount, type KoaHost } from 'agentmount/koa'
import { demoHooks, userFromAuthorization, type DemoUser } from '../shared/auth.js'
import { banner } from '../shared/banner.js'
import { createDemoRuntime } from '../shared/runtime.js'
import type { Store } from 'agentmount'

// Where the app's auth middleware keeps the signed-in user.
declare module 'koa' {
  interface DefaultState {
    user?: DemoUser
  }
}

export interface AppOptions {
  port?: number
  log?: boolean
  store?: Store
}

export async function startKoaApp({ port = Number(process.env.PORT ?? 3002), log = true, store }: AppOptions = {}): Promise<Server> {
  const runtime = await createDemoRuntime({ store })
  const app = new Koa()
  app.use(async (ctx, next) => {
    const started = Date.now()
    await next()
    if (log) console.log(`${ctx.method} ${ctx.url} ${ctx.status} ${Date.now() - started}ms`)
  })
  app.use(async (ctx, next) => {
    ctx.state.user = userFromAuthorization(ctx.get('authorization') || undefined)
    await next()
  })
  const own = new Router()
  own.get('/health', (ctx) => {
    ctx.body = { ok: true }
  })
  app.use(own.routes())
  app.use(mount(runtime, { prefix: '/api', console: true, ...demoHooks<KoaHost>((host) => host.ctx.state.user) }))
  const server = createServer(app.callback())
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  server.on('close', () => void runtime.close())
  return server
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startKoaApp()
  console.log(banner('Koa', `http://127.0.0.1:${(server.address() as AddressInfo).port}`))
}
