import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { hosts, PREFIX, type TestHost } from '../harness/hosts.js'
import { call, eventually } from '../harness/http.js'
import { installTracing } from '../harness/tracing.js'
import { coreMountOptions, coreRuntime } from './core-fixture.js'

const tracing = installTracing()
afterAll(() => tracing.uninstall())

describe.each(hosts)('traces on $name', (factory) => {
  let host: TestHost
  const api = (path: string) => `${host.url}${PREFIX}${path}`

  beforeAll(async () => {
    host = await factory.create({ runtime: coreRuntime(), mount: coreMountOptions })
  })
  afterAll(() => host?.close())
  beforeEach(() => tracing.reset())

  it('names the route with its mount prefix, its ids and the resource on the host server span', async () => {
    const res = await call(api('/items/abc?verbose=true'), { headers: { authorization: 'Bearer alice-token' } })
    expect(res.status).toBe(200)
    const server = await eventually(() => tracing.server(`${PREFIX}/items/abc`))
    expect(server!.attributes).toMatchObject({
      'http.route': `${PREFIX}/items/:id`,
      'agentmount.resource.id': 'alice',
    })
  })
})
