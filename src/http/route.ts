import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { z } from 'zod'
import type { AbortSource } from '../core/abort.js'
import type { Principal, RequestContext } from '../core/context.js'
import type { ErrorReporter, FailureInfo } from '../core/report.js'
import type { Services } from '../services/services.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * The native objects of the host, for hooks that need `req.user` or `ctx.state`. Loosely
 * typed here; each adapter's options type them with its framework's own request.
 */
export type HostObjects =
  | { framework: 'express'; req: any; res: any }
  | { framework: 'fastify'; request: any; reply: any }
  | { framework: 'koa'; ctx: any }
  | { framework: 'node'; req: IncomingMessage; res: ServerResponse }

/** A host request translated into the shape the core works on. */
export interface NeutralRequest<H extends HostObjects = HostObjects> {
  method: string
  /** Path below the mount prefix, e.g. `/agents/support/generate`. */
  path: string
  params: Record<string, string>
  query: Record<string, string | string[] | undefined>
  headers: IncomingHttpHeaders
  /** Fires when the client goes away before the response finished. */
  signal: AbortSignal
  host: H
  /** The raw Node request, read by the core when no host parser consumed it. */
  raw: IncomingMessage
  /** The body a host parser produced, read only when that parser consumed the stream. */
  parsedBody?: unknown
  /** The path the mount is served under, e.g. `/api`. */
  basePath: string
}

/** What a handler may know about the mount serving it. */
export interface MountInfo {
  readonly routes: readonly Route[]
  readonly authConfigured: boolean
  /** The OpenAPI 3.1 document of the mount as served under `basePath`. */
  openApi(basePath: string): Record<string, unknown>
  /**
   * Hands a failure the handler answered itself to the mount's `onError`; `info` adds to what
   * the request says (its route and the ids in its path).
   */
  reportError(err: unknown, request: NeutralRequest, info?: Partial<FailureInfo>): void
  /** What a client going away does to the agent run it started (mount option, else the runtime's, else `'abort'`). */
  readonly onDisconnect: 'abort' | 'continue'
  /** Asks the mount's `authorize` hook about a further permission (an MCP tool call's); true without a hook. */
  allows(check: AuthorizeArgs): Promise<boolean>
}

/** What the `authorize` hook is asked. */
export interface AuthorizeArgs {
  principal: Principal | null
  route: Route
  permission: string
  params: Record<string, unknown>
  context: RequestContext
}

export interface HandlerArgs<P = any, Q = any, B = any> {
  params: P
  query: Q
  body: B
  context: RequestContext
  principal: Principal | null
  /** Resource the caller is scoped to (from `auth.resourceId`); undefined means unscoped. */
  resourceId: string | undefined
  /** Fires when the client goes away. Destructure it (`({ signal }) =>`); a spread copy drops it. */
  signal: AbortSignal
  /** The client going away, linked to a controller directly: no AbortSignal is made for the request. */
  disconnect: AbortSource
  /** Agents, workflows, tools and the store this mount serves. */
  runtime: Services
  request: NeutralRequest
  mount: MountInfo
  /**
   * Reports a failure of this request's work that no response shows (a tool in an agent run, a
   * background workflow run) to the mount's `onError`, with this request. Pass it on as `onError`.
   */
  onError: ErrorReporter
}

export interface RouteDefinition<
  PS extends z.ZodType = z.ZodType,
  QS extends z.ZodType = z.ZodType,
  BS extends z.ZodType = z.ZodType,
> {
  method: HttpMethod
  /** Express-style path with `:param` segments, relative to the mount prefix. */
  path: string
  summary?: string
  description?: string
  tags?: string[]
  params?: PS
  query?: QS
  body?: BS
  response?: z.ZodType
  /** Default 'required'; only matters when an `authenticate` hook is configured. */
  auth?: 'required' | 'public'
  /** Defaults to `<first path segment>:<read|write|execute>` derived from method and path. */
  permission?: string
  /** Byte limit of the request body; default from the mount (1 MiB). */
  bodyLimit?: number
  /** Left out of the OpenAPI document (static files of the console). */
  hidden?: boolean
  handler: (args: HandlerArgs<z.infer<PS>, z.infer<QS>, z.infer<BS>>) => unknown | Promise<unknown>
}

export type Route = RouteDefinition<any, any, any>

/** A route with its defaults resolved, as adapters register it. */
export interface MountedRoute {
  readonly route: Route
  readonly method: Route['method']
  readonly path: string
  readonly permission: string
  readonly bodyLimit: number
  readonly isPublic: boolean
}

/**
 * Declares a route: data for the registry and OpenAPI, plus its handler.
 *
 * @example
 * defineRoute({ method: 'GET', path: '/hello/:name', params: z.object({ name: z.string() }),
 *   handler: ({ params }) => ({ hello: params.name }) })
 */
export function defineRoute<PS extends z.ZodType, QS extends z.ZodType, BS extends z.ZodType>(
  route: RouteDefinition<PS, QS, BS>,
): Route {
  return route as Route
}

// ---- handler results ------------------------------------------------------

const RESULT = Symbol.for('agentmount.result')

export interface JsonResult {
  [RESULT]: 'json'
  value: unknown
  status: number
  headers?: Record<string, string>
}

export type StreamKind = 'sse' | 'records'

export interface StreamResult {
  [RESULT]: StreamKind
  source: AsyncIterable<unknown>
  headers?: Record<string, string>
  /** Items are `{ seq, data }`: each SSE frame carries `id: <seq>`, so a client can rejoin with `Last-Event-ID`. */
  ids?: boolean
}

/** An already-encoded SSE byte stream (the AI SDK UI message stream). */
export interface UiMessageResult {
  [RESULT]: 'ui-message'
  stream: ReadableStream<unknown>
  headers?: Record<string, string>
}

/** Bytes sent as they are (static files), with their content type and caching headers. */
export interface BytesResult {
  [RESULT]: 'bytes'
  body: Buffer
  status: number
  headers: Record<string, string>
}

/** An already-encoded `text/event-stream` (e.g. the MCP SDK's), written as it comes. */
export interface EventStreamResult {
  [RESULT]: 'event-stream'
  stream: ReadableStream<Uint8Array | string>
  headers?: Record<string, string>
}

export type HandlerResult = JsonResult | StreamResult | UiMessageResult | BytesResult | EventStreamResult

/** A JSON response with a chosen status and headers. */
export function json(value: unknown, init: { status?: number; headers?: Record<string, string> } = {}): JsonResult {
  return { [RESULT]: 'json', value, status: init.status ?? 200, headers: init.headers }
}

/**
 * A Server-Sent Events response: each item becomes one `data: <json>` frame. With `ids`, items
 * are `{ seq, data }` and each frame also carries `id: <seq>`.
 */
export function sse(source: AsyncIterable<unknown>, init: { headers?: Record<string, string>; ids?: boolean } = {}): StreamResult {
  return { [RESULT]: 'sse', source, headers: init.headers, ids: init.ids }
}

/** A record stream: each item becomes `<json>\x1e` (Mastra's workflow framing). */
export function records(source: AsyncIterable<unknown>, init: { headers?: Record<string, string> } = {}): StreamResult {
  return { [RESULT]: 'records', source, headers: init.headers }
}

/** An AI SDK UI message stream (what `useChat` reads), ending with `data: [DONE]`. */
export function uiMessageStream(stream: ReadableStream<unknown>, init: { headers?: Record<string, string> } = {}): UiMessageResult {
  return { [RESULT]: 'ui-message', stream, headers: init.headers }
}

/** A response of raw bytes; `headers` must carry the content type. */
export function bytes(body: Buffer, init: { status?: number; headers: Record<string, string> }): BytesResult {
  return { [RESULT]: 'bytes', body, status: init.status ?? 200, headers: init.headers }
}

/** A stream of SSE text the producer already framed; the writer adds only headers and heartbeats. */
export function eventStream(stream: ReadableStream<Uint8Array | string>, init: { headers?: Record<string, string> } = {}): EventStreamResult {
  return { [RESULT]: 'event-stream', stream, headers: init.headers }
}

export function resultKind(value: unknown): HandlerResult[typeof RESULT] | undefined {
  return value !== null && typeof value === 'object' ? (value as any)[RESULT] : undefined
}

export type { ServerResponse }
