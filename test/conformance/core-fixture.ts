import { z } from 'zod'
import { createRuntime } from '../../src/runtime.js'
import { defineRoute, json, records, sse } from '../../src/http/route.js'
import { HttpError } from '../../src/core/errors.js'
import type { MountOptions } from '../../src/http/dispatch.js'
import { hostUser } from '../harness/hosts.js'

/** What handlers and producers observed, for assertions on abort and cleanup. */
export const probe = {
  handlerAborted: new Set<string>(),
  producerStopped: new Set<string>(),
  errors: [] as unknown[],
}

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })

export const coreRoutes = [
  defineRoute({
    method: 'POST',
    path: '/echo',
    summary: 'Echo a validated body',
    body: z.object({
      name: z.string().min(1),
      age: z.number().int().optional(),
      nested: z.object({ tags: z.array(z.string()) }).optional(),
    }),
    handler: ({ body, context }) => ({ body, user: (context.principal as any)?.id ?? null }),
  }),
  defineRoute({
    method: 'GET',
    path: '/items/:id',
    params: z.object({ id: z.string() }),
    query: z.object({ verbose: z.enum(['true', 'false']).optional() }),
    handler: ({ params, query }) => {
      if (params.id === 'missing') throw new HttpError(404, 'NOT_FOUND', 'Item missing not found')
      if (params.id === 'taken') throw new HttpError(409, 'CONFLICT', 'Item taken already exists')
      if (params.id === 'crash') throw new Error('secret internal detail at /srv/app/db.ts:42')
      return { id: params.id, verbose: query.verbose === 'true' }
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/items/:id',
    params: z.object({ id: z.string() }),
    body: z.object({ id: z.string().optional(), note: z.string() }),
    handler: ({ params, body }) => json({ params, body }, { status: 201, headers: { 'x-item': params.id } }),
  }),
  defineRoute({
    method: 'GET',
    path: '/public/ping',
    auth: 'public',
    handler: ({ principal }) => ({ pong: true, principal: principal?.id ?? null }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/purge',
    permission: 'admin:write',
    body: z.object({ confirm: z.literal(true) }),
    handler: () => ({ purged: true }),
  }),
  defineRoute({
    method: 'POST',
    path: '/context',
    body: z.object({}).passthrough(),
    handler: ({ context }) => ({ context: { ...context, principal: undefined } }),
  }),
  defineRoute({
    method: 'POST',
    path: '/small',
    bodyLimit: 64,
    body: z.object({ text: z.string() }),
    handler: ({ body }) => ({ length: body.text.length }),
  }),
  defineRoute({
    method: 'POST',
    path: '/slow/:tag',
    params: z.object({ tag: z.string() }),
    handler: async ({ params, signal }) => {
      await wait(10_000, signal)
      if (signal.aborted) probe.handlerAborted.add(params.tag)
      return { done: true }
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/stream/:kind',
    params: z.object({ kind: z.enum(['sse', 'records', 'fail', 'hang', 'idle']) }),
    query: z.object({ tag: z.string().optional() }),
    handler: ({ params, query, signal }) => {
      const tag = query.tag ?? params.kind
      async function* produce() {
        try {
          if (params.kind === 'idle') await wait(400, signal)
          for (let i = 0; i < 3; i++) yield { type: 'tick', i }
          if (params.kind === 'fail') throw new Error('producer blew up with secret detail')
          if (params.kind === 'hang') {
            yield { type: 'waiting' }
            await wait(10_000, signal)
          }
        } finally {
          probe.producerStopped.add(tag)
        }
      }
      return params.kind === 'records' ? records(produce()) : sse(produce())
    },
  }),
]

export function coreRuntime() {
  return createRuntime({ routes: coreRoutes, clientContextKeys: ['locale'] })
}

/** Mount options like a real app's: identity from the host's own auth middleware. */
export const coreMountOptions: MountOptions = {
  heartbeatMs: 100,
  auth: {
    authenticate: (req) => hostUser(req.host) ?? null,
    authorize: ({ principal, permission }) => permission !== 'admin:write' || principal?.role === 'admin',
    resourceId: (principal) => principal.id as string,
  },
  context: (req) => ({ tenant: hostUser(req.host)?.tenant, hostFramework: req.host.framework }),
  onError: (err) => probe.errors.push(err),
}
