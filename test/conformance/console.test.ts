import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hosts, hostUser, PREFIX, type TestHost } from '../harness/hosts.js'
import { call, rawRequest } from '../harness/http.js'
import { createRuntime } from '../../src/runtime.js'
import type { MountOptions } from '../../src/http/dispatch.js'

// `npm test` builds the console before the tests run (dist/console).
const auth: MountOptions['auth'] = { authenticate: (req) => hostUser(req.host) ?? null }

function scriptOf(html: string): string {
  const src = /<script type="module" crossorigin src="\.\/assets\/([^"]+)"/.exec(html)?.[1]
  if (!src) throw new Error(`no module script in ${html}`)
  return src
}

function rawGet(url: string, headers: Record<string, string>) {
  const { req, response } = rawRequest(url, { method: 'GET', headers })
  req.end()
  return response.then(async (res) => {
    const chunks: Buffer[] = []
    for await (const chunk of res) chunks.push(chunk as Buffer)
    return { status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }
  })
}

describe.each(hosts)('the console on $name', (factory) => {
  let off: TestHost
  let on: TestHost
  beforeAll(async () => {
    off = await factory.create({ runtime: createRuntime(), mount: { auth } })
    on = await factory.create({ runtime: createRuntime(), mount: { auth, console: true } })
  })
  afterAll(async () => {
    await off?.close()
    await on?.close()
  })

  it('does not exist without `console: true`: the host answers', async () => {
    for (const path of ['/_console', '/_console/assets/index.js']) {
      const res = await call(`${off.url}${PREFIX}${path}`)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ hostNotFound: true })
    }
  })

  it('serves the page to a browser that is not signed in, with a strict CSP and no caching', async () => {
    const res = await call(`${on.url}${PREFIX}/_console`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.text).toContain(`<base href="${PREFIX}/_console/">`)
    expect(res.text).not.toMatch(/https?:\/\//)
    // Its data still needs the app's authentication.
    expect((await call(`${on.url}${PREFIX}/agents`)).status).toBe(401)
  })

  it('serves hashed assets as immutable, gzipped when the client accepts it', async () => {
    const page = await call(`${on.url}${PREFIX}/_console`)
    const url = `${on.url}${PREFIX}/_console/assets/${scriptOf(page.text)}`
    const plain = await rawGet(url, { 'accept-encoding': 'identity' })
    expect(plain.status).toBe(200)
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(plain.headers['content-encoding']).toBeUndefined()
    const zipped = await rawGet(url, { 'accept-encoding': 'gzip, br' })
    expect(zipped.headers['content-encoding']).toBe('gzip')
    expect(zipped.headers.vary).toMatch(/accept-encoding/i)
    expect(zipped.body.length).toBeLessThan(plain.body.length)
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true)
  })

  it('answers 404 in the envelope for a file the build did not produce', async () => {
    for (const name of ['nope.js', '..%2F..%2Fpackage.json', '.source-hash', 'index.html']) {
      const res = await call(`${on.url}${PREFIX}/_console/assets/${name}`)
      expect(res.status, name).toBe(404)
      expect(res.body.code, name).toBe('NOT_FOUND')
    }
  })

  it('leaves the console out of the OpenAPI document', async () => {
    const doc = await call(`${on.url}${PREFIX}/openapi.json`)
    expect(Object.keys(doc.body.paths).some((p) => p.includes('_console'))).toBe(false)
    expect(doc.body.paths['/agents']).toBeDefined()
  })
})

describe('the console option', () => {
  const saved = process.env.NODE_ENV
  afterAll(() => {
    process.env.NODE_ENV = saved
  })

  it('is refused when NODE_ENV=production unless the app says so', async () => {
    const [factory] = hosts
    process.env.NODE_ENV = 'production'
    await expect(factory.create({ runtime: createRuntime(), mount: { console: true } })).rejects.toThrow(/console: \{ production: true \}/)
    const host = await factory.create({ runtime: createRuntime(), mount: { console: { production: true } } })
    try {
      expect((await call(`${host.url}${PREFIX}/_console`)).status).toBe(200)
    } finally {
      await host.close()
    }
  })
})
