import type { IncomingMessage, ServerResponse } from 'node:http'
import { notFound } from '../src/core/errors.js'
import type { MountOptions } from '../src/http/dispatch.js'
import { writeError } from '../src/http/write.js'
import { createMount } from '../src/mount.js'
import type { Runtime } from '../src/runtime.js'

/** What `req.host` holds in this handler's hooks. */
export interface NodeHost {
  framework: 'node'
  req: IncomingMessage
  res: ServerResponse
}

export interface NodeHandlerOptions extends MountOptions<NodeHost> {
  /** Path the routes are served under, e.g. `/api` (default: the server's root). */
  prefix?: string
}

/** A `node:http` request listener, or connect-style middleware when given `next`. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void

/**
 * Serves the runtime's routes from a plain `node:http` server. A request outside the mount
 * goes to `next` when there is one, else it gets a 404 in the envelope.
 *
 * @example http.createServer(createHandler(runtime, { prefix: '/api', auth })).listen(3000)
 */
export function createHandler(runtime: Runtime, options: NodeHandlerOptions = {}): NodeHandler {
  const core = createMount(runtime, options)
  const prefix = (options.prefix ?? '').replace(/\/+$/, '')
  return (req, res, next) => {
    const url = req.url ?? '/'
    const path = url.split('?', 1)[0]
    const inside = path === prefix || path.startsWith(`${prefix}/`)
    const found = inside ? core.match(req.method ?? 'GET', path.slice(prefix.length) || '/') : undefined
    if (!found) return next ? next() : writeError(res, notFound('Not found'))
    // A body parser that ran before (connect's `bodyParser.json()`) leaves `req.body`.
    const parsedBody = req.readableEnded ? (req as { body?: unknown }).body : undefined
    const host: NodeHost = { framework: 'node', req, res }
    void core.handle(found.route, { host, raw: req, res, params: found.params, parsedBody, basePath: prefix })
  }
}
