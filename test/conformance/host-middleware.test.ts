import type { AddressInfo } from 'node:net'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import fastifyCompress from '@fastify/compress'
import fastifyCors from '@fastify/cors'
import fastifyHelmet from '@fastify/helmet'
import koaCors from '@koa/cors'
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { MockLanguageModelV3 } from 'ai/test'
import compression from 'compression'
import cors from 'cors'
import express5 from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import helmet from 'helmet'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import koaCompress from 'koa-compress'
import koaHelmet from 'koa-helmet'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mount as mountExpress } from '../../adapters/express.js'
import { mount as mountFastify } from '../../adapters/fastify.js'
import { mount as mountKoa } from '../../adapters/koa.js'
import { createHandler } from '../../adapters/node.js'
import { Agent } from '../../src/agents/agent.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import { SqliteStore } from '../../src/storage/sqlite.js'
import { hosts } from '../harness/hosts.js'

const ORIGIN = 'https://app.example'
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 2, text: 2, reasoning: 0 } }

/** A model whose stream sends its first words, then waits until the test lets it finish. */
function gatedModel() {
  const releases: Array<() => void> = []
  const model = new MockLanguageModelV3({
    doStream: async () => {
      const gate = new Promise<void>((resolve) => releases.push(resolve))
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] })
          controller.enqueue({ type: 'text-start', id: 't' })
          controller.enqueue({ type: 'text-delta', id: 't', delta: 'first-words ' })
          await gate
          controller.enqueue({ type: 'text-delta', id: 't', delta: 'last-words' })
          controller.enqueue({ type: 'text-end', id: 't' })
          controller.enqueue({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage })
          controller.close()
        },
      })
      return { stream }
    },
  })
  return { model, release: () => releases.shift()?.() }
}

interface App {
  url: string
  close(): Promise<void>
}

function listen(server: Server): Promise<App> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({ url: `http://127.0.0.1:${port}/api`, close: () => new Promise<void>((done) => server.close(() => done())) })
    })
  })
}

/** Each host with the response middleware its users install: compression, CORS, helmet. */
const apps: Record<string, (runtime: Runtime) => Promise<App>> = {
  async express4(runtime) {
    const app = express4()
    app.use(helmet(), cors({ origin: true }), compression({ threshold: 1024 }))
    app.use('/api', mountExpress(runtime) as unknown as express4.Router)
    return listen(createServer(app))
  },
  async express5(runtime) {
    const app = express5()
    app.use(helmet(), cors({ origin: true }), compression({ threshold: 1024 }))
    app.use('/api', mountExpress(runtime))
    return listen(createServer(app))
  },
  async fastify5(runtime) {
    const app = Fastify()
    await app.register(fastifyHelmet)
    await app.register(fastifyCors, { origin: true })
    await app.register(fastifyCompress, { threshold: 1024 })
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('x-on-send', 'seen')
      return payload
    })
    await app.register(mountFastify(runtime), { prefix: '/api' })
    await app.ready()
    return listen(app.server)
  },
  async koa2(runtime) {
    const app = new Koa2()
    app.use(koaHelmet()).use(koaCors()).use(koaCompress({ threshold: 1024 }))
    app.use(mountKoa(runtime, { prefix: '/api' }) as unknown as Koa2.Middleware)
    return listen(createServer(app.callback()))
  },
  async node(runtime) {
    type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void
    const chain = [helmet(), cors({ origin: true }), compression({ threshold: 1024 }), createHandler(runtime, { prefix: '/api' })] as Middleware[]
    // What connect does: each middleware hands on to the next; the last one's `next` is the app's 404.
    const app = (req: IncomingMessage, res: ServerResponse) => {
      const run = (i: number) => (err?: unknown) =>
        err || i === chain.length ? res.writeHead(err ? 500 : 404).end() : chain[i](req, res, run(i + 1))
      run(0)()
    }
    return listen(createServer(app))
  },
  async koa3(runtime) {
    const app = new Koa3()
    app.use(koaHelmet()).use(koaCors()).use(koaCompress({ threshold: 1024 }))
    app.use(mountKoa(runtime, { prefix: '/api' }))
    return listen(createServer(app.callback()))
  },
}

/** Reads a streamed body until `text` appears; hangs (and times out) if the host buffers it. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string, seen = ''): Promise<string> {
  const decoder = new TextDecoder()
  while (!seen.includes(text)) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`stream ended before ${JSON.stringify(text)}`)
    seen += decoder.decode(value, { stream: true })
  }
  return seen
}

describe.each(hosts)('the host’s response middleware on $name', (factory) => {
  let app: App
  let runtime: Runtime
  let gated: ReturnType<typeof gatedModel>

  beforeEach(async () => {
    gated = gatedModel()
    const store = new SqliteStore(':memory:')
    runtime = createRuntime({ store, agents: { writer: new Agent({ id: 'writer', instructions: 'Write.', model: gated.model }) } })
    app = await apps[factory.name](runtime)
  })
  afterEach(async () => {
    await app.close()
    // Lets the runs the tests hung up on store their outcome, then closes the store.
    await runtime.close()
  })

  const headers = { origin: ORIGIN, 'accept-encoding': 'gzip', 'content-type': 'application/json' }

  it('compresses JSON responses and keeps the middleware’s headers', async () => {
    const res = await fetch(`${app.url}/openapi.json`, { headers })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-encoding')).toBe('gzip')
    expect(res.headers.get('access-control-allow-origin')).toBeTruthy()
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    if (factory.name === 'fastify5') expect(res.headers.get('x-on-send')).toBe('seen')
    expect((await res.json()).openapi).toMatch(/^3\.1/)
  })

  it('sends error envelopes with CORS and security headers', async () => {
    const res = await fetch(`${app.url}/agents/missing`, { headers })
    expect(res.status).toBe(404)
    expect(res.headers.get('access-control-allow-origin')).toBeTruthy()
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    if (factory.name === 'fastify5') expect(res.headers.get('x-on-send')).toBe('seen')
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' })
  })

  it.each([
    ['stream', { messages: 'hi' }],
    ['chat', { id: 'c1', trigger: 'submit-message', messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'hi' }] }] }],
  ])('delivers /%s frames as they are produced, with CORS and the same cache headers', async (route, body) => {
    const res = await fetch(`${app.url}/agents/writer/${route}`, { method: 'POST', headers, body: JSON.stringify(body) })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(res.headers.get('access-control-allow-origin')).toBeTruthy()
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const reader = res.body!.getReader()
    // The model holds its last words until the client has the first ones.
    const early = await readUntil(reader, 'first-words')
    expect(early).not.toContain('last-words')
    gated.release()
    const all = await readUntil(reader, 'last-words', early)
    expect(all).toContain('first-words')
    await reader.cancel()
  })
})
