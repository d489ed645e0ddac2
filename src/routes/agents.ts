import type { Route } from '../http/route.js'

export const agentRoutes: Route[] = []
