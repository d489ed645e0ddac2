import type { AddressInfo } from 'node:net'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { bodyParser } from '@koa/bodyparser'
import { mount as mountExpress } from '../../adapters/express.js'
import { mount as mountFastify } from '../../adapters/fastify.js'
import { mount as mountKoa } from '../../adapters/koa.js'
import { createHandler } from '../../adapters/node.js'
import type { MountOptions } from '../../src/http/dispatch.js'
import type { Principal } from '../../src/core/context.js'
import type { HostObjects } from '../../src/http/route.js'
import type { Runtime } from '../../src/runtime.js'
import { call, type JsonResponse } from './http.js'

/** Bearer tokens of the test users: Alice and Bob are ordinary users of two tenants, admin is unscoped. */
export const ALICE = 'alice-token'
export const BOB = 'bob-token'
export const ADMIN = 'admin-token'

/** The users the host apps' own auth middleware knows, by bearer token. */
export const USERS: Record<string, Principal> = {
  [ALICE]: { id: 'alice', role: 'user', tenant: 'acme' },
  [BOB]: { id: 'bob', role: 'user', tenant: 'globex' },
  [ADMIN]: { id: 'root', role: 'admin', tenant: 'acme' },
}

export const PREFIX = '/api'

/** A signed-in (or anonymous) caller of one test host's mounted API; paths are below the mount. */
export interface ApiClient {
  get(path: string): Promise<JsonResponse>
  post(path: string, json?: unknown): Promise<JsonResponse>
  patch(path: string, json?: unknown): Promise<JsonResponse>
  delete(path: string): Promise<JsonResponse>
  send(path: string, init: RequestInit & { json?: unknown }): Promise<JsonResponse>
}

export function apiClient(host: { url: string }, token?: string): ApiClient {
  const send = (path: string, init: RequestInit & { json?: unknown }) => call(`${host.url}${PREFIX}${path}`, { ...init, token })
  return {
    get: (path) => send(path, {}),
    post: (path, json) => send(path, { method: 'POST', json }),
    patch: (path, json) => send(path, { method: 'PATCH', json }),
    delete: (path) => send(path, { method: 'DELETE' }),
    send,
  }
}

function userFromHeader(header: string | undefined): Principal | undefined {
  return header?.startsWith('Bearer ') ? USERS[header.slice(7)] : undefined
}

/** Reads the user the host's own middleware attached, whatever the framework. */
export function hostUser(host: HostObjects): Principal | undefined {
  switch (host.framework) {
    case 'express':
      return host.req.user
    case 'fastify':
      return host.request.user
    case 'koa':
      return host.ctx.state.user
    case 'node':
      return (host.req as IncomingMessage & { user?: Principal }).user
  }
}

export interface HostOptions {
  runtime: Runtime
  mount?: MountOptions
  /** Whether the app installs its own JSON body parser before the mount. */
  parser?: boolean
}

export interface TestHost {
  url: string
  close(): Promise<void>
}

export interface HostFactory {
  name: 'express4' | 'express5' | 'fastify5' | 'koa2' | 'koa3' | 'node'
  create(options: HostOptions): Promise<TestHost>
}

function listen(server: Server): Promise<TestHost> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

function expressFactory(name: 'express4' | 'express5', express: typeof express5): HostFactory {
  return {
    name,
    async create({ runtime, mount: options, parser }) {
      const app = express()
      app.use((req: any, res: any, next: any) => {
        res.setHeader('x-host-app', name)
        req.user = userFromHeader(req.headers.authorization)
        next()
      })
      if (parser) app.use(express.json({ limit: '5mb' }))
      app.get('/health', (_req: any, res: any) => res.json({ ok: true, host: name }))
      app.use(PREFIX, mountExpress(runtime, options))
      app.get(`${PREFIX}/host-owned`, (_req: any, res: any) => res.json({ owner: name }))
      app.use((_req: any, res: any) => res.status(404).json({ hostNotFound: true }))
      return listen(createServer(app))
    },
  }
}

function koaFactory(name: 'koa2' | 'koa3', Koa: typeof Koa3): HostFactory {
  return {
    name,
    async create({ runtime, mount: options, parser }) {
      const app = new Koa()
      app.use(async (ctx: any, next: any) => {
        ctx.set('x-host-app', name)
        ctx.state.user = userFromHeader(ctx.get('authorization') || undefined)
        await next()
      })
      if (parser) app.use(bodyParser({ jsonLimit: '5mb' }) as any)
      app.use(mountKoa(runtime, { ...options, prefix: PREFIX }) as any)
      app.use(async (ctx: any, next: any) => {
        if (ctx.path === '/health') ctx.body = { ok: true, host: name }
        else if (ctx.path === `${PREFIX}/host-owned`) ctx.body = { owner: name }
        else {
          ctx.status = 404
          ctx.body = { hostNotFound: true }
        }
        await next()
      })
      return listen(createServer(app.callback()))
    },
  }
}

const fastifyFactory: HostFactory = {
  name: 'fastify5',
  async create({ runtime, mount: options, parser }) {
    const app = Fastify({ bodyLimit: 5 * 1024 * 1024 })
    if (!parser) app.removeAllContentTypeParsers()
    app.decorateRequest('user', undefined)
    app.addHook('onRequest', async (request: any, reply) => {
      reply.header('x-host-app', 'fastify5')
      request.user = userFromHeader(request.headers.authorization)
    })
    app.get('/health', async () => ({ ok: true, host: 'fastify5' }))
    await app.register(mountFastify(runtime, options), { prefix: PREFIX })
    app.get(`${PREFIX}/host-owned`, async () => ({ owner: 'fastify5' }))
    app.setNotFoundHandler((_request, reply) => reply.code(404).send({ hostNotFound: true }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      // As the other hosts do: a client's keep-alive socket that never sent a request would
      // otherwise hold `close()` until the keep-alive timeout.
      close: () => {
        app.server.closeAllConnections()
        return app.close()
      },
    }
  },
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

/** A plain `node:http` app: its own routing, auth and (optionally) body-parser's JSON parser. */
const nodeFactory: HostFactory = {
  name: 'node',
  async create({ runtime, mount: options, parser }) {
    const api = createHandler(runtime, { ...options, prefix: PREFIX })
    const json = parser ? express5.json({ limit: '5mb' }) : undefined
    const app = (req: IncomingMessage & { user?: Principal }, res: ServerResponse) => {
      res.setHeader('x-host-app', 'node')
      req.user = userFromHeader(req.headers.authorization)
      const path = (req.url ?? '/').split('?', 1)[0]
      if (path === '/health') return sendJson(res, 200, { ok: true, host: 'node' })
      const next = (err?: unknown) => {
        if (err) sendJson(res, (err as { status?: number }).status ?? 500, { hostError: true })
        else if (path === `${PREFIX}/host-owned`) sendJson(res, 200, { owner: 'node' })
        else sendJson(res, 404, { hostNotFound: true })
      }
      if (!json) return api(req, res, next)
      json(req as never, res as never, (err?: unknown) => (err ? next(err) : api(req, res, next)))
    }
    return listen(createServer(app))
  },
}

const ALL: HostFactory[] = [
  expressFactory('express4', express4 as unknown as typeof express5),
  expressFactory('express5', express5),
  fastifyFactory,
  koaFactory('koa2', Koa2 as unknown as typeof Koa3),
  koaFactory('koa3', Koa3),
  nodeFactory,
]

/** The hosts this test run covers (`AGENTMOUNT_HOSTS=express4,koa3`), default all six. */
export const hosts: HostFactory[] = (() => {
  const only = process.env.AGENTMOUNT_HOSTS?.split(',').filter(Boolean)
  return only ? ALL.filter((h) => only.includes(h.name)) : ALL
})()
