import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { HttpError, notFound } from '../../core/errors.js'
import { defineRoute, eventStream, json, type HandlerArgs, type NeutralRequest, type Route } from '../../http/route.js'
import { buildCatalog, type McpEntry, type McpOptions } from './catalog.js'
import { loadMcpSdk } from './sdk.js'
import { createMcpServer, SCOPE_KEY, type McpScope } from './server.js'
import { McpSessions } from './sessions.js'

const tags = ['mcp']
const permission = 'mcp:execute'
const SERVER_INFO = { name: 'agentmount', version: '1.0.0' }
// Headers the transport answers with that the writer does not set itself.
const PASSED_HEADERS = ['mcp-session-id', 'allow']
// Hop-by-hop or body-framing headers of the client's request, meaningless on the rebuilt one.
const DROPPED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade'])

const jsonRpcMessage = z.looseObject({ jsonrpc: z.literal('2.0') })
const postBody = z.union([jsonRpcMessage, z.array(jsonRpcMessage).min(1)])

/** The principal a session belongs to; every anonymous caller is the same owner. */
function ownerOf(args: HandlerArgs): string {
  const id = args.principal?.id
  return args.resourceId ?? (id === undefined ? '' : String(id))
}

function asksForProgress(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body]
  return messages.some((message) => message?.params?._meta?.progressToken !== undefined)
}

/** The neutral request as the Web `Request` the SDK's transport reads; the body was already parsed. */
function toWebRequest(request: NeutralRequest): Request {
  const headers = new Headers()
  for (const name of Object.keys(request.headers)) {
    const value = request.headers[name]
    if (value === undefined || DROPPED_HEADERS.has(name)) continue
    headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  return new Request(`http://localhost${request.basePath}/mcp`, { method: request.method, headers })
}

/** The transport's `Response` as a handler result, so it leaves through the shared writer. */
async function fromWebResponse(response: Response): Promise<unknown> {
  const headers: Record<string, string> = {}
  for (const name of PASSED_HEADERS) {
    const value = response.headers.get(name)
    if (value !== null) headers[name] = value
  }
  if (response.body && response.headers.get('content-type')?.startsWith('text/event-stream')) {
    return eventStream(response.body, { headers })
  }
  const text = await response.text()
  return json(text === '' ? undefined : JSON.parse(text), { status: response.status, headers })
}

/** The `/mcp` routes and the sessions they share; `close` ends every session. */
export function mcpEndpoint(options: McpOptions): { routes: Route[]; close(): void } {
  const sessions = new McpSessions()
  let catalog: Map<string, McpEntry> | undefined
  const catalogOf = (services: HandlerArgs['runtime']) => (catalog ??= buildCatalog(services, options))

  async function serve(args: HandlerArgs): Promise<unknown> {
    const { request, runtime } = args
    const sdk = await loadMcpSdk()
    const owner = ownerOf(args)
    const scope: McpScope = {
      context: args.context,
      principal: args.principal,
      resourceId: args.resourceId,
      signal: args.signal,
      report: (err, info) => args.mount.reportError(err, request, info),
      allows: ({ permission, params }) =>
        args.mount.allows({ principal: args.principal, route: callRoute, permission, params, context: args.context }),
    }
    const sessionId = request.headers['mcp-session-id']
    let transport
    if (options.stateless) {
      if (request.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'This MCP endpoint is stateless: POST only')
      // Nothing can be streamed to a call that asked for no progress: one JSON body is cheaper.
      transport = new sdk.Transport({ enableJsonResponse: !asksForProgress(args.body) })
      await createMcpServer(sdk, catalogOf(runtime), SERVER_INFO).connect(transport)
    } else if (typeof sessionId === 'string') {
      transport = sessions.get(sessionId, owner)
      if (!transport) throw notFound('MCP session not found')
    } else {
      if (request.method !== 'POST') throw new HttpError(400, 'VALIDATION_ERROR', 'Mcp-Session-Id header is required')
      const server = createMcpServer(sdk, catalogOf(runtime), SERVER_INFO)
      const fresh: InstanceType<typeof sdk.Transport> = new sdk.Transport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => sessions.add(id, owner, fresh, server),
        onsessionclosed: (id) => sessions.forget(id),
      })
      fresh.onclose = () => {
        if (fresh.sessionId) sessions.forget(fresh.sessionId)
      }
      await server.connect(fresh)
      transport = fresh
    }
    const authInfo = { token: '', clientId: owner, scopes: [], extra: { [SCOPE_KEY]: scope } }
    return fromWebResponse(await transport.handleRequest(toWebRequest(request), { parsedBody: args.body, authInfo }))
  }

  // The route `authorize` sees for tool calls, which only ever arrive by POST.
  const callRoute = defineRoute({
    method: 'POST', path: '/mcp', summary: 'MCP Streamable HTTP: send JSON-RPC messages', tags, permission,
    body: postBody, handler: serve,
  })
  const routes = [
    callRoute,
    defineRoute({ method: 'GET', path: '/mcp', summary: 'MCP Streamable HTTP: open the server-to-client stream', tags, permission, handler: serve }),
    defineRoute({ method: 'DELETE', path: '/mcp', summary: 'MCP Streamable HTTP: end a session', tags, permission, handler: serve }),
  ]
  return { routes, close: () => sessions.closeAll() }
}
