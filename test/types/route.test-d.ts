import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineRoute, type NeutralRequest, type Principal, type RequestContext, type Route } from 'agentmount'

describe('defineRoute', () => {
  it('types params, query and body as what their schemas parse to', () => {
    const route = defineRoute({
      method: 'POST',
      path: '/orders/:orderId/notes',
      params: z.object({ orderId: z.string() }),
      query: z.object({ page: z.coerce.number().default(0), tag: z.array(z.string()).optional() }),
      body: z.object({ text: z.string().min(1), pinned: z.boolean().default(false) }),
      handler: ({ params, query, body }) => {
        expectTypeOf(params).toEqualTypeOf<{ orderId: string }>()
        expectTypeOf(query).toEqualTypeOf<{ page: number; tag?: string[] | undefined }>()
        expectTypeOf(body).toEqualTypeOf<{ text: string; pinned: boolean }>()
        return { ok: true }
      },
    })
    expectTypeOf(route).toEqualTypeOf<Route>()
  })

  it('leaves what a route declares no schema for unknown', () => {
    defineRoute({
      method: 'GET',
      path: '/ping',
      handler: ({ params, query, body }) => {
        expectTypeOf(params).toBeUnknown()
        expectTypeOf(query).toBeUnknown()
        expectTypeOf(body).toBeUnknown()
        return 'pong'
      },
    })
  })

  it('hands the handler the request’s context, principal, scope and signal', () => {
    defineRoute({
      method: 'GET',
      path: '/me',
      handler: ({ context, principal, resourceId, signal, request }) => {
        expectTypeOf(context).toEqualTypeOf<RequestContext>()
        expectTypeOf(principal).toEqualTypeOf<Principal | null>()
        expectTypeOf(resourceId).toEqualTypeOf<string | undefined>()
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>()
        expectTypeOf(request).toEqualTypeOf<NeutralRequest>()
        return { principal }
      },
    })
  })

  it('rejects a read of a body field the schema does not declare', () => {
    defineRoute({
      method: 'POST',
      path: '/orders',
      body: z.object({ sku: z.string() }),
      // @ts-expect-error `quantity` is not in the body schema
      handler: ({ body }) => body.quantity,
    })
  })

  it('rejects a method the registry does not route', () => {
    defineRoute({
      // @ts-expect-error HEAD is not a route method
      method: 'HEAD',
      path: '/ping',
      handler: () => 'pong',
    })
  })
})
