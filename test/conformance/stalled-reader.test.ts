import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineRoute, sse, type HostObjects } from '../../src/http/route.js'
import { createRuntime } from '../../src/runtime.js'
import { hosts, PREFIX, type TestHost } from '../harness/hosts.js'
import { eventually, rawRequest } from '../harness/http.js'

/** The Node response under each host's own objects. */
function nodeResponse(host: HostObjects): ServerResponse {
  switch (host.framework) {
    case 'express':
      return host.res
    case 'fastify':
      return host.reply.raw
    case 'koa':
      return host.ctx.res
    case 'node':
      return host.res
  }
}

const HEARTBEAT_MS = 2
const frame = { pad: 'x'.repeat(64 * 1024) }

describe.each(hosts)('a reader that stops reading on $name', (factory) => {
  let host: TestHost
  const responses: ServerResponse[] = []

  beforeAll(async () => {
    const runtime = createRuntime({
      routes: [
        defineRoute({
          method: 'GET',
          path: '/firehose',
          handler: ({ request, signal }) => {
            responses.push(nodeResponse(request.host))
            // As fast as the writer takes them: only backpressure holds this producer back.
            return sse((async function* () {
              while (!signal.aborted) yield frame
            })())
          },
        }),
      ],
    })
    host = await factory.create({ runtime, mount: { heartbeatMs: HEARTBEAT_MS } })
  })
  afterAll(async () => {
    await host?.close()
  })

  it('costs a fixed set of listeners and no more buffered bytes while heartbeats keep firing', async () => {
    const { req, response } = rawRequest(`${host.url}${PREFIX}/firehose`, { method: 'GET' })
    req.end()
    const res = await response
    res.pause() // the client stops reading
    const server = await eventually(() => responses[0])
    // The socket and the writer's buffer are full: the writer waits for 'drain'.
    await eventually(() => server.writableNeedDrain)
    const listeners = () => ({ drain: server.listenerCount('drain'), close: server.listenerCount('close') })
    const before = { ...listeners(), buffered: server.writableLength }
    // Let a few hundred heartbeat intervals pass while nothing is read.
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS * 200))
    expect({ ...listeners(), buffered: server.writableLength }).toEqual(before)
    expect(before.drain).toBeLessThanOrEqual(2)
    req.destroy()
    await eventually(() => server.destroyed)
  })
})
