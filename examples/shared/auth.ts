// The host apps' own (deliberately tiny) token auth: each host's middleware puts the user
// where that framework usually keeps it; the kit reads it from there.
import type { AuthHooks, ContextHook, HostObjects } from 'agentmount'

export interface DemoUser extends Record<string, unknown> {
  id: string
  name: string
  plan: 'free' | 'pro'
  email: string
}

export const DEMO_TOKENS: Record<string, DemoUser> = {
  'demo-token': { id: 'user-ada', name: 'Ada', plan: 'pro', email: 'ada@example.com' },
  'other-token': { id: 'user-bob', name: 'Bob', plan: 'free', email: 'bob@example.com' },
}

export function userFromAuthorization(header: string | undefined): DemoUser | undefined {
  return header?.startsWith('Bearer ') ? DEMO_TOKENS[header.slice(7)] : undefined
}

// The context every agent, tool and step receives carries the signed-in user, typed once here.
declare module 'agentmount' {
  interface RequestContext {
    user?: DemoUser
  }
}

/**
 * The kit's auth and context hooks for a host whose own middleware put the user where
 * `userOf` finds it (passport-style `req.user`, a Fastify decoration, Koa's `ctx.state.user`):
 * the app already verified the token; the kit only reads the result.
 */
export function demoHooks<H extends HostObjects>(userOf: (host: H) => DemoUser | undefined): { auth: AuthHooks<H>; context: ContextHook<H> } {
  return {
    auth: {
      authenticate: (req) => userOf(req.host) ?? null,
      resourceId: (principal) => String(principal.id),
    },
    context: (req) => ({ user: userOf(req.host) }),
  }
}
