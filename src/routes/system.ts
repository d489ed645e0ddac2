import { defineRoute, type Route } from '../http/route.js'

export const systemRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/openapi.json',
    summary: 'OpenAPI 3.1 document of this mount',
    tags: ['system'],
    auth: 'public',
    permission: 'system:read',
    handler: ({ mount, request }) => mount.openApi(request.basePath),
  }),
]
