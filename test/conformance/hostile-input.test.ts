import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hosts, type TestHost } from '../harness/hosts.js'
import { call, rawRequest, readAll } from '../harness/http.js'
import { closeClean } from '../harness/lifecycle.js'
import { ALICE, nested, startSafetyApp, type SafetyApp } from './safety-fixture.js'

const deep = (levels: number) => nested(levels - 1, '{"x":1}')

describe.each(hosts)('hostile request bodies on $name', (factory) => {
  let raw: SafetyApp // the app has no JSON parser of its own
  let parsed: SafetyApp // the app parses JSON before the mount

  beforeAll(async () => {
    raw = await startSafetyApp(factory)
    parsed = await startSafetyApp(factory, { parser: true })
  })
  afterAll(() => closeClean(raw, parsed))

  const send = (app: SafetyApp, method: string, path: string, body: string, token = ALICE) =>
    call(app.url(path), { method, token, headers: { 'content-type': 'application/json' }, body })

  describe('nesting depth', () => {
    it('answers 400 BAD_JSON naming the 128-level limit on every route that stores a body, parsed by the host or not', async () => {
      for (const app of [raw, parsed]) {
        const thread = await app.as(ALICE).post('/memory/threads', { threadId: 'deep-target' })
        expect(thread.status).toBe(200)
        const bodies: Array<[string, string, string]> = [
          ['POST', '/memory/threads', `{"metadata":{"constructor":1,"a":${nested(20_000)}}}`],
          ['POST', '/memory/threads', `{"metadata":{"a":${nested(50_000)}}}`],
          ['POST', '/memory/threads', `{"metadata":{"a":${deep(128)}}}`],
          ['PATCH', '/memory/threads/deep-target', `{"metadata":{"a":${nested(6000)}}}`],
          ['POST', '/memory/save-messages', `{"messages":[{"threadId":"deep-target","role":"user","content":"hi","metadata":{"a":${nested(6000)}}}]}`],
          ['POST', '/workflows/echo/start-async', `{"inputData":{"data":${nested(6000)}}}`],
          ['POST', '/agents/support/generate', `{"messages":[{"role":"user","content":"hi","providerOptions":{"a":${nested(6000)}}}],"memory":{"thread":"deep-target"}}`],
        ]
        for (const [method, path, body] of bodies) {
          const res = await send(app, method, path, body)
          expect(res.status, `${method} ${path}`).toBe(400)
          expect(res.body.code).toBe('BAD_JSON')
          expect(res.body.error).toMatch(/deeper than 128 levels/)
        }
        const list = await app.as(ALICE).get('/memory/threads')
        expect(list.body.threads.map((t: { id: string }) => t.id)).toEqual(['deep-target'])
        expect((await app.as(ALICE).send('/memory/threads/deep-target', { method: 'DELETE' })).status).toBe(200)
      }
    })

    it('stores and reads back a body exactly at the limit', async () => {
      for (const app of [raw, parsed]) {
        // body (1) → metadata (2) → a (3) → 125 arrays → {"x":1} at level 128
        const res = await send(app, 'POST', '/memory/threads', `{"threadId":"at-limit","metadata":{"a":${deep(126)}}}`)
        expect(res.status).toBe(200)
        const read = await app.as(ALICE).get('/memory/threads/at-limit')
        expect(JSON.stringify(read.body.metadata.a)).toBe(deep(126))
        await app.as(ALICE).send('/memory/threads/at-limit', { method: 'DELETE' })
      }
    })
  })

  describe('prototype keys', () => {
    it('refuses __proto__ and constructor.prototype however the keys are escaped', async () => {
      const bodies = [
        '{"metadata":{"\\u0063onstructor":{"\\u0070rototype":{"x":1}}}}',
        '{"metadata":{"\\u005f_proto__":{"x":1}}}',
        '{"\\u005f\\u005fproto\\u005f\\u005f":{"admin":true}}',
        '{"metadata":{"list":[{"constructor":{"prototype":{}}}]}}',
      ]
      for (const body of bodies) {
        const res = await send(raw, 'POST', '/memory/threads', body)
        expect(res.status, body).toBe(400)
        expect(res.body.code).toBe('BAD_JSON')
        expect(res.body.error).toMatch(/forbidden key "(__proto__|constructor)"/)
        // Some host parsers (Koa's) refuse __proto__ themselves; what reaches the mount is checked parsed.
        const viaHost = await send(parsed, 'POST', '/memory/threads', body)
        expect(viaHost.status, body).toBe(400)
        if (body.includes('onstructor')) expect(viaHost.body.code).toBe('BAD_JSON')
      }
      for (const app of [raw, parsed]) expect((await app.as(ALICE).get('/memory/threads')).body.threads).toEqual([])
    })

    it('still accepts constructor and prototype as ordinary field names', async () => {
      const res = await send(raw, 'POST', '/memory/threads', '{"threadId":"names","metadata":{"constructor":"Ada","prototype":{"v":1}}}')
      expect(res.status).toBe(200)
      expect(res.body.metadata).toEqual({ constructor: 'Ada', prototype: { v: 1 } })
      await raw.as(ALICE).send('/memory/threads/names', { method: 'DELETE' })
    })
  })

  describe('messages per call', () => {
    const many = (n: number) => Array.from({ length: n }, () => 'a')

    it('answers 400 naming the limit when one call carries more messages than allowed', async () => {
      const calls: Array<[string, unknown]> = [
        ['/agents/support/generate', { messages: many(150_000), memory: { thread: 'many' } }],
        ['/agents/support/stream', { messages: many(1001) }],
        ['/agents/support/chat', { id: 'many', messages: many(1001).map((text, i) => ({ id: `m${i}`, role: 'user', parts: [{ type: 'text', text }] })) }],
        ['/memory/save-messages', { messages: many(1001).map(() => ({ threadId: 'many', role: 'user', content: 'a' })) }],
      ]
      for (const [path, json] of calls) {
        const res = await raw.as(ALICE).post(path, json)
        expect(res.status, path).toBe(400)
        expect(res.body.code).toBe('VALIDATION_ERROR')
        expect(res.body.issues).toEqual([{ field: 'messages', message: 'at most 1000 messages per call' }])
      }
      expect((await raw.as(ALICE).get('/memory/threads')).body.threads).toEqual([])
    })
  })

  describe('content types', () => {
    const malformed = [';', 'application/', 'application json', '']

    async function post(host: TestHost | SafetyApp, type: string, token?: string) {
      const url = 'url' in host && typeof host.url === 'function' ? host.url('/memory/threads') : ''
      const headers: Record<string, string> = { 'content-type': type, 'content-length': '2' }
      if (token) headers.authorization = `Bearer ${token}`
      const { req, response } = rawRequest(url, { headers })
      req.end('{}')
      const res = await response
      return { status: res.statusCode, body: JSON.parse(await readAll(res)) }
    }

    it('answers a malformed content type with 401 to an anonymous caller and 415 in the envelope to a signed-in one', async () => {
      for (const type of malformed) {
        const anonymous = await post(raw, type)
        expect(anonymous, `content-type "${type}"`).toEqual({ status: 401, body: { error: 'Authentication required', code: 'UNAUTHENTICATED' } })
        const signedIn = await post(raw, type, ALICE)
        expect(signedIn.status, `content-type "${type}"`).toBe(415)
        expect(signedIn.body.code).toBe('UNSUPPORTED_MEDIA_TYPE')
        expect(Object.keys(signedIn.body)).toEqual(['error', 'code'])
      }
    })
  })

  describe('id length', () => {
    const id = (n: number) => 'i'.repeat(n)

    it('reaches threads whose ids have up to 400 characters', async () => {
      for (const length of [101, 400]) {
        const threadId = id(length)
        expect((await raw.as(ALICE).post('/memory/threads', { threadId })).status).toBe(200)
        const read = await raw.as(ALICE).get(`/memory/threads/${threadId}`)
        expect(read.status).toBe(200)
        expect(read.body.id).toBe(threadId)
        expect((await raw.as(ALICE).post('/memory/save-messages', { messages: [{ id: id(length), threadId, role: 'user', content: 'hi' }] })).status).toBe(200)
        expect((await raw.as(ALICE).get(`/memory/threads/${threadId}/messages`)).body.total).toBe(1)
        expect((await raw.as(ALICE).send(`/memory/threads/${threadId}`, { method: 'DELETE' })).status).toBe(200)
        const run = await raw.as(ALICE).post(`/workflows/echo/create-run?runId=${id(length)}`)
        expect(run.status).toBe(200)
        expect((await raw.as(ALICE).get(`/workflows/echo/runs/${id(length)}`)).status).toBe(200)
      }
    })

    it('answers 400 VALIDATION_ERROR for a thread, message, run or resource id over 400 characters', async () => {
      const long = id(401)
      const requests: Array<[string, string, unknown?]> = [
        ['POST', '/memory/threads', { threadId: long }],
        ['POST', '/memory/threads', { resourceId: long }],
        ['GET', `/memory/threads/${long}`],
        ['DELETE', `/memory/threads/${long}`],
        ['POST', '/memory/save-messages', { messages: [{ id: long, threadId: 't', role: 'user', content: 'hi' }] }],
        ['POST', '/memory/messages/delete', { messageIds: [long] }],
        ['POST', `/workflows/echo/create-run?runId=${long}`],
        ['GET', `/workflows/echo/runs/${long}`],
        ['POST', '/agents/support/generate', { messages: 'hi', memory: { thread: long } }],
      ]
      for (const [method, path, json] of requests) {
        const res = await raw.as(ALICE).send(path, { method, json })
        expect(res.status, `${method} ${path.slice(0, 40)}`).toBe(400)
        expect(res.body.code).toBe('VALIDATION_ERROR')
        expect(res.body.issues[0].message).toBe('at most 400 characters')
      }
    })
  })
})
