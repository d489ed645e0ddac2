import { z } from 'zod'
import { kit } from '../kit.js'
import type { Scenario } from './types.js'

const { createTool } = kit

const quote = createTool({
  id: 'quote',
  description: 'Prices an order line',
  inputSchema: z.object({ sku: z.string().min(1), quantity: z.number().int().positive() }),
  outputSchema: z.object({ sku: z.string(), total: z.number() }),
  execute: async ({ sku, quantity }) => ({ sku, total: quantity * 4.5 }),
})

const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'quote', arguments: { sku: 'A-1', quantity: 3 } } }

/**
 * One tool call over MCP (stateless Streamable HTTP: every POST stands alone, answered as one
 * SSE event) against the same tool through `POST /tools/:toolId/execute` on the same host.
 */
export const mcpToolScenario: Scenario = {
  name: 'MCP tools/call vs POST /tools/:id/execute',
  request: {
    method: 'POST',
    path: '/api/mcp',
    headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
    body: call,
  },
  baselineRequest: { method: 'POST', path: '/api/tools/quote/execute', body: { data: call.params.arguments } },
  runtime: () => ({ tools: { quote }, mcp: { stateless: true, agents: false, workflows: false } }),
  baseline: { runtime: () => ({ tools: { quote } }) },
}
