/**
 * Whatever the app's `authenticate` hook returns for a signed-in caller. Augment it to type
 * your own fields (see `RequestContext`).
 */
export interface Principal {
  /** Scopes the caller's memory and runs unless the app gives `auth.resourceId`. */
  id?: string | number
  [key: string]: unknown
}

/**
 * The per-request context handed to agents, tools and workflow steps: the app's `context`
 * hook result plus the authenticated `principal`. Apps type their own keys once:
 *
 * @example
 * declare module 'agentmount' {
 *   interface RequestContext { user?: { id: string; plan: 'free' | 'pro' } }
 * }
 */
export interface RequestContext {
  principal?: Principal
  [key: string]: unknown
}
