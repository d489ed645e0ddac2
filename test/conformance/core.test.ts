import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Validator } from '@seriousme/openapi-schema-validator'
import { z } from 'zod'
import { hosts, PREFIX, type TestHost } from '../harness/hosts.js'
import { call, eventually, rawRequest, readAll, recordFrames, sseFrames } from '../harness/http.js'
import { coreMountOptions, coreRuntime, probe } from './core-fixture.js'
import { createRuntime } from '../../src/runtime.js'
import { defineRoute } from '../../src/http/route.js'

const ALICE = 'alice-token'

describe.each(hosts)('core pipeline on $name', (factory) => {
  let raw: TestHost // the app has no JSON parser of its own
  let parsed: TestHost // the app parses JSON before the mount
  const api = (host: TestHost, path: string) => `${host.url}${PREFIX}${path}`

  beforeAll(async () => {
    raw = await factory.create({ runtime: coreRuntime(), mount: coreMountOptions, parser: false })
    parsed = await factory.create({ runtime: coreRuntime(), mount: coreMountOptions, parser: true })
  })
  afterAll(async () => {
    await raw?.close()
    await parsed?.close()
  })

  describe('requests that succeed', () => {
    it('returns the handler value for a valid body, on an app without a parser', async () => {
      const res = await call(api(raw, '/echo'), { method: 'POST', token: ALICE, json: { name: 'Ada', age: 36 } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(res.body).toEqual({ body: { name: 'Ada', age: 36 }, user: 'alice' })
    })

    it('uses the body the host parser already read', async () => {
      const res = await call(api(parsed, '/echo'), { method: 'POST', token: ALICE, json: { name: 'Grace' } })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ body: { name: 'Grace' }, user: 'alice' })
    })

    it('passes path and query as separate objects and json() status and headers', async () => {
      const res = await call(api(raw, '/items/a1'), { method: 'POST', token: ALICE, json: { id: 'evil', note: 'n' } })
      expect(res.status).toBe(201)
      expect(res.headers.get('x-item')).toBe('a1')
      expect(res.body).toEqual({ params: { id: 'a1' }, body: { id: 'evil', note: 'n' } })
      const get = await call(api(raw, '/items/a1?verbose=true'), { token: ALICE })
      expect(get.body).toEqual({ id: 'a1', verbose: true })
    })

    it('keeps the host middleware headers on mounted responses', async () => {
      const res = await call(api(raw, '/items/a1'), { token: ALICE })
      expect(res.headers.get('x-host-app')).toBe(factory.name)
    })
  })

  describe('the error envelope', () => {
    it('answers 400 VALIDATION_ERROR with field paths', async () => {
      const res = await call(api(raw, '/echo'), {
        method: 'POST',
        token: ALICE,
        json: { name: '', age: 'old', nested: { tags: ['ok', 7] } },
      })
      expect(res.status).toBe(400)
      expect(res.body.code).toBe('VALIDATION_ERROR')
      expect(res.body.issues.map((i: any) => i.field).sort()).toEqual(['age', 'name', 'nested.tags.1'])
      for (const issue of res.body.issues) expect(typeof issue.message).toBe('string')
    })

    it('answers 400 for a missing body and for bad query values', async () => {
      const missing = await call(api(raw, '/echo'), { method: 'POST', token: ALICE })
      expect(missing.status).toBe(400)
      expect(missing.body.code).toBe('VALIDATION_ERROR')
      const query = await call(api(raw, '/items/a1?verbose=maybe'), { token: ALICE })
      expect(query.status).toBe(400)
      expect(query.body.issues[0].field).toBe('verbose')
    })

    it('answers 400 BAD_JSON for malformed JSON', async () => {
      const res = await call(api(raw, '/echo'), {
        method: 'POST',
        token: ALICE,
        headers: { 'content-type': 'application/json' },
        body: '{"name": "Ada",',
      })
      expect(res.status).toBe(400)
      expect(res.body.code).toBe('BAD_JSON')
      expect(res.body.error).toMatch(/Malformed JSON/)
    })

    it('answers 401 UNAUTHENTICATED before reading or validating the body', async () => {
      const res = await call(api(raw, '/echo'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{not json',
      })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ error: 'Authentication required', code: 'UNAUTHENTICATED' })
    })

    it('answers 403 FORBIDDEN when authorize refuses', async () => {
      const user = await call(api(raw, '/admin/purge'), { method: 'POST', token: ALICE, json: { confirm: true } })
      expect(user.status).toBe(403)
      expect(user.body.code).toBe('FORBIDDEN')
      const admin = await call(api(raw, '/admin/purge'), { method: 'POST', token: 'admin-token', json: { confirm: true } })
      expect(admin.status).toBe(200)
      expect(admin.body).toEqual({ purged: true })
    })

    it('answers 404 and 409 thrown by a handler', async () => {
      const missing = await call(api(raw, '/items/missing'), { token: ALICE })
      expect(missing.status).toBe(404)
      expect(missing.body).toEqual({ error: 'Item missing not found', code: 'NOT_FOUND' })
      const taken = await call(api(raw, '/items/taken'), { token: ALICE })
      expect(taken.status).toBe(409)
      expect(taken.body.code).toBe('CONFLICT')
    })

    it('answers 413 by Content-Length before reading the body', async () => {
      const res = await call(api(raw, '/small'), { method: 'POST', token: ALICE, json: { text: 'x'.repeat(200) } })
      expect(res.status).toBe(413)
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE')
    })

    it('answers 413 for a chunked body that outgrows the limit', async () => {
      const { req, response } = rawRequest(api(raw, '/small'), {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}`, 'transfer-encoding': 'chunked' },
      })
      req.write('{"text":"')
      req.write('y'.repeat(100))
      req.end('"}')
      const res = await response
      expect(res.statusCode).toBe(413)
      expect(JSON.parse(await readAll(res)).code).toBe('PAYLOAD_TOO_LARGE')
    })

    it('answers 415 for a non-JSON content type', async () => {
      const res = await call(api(raw, '/echo'), {
        method: 'POST',
        token: ALICE,
        headers: { 'content-type': 'text/plain' },
        body: 'name=Ada',
      })
      expect(res.status).toBe(415)
      expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE')
    })

    it('answers 500 INTERNAL without internals and reports the error', async () => {
      const before = probe.errors.length
      const res = await call(api(raw, '/items/crash'), { token: ALICE })
      expect(res.status).toBe(500)
      expect(res.body).toEqual({ error: 'Internal server error', code: 'INTERNAL' })
      expect(res.text).not.toMatch(/secret|srv|at /)
      expect(probe.errors.length).toBe(before + 1)
    })

    it('refuses __proto__ payloads without polluting prototypes', async () => {
      for (const host of [raw, parsed]) {
        const res = await call(api(host, '/echo'), {
          method: 'POST',
          token: ALICE,
          headers: { 'content-type': 'application/json' },
          body: '{"name":"x","__proto__":{"polluted":true},"nested":{"tags":[],"constructor":{"prototype":{"polluted":true}}}}',
        })
        expect(res.status).toBe(400)
        // A host parser may refuse such a body itself before the mount sees it.
        if (host === raw || res.body?.code) expect(res.body.code).toBe('BAD_JSON')
        expect(({} as any).polluted).toBeUndefined()
        expect((Object.prototype as any).polluted).toBeUndefined()
      }
    })
  })

  describe('the host app around the mount', () => {
    it('lets unmatched paths under the prefix reach the host app', async () => {
      const owned = await call(api(raw, '/host-owned'))
      expect(owned.status).toBe(200)
      expect(owned.body).toEqual({ owner: factory.name })
      const unknown = await call(api(raw, '/no-such-route'), { token: ALICE })
      expect(unknown.status).toBe(404)
      expect(unknown.body).toEqual({ hostNotFound: true })
    })

    it('lets paths outside the prefix reach the host app', async () => {
      const health = await call(`${raw.url}/health`)
      expect(health.body).toEqual({ ok: true, host: factory.name })
      const outside = await call(`${raw.url}/elsewhere/echo`)
      expect(outside.body).toEqual({ hostNotFound: true })
    })

    it('serves public routes without a principal and still sees one when sent', async () => {
      const anonymous = await call(api(raw, '/public/ping'))
      expect(anonymous.body).toEqual({ pong: true, principal: null })
      const signedIn = await call(api(raw, '/public/ping'), { token: ALICE })
      expect(signedIn.body).toEqual({ pong: true, principal: 'alice' })
    })

    it('builds the context from the host user, allowing only listed client keys', async () => {
      const res = await call(api(raw, '/context'), {
        method: 'POST',
        token: 'bob-token',
        json: { requestContext: { locale: 'fr', tenant: 'evil', role: 'admin' } },
      })
      expect(res.status).toBe(200)
      expect(res.body.context).toEqual({ locale: 'fr', tenant: 'globex', hostFramework: factory.name.replace(/\d+$/, '') })
    })
  })

  describe('abort and streams', () => {
    it('aborts the handler signal when the client disconnects', async () => {
      const tag = `${factory.name}-slow`
      const { req } = rawRequest(api(raw, `/slow/${tag}`), { headers: { authorization: `Bearer ${ALICE}` } })
      req.on('error', () => {})
      req.end()
      await new Promise((r) => setTimeout(r, 100))
      req.destroy()
      await eventually(() => probe.handlerAborted.has(tag))
    })

    it('writes SSE frames with the streaming headers', async () => {
      const res = await fetch(api(raw, '/stream/sse'), { headers: { authorization: `Bearer ${ALICE}` } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/event-stream')
      expect(res.headers.get('cache-control')).toBe('no-cache, no-transform')
      expect(res.headers.get('x-accel-buffering')).toBe('no')
      expect(res.headers.get('x-host-app')).toBe(factory.name)
      const text = await res.text()
      expect(text).toBe([0, 1, 2].map((i) => `data: {"type":"tick","i":${i}}\n\n`).join(''))
    })

    it('writes records separated by \\x1e', async () => {
      const res = await fetch(api(raw, '/stream/records'), { headers: { authorization: `Bearer ${ALICE}` } })
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      const text = await res.text()
      expect(text.endsWith('\x1e')).toBe(true)
      expect(recordFrames(text)).toEqual([0, 1, 2].map((i) => ({ type: 'tick', i })))
    })

    it('ends a failing stream with an error frame and no internals', async () => {
      const before = probe.errors.length
      const res = await fetch(api(raw, '/stream/fail'), { headers: { authorization: `Bearer ${ALICE}` } })
      const frames = sseFrames(await res.text())
      expect(frames.at(-1)).toEqual({ type: 'error', payload: { message: 'Internal server error' } })
      expect(frames).toHaveLength(4)
      expect(probe.errors.length).toBe(before + 1)
    })

    it('sends a heartbeat comment on an idle stream', async () => {
      const res = await fetch(api(raw, '/stream/idle'), { headers: { authorization: `Bearer ${ALICE}` } })
      const text = await res.text()
      expect(text.startsWith(': ping\n\n')).toBe(true)
      expect(sseFrames(text)).toHaveLength(3)
    })

    it('stops the producer when the client disconnects mid-stream', async () => {
      const tag = `${factory.name}-hang`
      const { req, response } = rawRequest(api(raw, `/stream/hang?tag=${tag}`), {
        method: 'GET',
        headers: { authorization: `Bearer ${ALICE}` },
      })
      req.end()
      const res = await response
      res.setEncoding('utf8')
      let seen = ''
      await new Promise<void>((resolve) => {
        res.on('data', (c: string) => {
          seen += c
          if (seen.includes('waiting')) resolve()
        })
      })
      expect(probe.producerStopped.has(tag)).toBe(false)
      req.destroy()
      await eventually(() => probe.producerStopped.has(tag))
    })
  })

  describe('registry', () => {
    it('throws at mount time on a duplicate method and path, naming both', async () => {
      const runtime = createRuntime({
        routes: [
          defineRoute({ method: 'GET', path: '/dup/:a', summary: 'first', handler: () => 1 }),
          defineRoute({ method: 'GET', path: '/dup/:b', summary: 'second', handler: () => 2 }),
        ],
      })
      await expect(factory.create({ runtime })).rejects.toThrow(/Duplicate route GET \/dup\/:b: "first" and "second"/)
    })

    it('answers a static segment before a parameter, whatever the registration order', async () => {
      const id = z.object({ id: z.string() })
      const runtime = createRuntime({
        routes: [
          defineRoute({ method: 'GET', path: '/shelf/:id', params: id, auth: 'public', handler: ({ params }) => ({ route: 'param', id: params.id }) }),
          defineRoute({ method: 'GET', path: '/shelf/:id/books', params: id, auth: 'public', handler: ({ params }) => ({ route: 'param-books', id: params.id }) }),
          defineRoute({ method: 'GET', path: '/shelf/featured', auth: 'public', handler: () => ({ route: 'static' }) }),
          defineRoute({ method: 'GET', path: '/shelf/:id/latest', params: id, auth: 'public', handler: ({ params }) => ({ route: 'param-latest', id: params.id }) }),
          defineRoute({ method: 'GET', path: '/shelf/featured/:part', params: z.object({ part: z.string() }), auth: 'public', handler: ({ params }) => ({ route: 'static-param', part: params.part }) }),
        ],
      })
      const host = await factory.create({ runtime })
      try {
        const get = async (path: string) => (await call(api(host, path))).body
        expect(await get('/shelf/featured')).toEqual({ route: 'static' })
        expect(await get('/shelf/other')).toEqual({ route: 'param', id: 'other' })
        expect(await get('/shelf/featured/books')).toEqual({ route: 'static-param', part: 'books' })
        expect(await get('/shelf/featured/latest')).toEqual({ route: 'static-param', part: 'latest' })
        expect(await get('/shelf/other/latest')).toEqual({ route: 'param-latest', id: 'other' })
        expect(await get('/shelf/other/books')).toEqual({ route: 'param-books', id: 'other' })
      } finally {
        await host.close()
      }
    })

    it('serves a valid OpenAPI 3.1 document listing every route', async () => {
      const res = await call(api(raw, '/openapi.json'))
      expect(res.status).toBe(200)
      const doc = res.body
      expect(doc.openapi).toBe('3.1.0')
      expect(doc.servers).toEqual([{ url: PREFIX }])
      const validator = new Validator()
      const result = await validator.validate(doc)
      expect(result.errors ?? []).toEqual([])
      expect(result.valid).toBe(true)
      const runtime = coreRuntime()
      for (const route of runtime.routes) {
        const path = route.path.replace(/:(\w+)/g, '{$1}')
        expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined()
      }
      expect(doc.paths['/echo'].post.requestBody.content['application/json'].schema.required).toEqual(['name'])
      expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' })
      expect(doc.paths['/public/ping'].get.security).toEqual([])
    })
  })
})

