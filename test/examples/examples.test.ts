import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SqliteStore } from 'agentmount'
import { startExpressApp } from '../../examples/express/server.js'
import { startFastifyApp } from '../../examples/fastify/server.js'
import { startKoaApp } from '../../examples/koa/server.js'
import { call, sseFrames } from '../harness/http.js'

// The examples import the built package by name, as an app would (`npm test` builds first).
const apps = [
  {
    name: 'express',
    start: async () => {
      const server = await startExpressApp({ port: 0, log: false, store: new SqliteStore(':memory:') })
      return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) }
    },
  },
  {
    name: 'fastify',
    start: async () => {
      const app = await startFastifyApp({ port: 0, log: false, store: new SqliteStore(':memory:') })
      return { port: (app.server.address() as AddressInfo).port, close: () => app.close() }
    },
  },
  {
    name: 'koa',
    start: async () => {
      const server = await startKoaApp({ port: 0, log: false, store: new SqliteStore(':memory:') })
      return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) }
    },
  },
]

const TOKEN = 'demo-token'

describe.each(apps)('the $name example', ({ start }) => {
  let base: string
  let close: () => Promise<void>
  beforeAll(async () => {
    const app = await start()
    base = `http://127.0.0.1:${app.port}`
    close = app.close
  })
  afterAll(() => close?.())

  it('keeps its own routes and auth', async () => {
    expect((await call(`${base}/health`)).body).toEqual({ ok: true })
    const anonymous = await call(`${base}/api/agents`)
    expect(anonymous.status).toBe(401)
    const me = await call(`${base}/api/me`, { token: TOKEN })
    expect(me.body).toMatchObject({ principal: { id: 'user-ada', name: 'Ada' }, resourceId: 'user-ada' })
  })

  it('serves agents and tools', async () => {
    const agents = await call(`${base}/api/agents`, { token: TOKEN })
    expect(Object.keys(agents.body)).toEqual(['support'])
    expect(Object.keys(agents.body.support.tools).sort()).toEqual(['currentUser', 'lookupOrder'])
    const tool = await call(`${base}/api/tools/currentUser/execute`, { method: 'POST', token: TOKEN, json: { data: {} } })
    expect(tool.body).toEqual({ name: 'Ada', plan: 'pro', email: 'ada@example.com' })
    const res = await fetch(`${base}/api/agents/support/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: 'Where is my order?', memory: { thread: 'example-thread' } }),
    })
    const frames = sseFrames(await res.text())
    expect(frames[0].type).toBe('start')
    expect(frames.at(-1).type).toBe('finish')
    const text = frames.filter((f) => f.type === 'text-delta').map((f) => f.payload.text).join('')
    expect(text).toContain('Where is my order?')
  })

  it('keeps memory per signed-in user', async () => {
    await call(`${base}/api/agents/support/generate`, {
      method: 'POST',
      token: TOKEN,
      json: { messages: 'hello', memory: { thread: 'ada-thread' } },
    })
    const mine = await call(`${base}/api/memory/threads`, { token: TOKEN })
    expect(mine.body.threads.map((t: any) => t.id)).toContain('ada-thread')
    const messages = await call(`${base}/api/memory/threads/ada-thread/messages`, { token: TOKEN })
    expect(messages.body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant'])
    const theirs = await call(`${base}/api/memory/threads`, { token: 'other-token' })
    expect(theirs.body.threads).toEqual([])
    expect((await call(`${base}/api/memory/threads/ada-thread`, { token: 'other-token' })).status).toBe(404)
  })

  it('runs the refund workflow through a human approval', async () => {
    const started = await call(`${base}/api/workflows/refund/start-async?runId=ex-1`, {
      method: 'POST',
      token: TOKEN,
      json: { inputData: { orderId: 'A-1001', reason: 'too small' } },
    })
    expect(started.body.status).toBe('suspended')
    expect(started.body.suspendPayload.approval).toEqual({ question: 'Refund 129 for A-1001?', amount: 129 })
    const resumed = await call(`${base}/api/workflows/refund/resume-async?runId=ex-1`, {
      method: 'POST',
      token: TOKEN,
      json: { step: 'approval', resumeData: { approved: true } },
    })
    expect(resumed.body.status).toBe('success')
    expect(resumed.body.result).toEqual({ orderId: 'A-1001', refunded: 129, status: 'refunded' })
  })

  it('serves the console, as its banner says', async () => {
    const page = await fetch(`${base}/api/_console`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<base href="/api/_console/">')
  })

  it('describes itself in OpenAPI', async () => {
    const doc = await call(`${base}/api/openapi.json`)
    expect(doc.body.paths['/me'].get.summary).toBe('The signed-in user, as the kit sees it')
  })
})
