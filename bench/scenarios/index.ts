import { generateScenario, streamScenario } from './agents.js'
import { jsonRoute } from './json-route.js'
import { listMessagesScenario, listThreadsScenario } from './memory.js'
import type { Scenario } from './types.js'
import { workflowScenario } from './workflow.js'

export const scenarios: Record<string, Scenario> = {
  json: jsonRoute,
  generate: generateScenario,
  stream: streamScenario,
  threads: listThreadsScenario,
  messages: listMessagesScenario,
  workflow: workflowScenario,
}
