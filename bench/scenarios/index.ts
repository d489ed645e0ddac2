import { jsonRoute } from './json-route.js'
import type { Scenario } from './types.js'

export const scenarios: Record<string, Scenario> = {
  json: jsonRoute,
}
