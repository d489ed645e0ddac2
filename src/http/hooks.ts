import type { Principal, RequestContext } from '../core/context.js'
import type { ErrorChannel } from '../core/report.js'
import type { Services } from '../services/services.js'
import type { AuthorizeArgs, NeutralRequest, Route } from './route.js'

/** Host-supplied identity hooks. Only headers are available when `authenticate` runs. */
export interface AuthHooks {
  authenticate?: (req: NeutralRequest) => Principal | null | undefined | Promise<Principal | null | undefined>
  authorize?: (args: AuthorizeArgs) => boolean | Promise<boolean>
  /**
   * The resource a principal owns; memory threads and workflow runs are scoped to it. Without
   * this hook the principal's `id` is used; returning undefined leaves the caller unscoped.
   */
  resourceId?: (principal: Principal) => string | number | undefined
}

/** Builds the request context from the host request (`req.user`, `ctx.state` via `req.host`). */
export type ContextHook = (req: NeutralRequest) => RequestContext | Promise<RequestContext>

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
}
