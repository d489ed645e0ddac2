import type { Principal, RequestContext } from '../core/context.js'
import type { ErrorChannel } from '../core/report.js'
import type { Services } from '../services/services.js'
import type { AuthorizeArgs, HostObjects, NeutralRequest, Route } from './route.js'

/**
 * Host-supplied identity hooks. Only headers are available when `authenticate` runs. `H` is the
 * host's native objects: given to a host's `mount`, `req.host` has that framework's types.
 */
export interface AuthHooks<H extends HostObjects = HostObjects> {
  authenticate?: (req: NeutralRequest<H>) => Principal | null | undefined | Promise<Principal | null | undefined>
  authorize?: (args: AuthorizeArgs) => boolean | Promise<boolean>
  /**
   * The resource a principal owns; memory threads and workflow runs are scoped to it. Without
   * this hook the principal's `id` is used; returning undefined leaves the caller unscoped.
   */
  resourceId?: (principal: Principal) => string | number | undefined
}

/** Builds the request context from the host request (`req.user`, `ctx.state` via `req.host`). */
export type ContextHook<H extends HostObjects = HostObjects> = (req: NeutralRequest<H>) => RequestContext | Promise<RequestContext>

/** What a client going away does to the agent run it started: stop it, or let it finish to be rejoined. */
export type DisconnectPolicy = 'abort' | 'continue'

/** What a mount serves: the routes, the services their handlers get, and the runtime-level hooks. */
export interface MountSource {
  readonly routes: readonly Route[]
  readonly services: Services
  readonly auth: AuthHooks | undefined
  readonly context: ContextHook | undefined
  readonly clientContextKeys: readonly string[]
  readonly onDisconnect?: DisconnectPolicy
  /** Failures with no request; each mount with an `onError` listens. */
  readonly errors: ErrorChannel
  /** True once the runtime has shut down (its store is closing or closed): every request answers 503. */
  readonly closed?: boolean
}
