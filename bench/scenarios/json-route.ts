import { z } from 'zod'
import { kit } from '../kit.js'
import type { Scenario } from './types.js'

const { defineRoute } = kit

const Body = z.object({
  name: z.string().min(1),
  quantity: z.number().int().positive(),
  tags: z.array(z.string()).max(10),
})

type Body = z.infer<typeof Body>

const answer = (body: Body) => ({ ok: true, name: body.name, total: body.quantity * 2, tags: body.tags.length })

const invalid = (error: z.ZodError) => ({
  error: 'Invalid request body',
  code: 'VALIDATION_ERROR',
  issues: error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
})

/** A JSON route with a zod-validated body: the pipeline's own overhead. */
export const jsonRoute: Scenario = {
  name: 'JSON route (zod body)',
  target: 0.9,
  request: { method: 'POST', path: '/api/orders', body: { name: 'widget', quantity: 3, tags: ['a', 'b'] } },
  runtime: () => ({
    routes: [defineRoute({ method: 'POST', path: '/orders', body: Body, handler: ({ body }) => answer(body) })],
  }),
  baseline: {
    express(app) {
      app.post('/api/orders', (req: any, res: any) => {
        const parsed = Body.safeParse(req.body)
        if (!parsed.success) return res.status(400).json(invalid(parsed.error))
        res.json(answer(parsed.data))
      })
    },
    fastify(app) {
      app.post('/api/orders', async (request: any, reply: any) => {
        const parsed = Body.safeParse(request.body)
        if (!parsed.success) return reply.code(400).send(invalid(parsed.error))
        return answer(parsed.data)
      })
    },
    koa(router) {
      router.post('/api/orders', (ctx: any) => {
        const parsed = Body.safeParse(ctx.request.body)
        if (!parsed.success) {
          ctx.status = 400
          ctx.body = invalid(parsed.error)
          return
        }
        ctx.body = answer(parsed.data)
      })
    },
  },
}
