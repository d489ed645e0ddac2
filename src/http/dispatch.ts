import type { IncomingMessage, ServerResponse } from 'node:http'
import { DEFAULT_BODY_LIMIT, readBody } from './body.js'
import { linkAbort, type AbortSource } from '../core/abort.js'
import { HttpError, shuttingDown, toHttpError } from '../core/errors.js'
import { activeSpan } from '../core/tracing.js'
import { bySpecificity, matchPath, type PathMatch } from './match.js'
import { buildOpenApi, type OpenApiDocument } from './openapi.js'
import type { Principal, RequestContext } from '../core/context.js'
import type { Services } from '../services/services.js'
import type { AuthHooks, ContextHook, DisconnectPolicy, MountSource } from './hooks.js'
import type { AuthorizeArgs, HandlerArgs, HostObjects, MountedRoute, MountInfo, NeutralRequest, Route } from './route.js'

export type { MountedRoute }
import { parseOrThrow } from '../core/validate.js'
import { writeError, writeResult, type HostSend } from './write.js'
import { isRecord } from '../core/is-record.js'
import { failureOf, reportSafely, reportToStderr, type ErrorReporter, type FailureInfo } from '../core/report.js'

/**
 * The mount's one reporting channel: every unexpected failure, with the request when there is
 * one (absent for a failure no request is waiting on) and what failed.
 */
export type MountErrorHandler<H extends HostObjects = HostObjects> = (err: unknown, req: NeutralRequest<H> | undefined, info: FailureInfo) => void

/** Options every adapter's `mount(runtime, options)` accepts; `H` types `req.host` in the hooks. */
export interface MountOptions<H extends HostObjects = HostObjects> {
  /** Overrides the runtime's auth hooks for this mount. */
  auth?: AuthHooks<H>
  /** Overrides the runtime's context hook for this mount. */
  context?: ContextHook<H>
  /** Keys a client may set via `requestContext` in a body; default the runtime's (none). */
  clientContextKeys?: string[]
  /** Default request body limit in bytes (1 MiB). */
  bodyLimit?: number
  /** SSE heartbeat interval in ms (15 s); 0 turns it off. */
  heartbeatMs?: number
  /** What a client going away does to the agent run it started; default the runtime's (`'abort'`). */
  onDisconnect?: DisconnectPolicy
  /**
   * Receives every unexpected failure: a request answered 500, a provider failure answered 502,
   * a model or tool failure inside an agent run, a stream that broke, a background workflow run
   * that stopped. Also gets the runtime's failures that have no request (`req` undefined).
   * Default: written to standard error.
   */
  onError?: MountErrorHandler<H>
  /**
   * Serve the browser console at `<prefix>/_console` (default off). Refused when
   * `NODE_ENV=production` unless given as `{ production: true }`.
   */
  console?: boolean | { production?: boolean }
}

/** What an adapter hands the core for one request. */
export interface HostRequest {
  host: HostObjects
  raw: IncomingMessage
  res: ServerResponse
  params: Record<string, string>
  parsedBody: unknown
  basePath: string
  /** The host's own send path, where it has one. */
  send?: HostSend
}

function derivePermission(route: Route): string {
  const segment = route.path.split('/').find((s) => s !== '' && !s.startsWith(':')) ?? 'root'
  const action = route.method === 'GET' ? 'read' : segment === 'agents' || segment === 'tools' || segment === 'workflows' ? 'execute' : 'write'
  return `${segment}:${action}`
}

function parseQuery(url: string | undefined): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  const at = url === undefined ? -1 : url.indexOf('?')
  if (at === -1) return query
  for (const [key, value] of new URLSearchParams(url!.slice(at + 1))) {
    const seen = query[key]
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
  }
  return query
}


/** Lifts `requestContext` out of a body, keeping only the keys the server lets clients set. */
function takeClientContext(body: unknown, allowed: ReadonlySet<string>): { body: unknown; picked?: RequestContext } {
  if (!isRecord(body) || !Object.hasOwn(body, 'requestContext')) return { body }
  const { requestContext, ...rest } = body
  if (allowed.size === 0 || !isRecord(requestContext)) return { body: rest }
  const picked: RequestContext = {}
  for (const key of Object.keys(requestContext)) if (allowed.has(key)) picked[key] = requestContext[key]
  return { body: rest, picked }
}

/**
 * The framework-neutral mount: resolves routes once and runs every request through
 * authenticate → context → body → validate → authorize → handler → write.
 */
export class Mount implements MountInfo {
  readonly routes: readonly Route[]
  readonly mounted: readonly MountedRoute[]
  readonly authConfigured: boolean
  readonly onDisconnect: DisconnectPolicy
  readonly #services: Services
  readonly #runtime: MountSource
  readonly #auth: AuthHooks | undefined
  readonly #context: ContextHook | undefined
  readonly #clientKeys: ReadonlySet<string>
  readonly #heartbeatMs: number
  readonly #onError: MountErrorHandler
  readonly #openApi = new Map<string, OpenApiDocument>()

  /** `extraRoutes` are mount-level routes (the console) served beside the runtime's. */
  // Any host: the adapter that built the options hands the core its own host objects.
  constructor(runtime: MountSource, options: MountOptions<any> = {}, extraRoutes: readonly Route[] = []) {
    this.#services = runtime.services
    this.#runtime = runtime
    this.#auth = options.auth ?? runtime.auth
    this.#context = options.context ?? runtime.context
    this.#clientKeys = new Set(options.clientContextKeys ?? runtime.clientContextKeys)
    this.#heartbeatMs = options.heartbeatMs ?? 15_000
    const onError = options.onError
    this.#onError = onError ?? ((err, _req, info) => reportToStderr(err, info))
    // Failures with no request (a run app code started in the background) come through the runtime.
    if (onError) runtime.errors.listen((err, info) => onError(err, undefined, info))
    this.authConfigured = this.#auth?.authenticate !== undefined
    this.onDisconnect = options.onDisconnect ?? runtime.onDisconnect ?? 'abort'
    if (this.onDisconnect !== 'abort' && this.onDisconnect !== 'continue') throw new TypeError("onDisconnect must be 'abort' or 'continue'")
    this.routes = runtime.routes
    const seen = new Map<string, Route>()
    this.mounted = bySpecificity([...runtime.routes, ...extraRoutes]).map((route) => {
      const key = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`
      const twin = seen.get(key)
      if (twin) {
        throw new Error(`Duplicate route ${route.method} ${route.path}: "${describe(twin)}" and "${describe(route)}"`)
      }
      seen.set(key, route)
      return {
        route,
        method: route.method,
        path: route.path,
        permission: route.permission ?? derivePermission(route),
        bodyLimit: route.bodyLimit ?? options.bodyLimit ?? DEFAULT_BODY_LIMIT,
        isPublic: route.auth === 'public',
      }
    })
  }

  /** The mounted route for a method and a path below the mount prefix, for hosts whose router gave up. */
  match(method: string, path: string): PathMatch<MountedRoute> | undefined {
    return matchPath(this.mounted, method, path)
  }

  /** The OpenAPI 3.1 document of this mount, served under `basePath`. */
  openApi(basePath: string): OpenApiDocument {
    let doc = this.#openApi.get(basePath)
    if (!doc) {
      doc = buildOpenApi(this.mounted, { basePath, secured: this.authConfigured })
      this.#openApi.set(basePath, doc)
    }
    return doc
  }

  reportError(err: unknown, request: NeutralRequest, info?: Partial<FailureInfo>): void {
    const described: FailureInfo = { ...requestFailure(request), ...failureOf(err), ...info }
    reportSafely((e, i) => this.#onError(e, request, i), err, described)
  }

  async allows(check: AuthorizeArgs): Promise<boolean> {
    return this.#auth?.authorize ? this.#auth.authorize(check) : true
  }

  /** Runs one request through the pipeline and writes the response. Never rejects. */
  async handle(mounted: MountedRoute, input: HostRequest): Promise<void> {
    const { res } = input
    const request = new CoreRequest(mounted, input)
    try {
      const result = await this.#run(mounted, request)
      await writeResult(res, result, {
        send: input.send,
        request,
        heartbeatMs: this.#heartbeatMs,
        onError: (err) => this.reportError(err, request, { kind: 'stream' }),
      })
    } catch (err) {
      // A client that hung up caused this (the abort reached the handler); nobody is left to answer.
      if (res.destroyed && !res.writableFinished) return
      const httpError = toHttpError(err)
      // A 5xx that wraps a cause (e.g. a model the SDK cannot run) is answered and reported.
      if (!(err instanceof HttpError) || (httpError.status >= 500 && err.cause !== undefined)) this.reportError(err, request)
      writeError(res, httpError, input.send)
    }
  }

  /**
   * The resource a principal is scoped to: the app's `resourceId` hook when it has one (which
   * may return undefined, for an unscoped admin mount), else the principal's own `id`.
   */
  #resourceOf(principal: Principal): string | undefined {
    const hook = this.#auth?.resourceId
    if (hook) {
      const id = hook(principal)
      return id === undefined ? undefined : String(id)
    }
    const id = principal.id
    if ((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id))) return String(id)
    throw new Error(
      'agentmount: the principal returned by auth.authenticate has no usable `id` (a non-empty string or a number) ' +
        'to scope memory and runs by. Return one, or give auth.resourceId (return undefined from it only for an unscoped admin mount).',
    )
  }

  async #run(mounted: MountedRoute, request: CoreRequest): Promise<unknown> {
    // The store is gone: nothing can be read or written, and the balancer should go elsewhere.
    if (this.#runtime.closed) throw shuttingDown('This instance has shut down; try again')
    const { route } = mounted
    const auth = this.#auth
    const principal = (auth?.authenticate ? await auth.authenticate(request) : null) ?? null
    if (principal === null && auth?.authenticate && !mounted.isPublic) {
      throw new HttpError(401, 'UNAUTHENTICATED', 'Authentication required')
    }
    const hostContext = this.#context ? await this.#context(request) : undefined
    let body: unknown
    let context: RequestContext
    if (route.body) {
      // An absent body validates as `{}`, so the envelope names the fields that are missing.
      const read = (await readBody(request.raw, request.parsedBody, mounted.bodyLimit)) ?? {}
      const taken = takeClientContext(read, this.#clientKeys)
      body = parseOrThrow(route.body, taken.body, 'request body')
      context = { ...taken.picked, ...hostContext }
    } else {
      context = { ...hostContext }
    }
    if (principal !== null) context.principal = principal
    const params = route.params ? parseOrThrow(route.params, request.params, 'path parameters') : request.params
    const query = route.query ? parseOrThrow(route.query, request.query, 'query parameters') : request.query
    if (auth?.authorize) {
      const allowed = await auth.authorize({ principal, route, permission: mounted.permission, params, context })
      if (!allowed) throw new HttpError(403, 'FORBIDDEN', `Not allowed: ${mounted.permission}`)
    }
    const resourceId = principal !== null ? this.#resourceOf(principal) : undefined
    const serverSpan = activeSpan()
    if (serverSpan) serverSpan.setAttributes(routeAttributes(request.basePath + route.path, params as Record<string, unknown>, resourceId))
    return route.handler(new CoreHandlerArgs(params, query, body, context, principal, resourceId, this.#services, request, this))
  }
}

// Both classes keep `signal` as a prototype getter: an object literal with an accessor is
// several times slower to create, and an AbortController per request costs more still.

/**
 * The neutral request; its AbortSignal is created on first use. As an `AbortSource` it links a
 * controller to the client going away without one.
 */
class CoreRequest implements NeutralRequest, AbortSource {
  readonly method: string
  readonly path: string
  readonly params: Record<string, string>
  readonly query: Record<string, string | string[]>
  readonly headers: IncomingMessage['headers']
  readonly host: HostObjects
  readonly raw: IncomingMessage
  readonly parsedBody: unknown
  readonly basePath: string
  readonly #res: ServerResponse
  #signal: AbortSignal | undefined

  constructor(mounted: MountedRoute, input: HostRequest) {
    this.method = mounted.method
    this.path = mounted.path
    this.params = input.params
    this.query = parseQuery(input.raw.url)
    this.headers = input.raw.headers
    this.host = input.host
    this.raw = input.raw
    this.parsedBody = input.parsedBody
    this.basePath = input.basePath
    this.#res = input.res
  }

  get signal(): AbortSignal {
    return (this.#signal ??= abortSignalFor(this.#res))
  }

  get aborted(): boolean {
    return this.#signal ? this.#signal.aborted : clientGone(this.#res)
  }

  link(target: AbortController): () => void {
    if (this.#signal) return linkAbort(this.#signal, target)
    const res = this.#res
    if (clientGone(res)) {
      target.abort()
      return noop
    }
    const onClose = () => {
      if (!res.writableFinished) target.abort()
    }
    res.once('close', onClose)
    return () => res.removeListener('close', onClose)
  }
}

class CoreHandlerArgs implements HandlerArgs {
  constructor(
    readonly params: any,
    readonly query: any,
    readonly body: any,
    readonly context: RequestContext,
    readonly principal: Principal | null,
    readonly resourceId: string | undefined,
    readonly runtime: Services,
    readonly request: CoreRequest,
    readonly mount: MountInfo,
  ) {}

  get signal(): AbortSignal {
    return this.request.signal
  }

  get disconnect(): AbortSource {
    return this.request
  }

  get onError(): ErrorReporter {
    return (err, info) => this.mount.reportError(err, this.request, info)
  }
}

const REQUEST_IDS = ['agentId', 'toolId', 'workflowId', 'runId'] as const

/** A failure of this request: its route, and the agent, tool, workflow or run its path or query names. */
function requestFailure(request: NeutralRequest): FailureInfo {
  const info: FailureInfo = { kind: 'request', route: `${request.method} ${request.path}` }
  for (const key of REQUEST_IDS) {
    const value = request.params[key] ?? request.query[key]
    if (typeof value === 'string') info[key] = value
  }
  return info
}

function describe(route: Route): string {
  return route.summary ?? `${route.method} ${route.path}`
}

/** An AbortSignal that fires when the client leaves before the response finished. */
export function abortSignalFor(res: ServerResponse): AbortSignal {
  const controller = new AbortController()
  if (clientGone(res)) controller.abort()
  else {
    res.once('close', () => {
      if (!res.writableFinished) controller.abort()
    })
  }
  return controller.signal
}

/** What the host's server span learns about the request: the route with its mount prefix, ids, the resource. */
function routeAttributes(route: string, params: Record<string, unknown>, resourceId: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = { 'http.route': route }
  for (const key of ['agentId', 'workflowId', 'runId', 'threadId', 'toolId']) {
    const value = params[key]
    if (typeof value === 'string') attributes[`agentmount.${key.slice(0, -2)}.id`] = value
  }
  if (resourceId !== undefined) attributes['agentmount.resource.id'] = resourceId
  return attributes
}

/** True when the connection closed before the response finished. */
function clientGone(res: ServerResponse): boolean {
  return res.destroyed && !res.writableFinished
}

function noop(): void {}
