import { z } from 'zod'
import { idSchema } from '../core/limits.js'
import { defineRoute, type Route } from '../http/route.js'

const usageQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    agentId: idSchema().optional(),
    model: z.string().min(1).max(400).optional(),
    groupBy: z.enum(['agent', 'model', 'resource', 'day']).optional(),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) <= new Date(q.to), { message: 'must not be after `to`', path: ['from'] })

export const usageRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/usage', summary: 'Token usage, runs, errors, cost and durations of agent runs', tags: ['observability'],
    permission: 'observability:read',
    query: usageQuery,
    handler: ({ query, resourceId, runtime }) =>
      runtime.usage.report(resourceId, {
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        agentId: query.agentId,
        model: query.model,
        groupBy: query.groupBy,
      }),
  }),
]
