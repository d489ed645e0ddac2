// An existing Fastify app (its own logger, auth hook and routes) with agentmount at /api.
// Run: npx tsx examples/fastify/server.ts
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { mount, type FastifyHost } from 'agentmount/fastify'
import { demoHooks, userFromAuthorization, type DemoUser } from '../shared/auth.js'
import { banner } from '../shared/banner.js'
import { createDemoRuntime } from '../shared/runtime.js'
import type { Store } from 'agentmount'

declare module 'fastify' {
  interface FastifyRequest {
    user?: DemoUser
  }
}

export interface AppOptions {
  port?: number
  log?: boolean
  store?: Store
}

export async function startFastifyApp({ port = Number(process.env.PORT ?? 3001), log = true, store }: AppOptions = {}) {
  const runtime = await createDemoRuntime({ store })
  const app = Fastify({ logger: log })
  app.decorateRequest('user', undefined)
  app.addHook('onRequest', async (request) => {
    request.user = userFromAuthorization(request.headers.authorization)
  })
  app.addHook('onClose', async () => runtime.close())
  app.get('/health', async () => ({ ok: true }))
  await app.register(mount(runtime, { console: true, ...demoHooks<FastifyHost>((host) => host.request.user) }), { prefix: '/api' })
  await app.listen({ port, host: '127.0.0.1' })
  return app
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = await startFastifyApp()
  console.log(banner('Fastify', `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`))
}
