import { jsonRoute } from './json-route.js'
import { listMessagesScenario, listThreadsScenario } from './memory.js'
import type { Scenario } from './types.js'

export const scenarios: Record<string, Scenario> = {
  json: jsonRoute,
  threads: listThreadsScenario,
  messages: listMessagesScenario,
}
