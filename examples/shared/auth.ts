// The host apps' own (deliberately tiny) token auth: each host's middleware puts the user
// where that framework usually keeps it; the kit reads it from there.
import type { HostObjects } from 'agentmount'

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

/** Passport-style `req.user`, a Fastify request decoration, or Koa's `ctx.state.user`. */
export function userOf(host: HostObjects): DemoUser | undefined {
  if (host.framework === 'express') return host.req.user
  if (host.framework === 'fastify') return host.request.user
  if (host.framework === 'koa') return host.ctx.state.user
  return undefined
}
