import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import { createHandler } from '../../adapters/node.js'
import type { RequestContext } from '../../src/core/context.js'
import type { Runtime } from '../../src/runtime.js'

/** One call of a route through the `node:http` host, as a client makes it. */
export interface RouteCall {
  params?: Record<string, string>
  query?: Record<string, string | undefined>
  /** Sent as JSON. */
  body?: unknown
  /** The resource the caller is scoped to; unscoped when absent. */
  resourceId?: string
  /** What the app's context hook adds for this request. */
  context?: RequestContext
  headers?: Record<string, string>
  /** Aborting it disconnects the client. */
  signal?: AbortSignal
}

/** A refused call: the status and the envelope's fields. */
export interface RouteFailure {
  status: number
  code: string
  error: string
  issues?: Array<{ field: string; message: string }>
}

const servers = new Map<Runtime, Promise<{ server: Server; url: string }>>()

/**
 * The runtime served by the node host: each caller is authenticated (so every route is
 * reachable) and scoped to the resource its `x-scope` header names, or unscoped.
 */
function serve(runtime: Runtime): Promise<{ server: Server; url: string }> {
  let started = servers.get(runtime)
  if (!started) {
    const handler = createHandler(runtime, {
      auth: {
        authenticate: (req) => ({ id: 'caller', scope: req.headers['x-scope'] }),
        resourceId: (principal) => (typeof principal.scope === 'string' ? principal.scope : undefined),
      },
      context: (req) => JSON.parse(String(req.headers['x-context'] ?? '{}')) as RequestContext,
    })
    const server = createServer(handler)
    started = new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
    )
    servers.set(runtime, started)
  }
  return started
}

/** `/a/:id` with `{ id: 'x y' }` → `/a/x%20y`. */
function pathOf(pattern: string, params: Record<string, string> = {}): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params[name]))
}

/** Sends the call and answers the raw response, whatever its status. */
export async function send(runtime: Runtime, method: string, pattern: string, input: RouteCall = {}): Promise<Response> {
  const { url } = await serve(runtime)
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(input.query ?? {})) if (value !== undefined) query.set(key, value)
  const headers: Record<string, string> = { ...input.headers }
  if (input.resourceId !== undefined) headers['x-scope'] = input.resourceId
  if (input.context) headers['x-context'] = JSON.stringify(input.context)
  if (input.body !== undefined) headers['content-type'] = 'application/json'
  const search = query.size > 0 ? `?${query}` : ''
  const body = input.body === undefined ? undefined : JSON.stringify(input.body)
  return fetch(`${url}${pathOf(pattern, input.params)}${search}`, { method, headers, body, signal: input.signal })
}

/** The JSON a route answered; a refusal rejects with its `RouteFailure`. */
export async function callRoute(runtime: Runtime, method: string, pattern: string, input: RouteCall = {}): Promise<any> {
  const res = await send(runtime, method, pattern, input)
  const body = await res.json()
  if (res.status >= 400) throw { status: res.status, ...body } as RouteFailure
  return body
}

/** The refusal a call ended with; throws when it succeeded. */
export async function failure(call: Promise<unknown>): Promise<RouteFailure> {
  const outcome = await call.then(
    () => undefined,
    (err: unknown) => err as RouteFailure,
  )
  if (!outcome) throw new Error('expected the call to be refused')
  return outcome
}

/** The data frames of an SSE body (`[DONE]` as a string), or the records of a `\x1e` stream. */
export async function frames(res: Response): Promise<any[]> {
  const text = await res.text()
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return text
      .split('\n\n')
      .flatMap((block) => block.split('\n').filter((line) => line.startsWith('data: ')))
      .map((line) => line.slice(6))
      .map((data) => (data === '[DONE]' ? data : JSON.parse(data)))
  }
  return text.split('\x1e').filter(Boolean).map((record) => JSON.parse(record))
}

/** Closes the servers started for the runtimes of a test. */
export async function closeServers(): Promise<void> {
  const started = [...servers.values()]
  servers.clear()
  for (const { server } of await Promise.all(started)) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
