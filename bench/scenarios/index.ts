// Every scenario `npm run bench` knows, by the key `--scenarios` takes. To add one, write a
// `Scenario` (./types.ts) in a file of its own here and add one line below; the harness runs it
// on every host, in the memory scenario too, and prints its ratio next to its target.
import {
  generateLedgerScenario,
  generateScenario,
  generateTracedScenario,
  noiseFloorScenario,
  streamLedgerScenario,
  streamScenario,
  streamTracedScenario,
} from './agents.js'
import { jsonRoute } from './json-route.js'
import { mcpToolScenario } from './mcp.js'
import { listMessagesScenario, listThreadsScenario } from './memory.js'
import { pgMessagesScenario, pgThreadsScenario, pgWorkflowScenario } from './postgres.js'
import type { Scenario } from './types.js'
import { workflowScenario } from './workflow.js'

export const scenarios: Record<string, Scenario> = {
  json: jsonRoute,
  generate: generateScenario,
  stream: streamScenario,
  'generate-ledger': generateLedgerScenario,
  'stream-ledger': streamLedgerScenario,
  'generate-traced': generateTracedScenario,
  'stream-traced': streamTracedScenario,
  noise: noiseFloorScenario,
  threads: listThreadsScenario,
  messages: listMessagesScenario,
  workflow: workflowScenario,
  mcp: mcpToolScenario,
  // PostgreSQL as the store (need DATABASE_URL; left out of the default list without it).
  'pg-threads': pgThreadsScenario,
  'pg-messages': pgMessagesScenario,
  'pg-workflow': pgWorkflowScenario,
}
