import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { tool } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import { z } from 'zod'
import { Agent } from '../../src/agents/agent.js'
import { createTool } from '../../src/agents/tool.js'
import type { McpOptions } from '../../src/routes/mcp/catalog.js'
import { Memory } from '../../src/memory/memory.js'
import { createRuntime } from '../../src/runtime.js'
import { SqliteStore } from '../../src/storage/sqlite.js'
import { createStep, createWorkflow } from '../../src/workflows/workflow.js'
import { hostUser, PREFIX, type HostFactory, ALICE, BOB } from '../harness/hosts.js'

export { ALICE, BOB }
export const SECRET = 'db-password-hunter2'

const usage = { inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 4, text: 4, reasoning: 0 } }

function userTexts(options: LanguageModelV3CallOptions): string[] {
  return options.prompt
    .filter((message) => message.role === 'user')
    .map((message) => message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''))
}

/** Streams "Heard: <every user message so far>", so a reply shows what memory replayed. */
function listeningModel(): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doStream: async (options) => {
      const words = `Heard: ${userTexts(options).join(' | ')}`.split(' ')
      const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }, { type: 'text-start', id: 't' }]
      words.forEach((word, i) => parts.push({ type: 'text-delta', id: 't', delta: i === 0 ? word : ` ${word}` }))
      parts.push({ type: 'text-end', id: 't' }, { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage })
      return { stream: new ReadableStream({ start: (c) => (parts.forEach((p) => c.enqueue(p)), c.close()) }) }
    },
  })
}

/** Always calls `wire_money`, a tool that needs a person's approval. */
function approvalSeekingModel(): MockLanguageModelV3 {
  return new MockLanguageModelV3({
    doStream: async () => {
      const parts: LanguageModelV3StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'tool-call', toolCallId: 'c1', toolName: 'wire_money', input: JSON.stringify({ amount: 100 }) },
        { type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_calls' }, usage },
      ]
      return { stream: new ReadableStream({ start: (c) => (parts.forEach((p) => c.enqueue(p)), c.close()) }) }
    },
  })
}

/** Resolves a slow tool's milestones so tests wait on events, never on time. */
export class SlowToolProbe {
  started!: Promise<void>
  aborted!: Promise<void>
  #start!: () => void
  #abort!: () => void
  constructor() {
    this.reset()
  }
  reset(): void {
    this.started = new Promise((resolve) => (this.#start = resolve))
    this.aborted = new Promise((resolve) => (this.#abort = resolve))
  }
  run(signal: AbortSignal): Promise<never> {
    this.#start()
    return new Promise((_, reject) =>
      signal.addEventListener('abort', () => (this.#abort(), reject(new Error('stopped'))), { once: true }),
    )
  }
}

export interface McpApp {
  url: string
  unexpected: unknown[]
  slow: SlowToolProbe
  close(): Promise<void>
}

export async function startMcpApp(factory: HostFactory, mcp: McpOptions = {}): Promise<McpApp> {
  const unexpected: unknown[] = []
  const slow = new SlowToolProbe()
  const whoami = createTool({
    id: 'whoami',
    description: 'The signed-in user and tenant',
    inputSchema: z.object({ greeting: z.string().default('hello') }),
    outputSchema: z.object({ greeting: z.string(), user: z.string(), tenant: z.string() }),
    execute: async ({ greeting }, { context }) => ({ greeting, user: String(context.userId), tenant: String(context.tenant) }),
  })
  const count = createTool({
    id: 'count',
    description: 'Counts to n, reporting progress',
    inputSchema: z.object({ n: z.number().int().min(1).max(10) }),
    execute: async ({ n }, { progress }) => {
      for (let i = 1; i <= n; i++) progress({ progress: i, total: n, message: `step ${i}` })
      return `counted to ${n}`
    },
  })
  const wait = createTool({
    id: 'wait',
    description: 'Waits until cancelled',
    inputSchema: z.object({}),
    execute: async (_input, { signal }) => slow.run(signal),
  })
  const broken = createTool({
    id: 'broken',
    description: 'Fails with an internal detail',
    inputSchema: z.object({}),
    execute: async () => {
      throw new Error(`connection refused, ${SECRET}`)
    },
  })
  const approval = createStep({
    id: 'approval',
    inputSchema: z.object({ amount: z.number() }),
    outputSchema: z.object({ amount: z.number(), approvedBy: z.string() }),
    resumeSchema: z.object({ approver: z.string() }),
    suspendSchema: z.object({ reason: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return suspend({ reason: `refund of ${inputData.amount} needs an approver` })
      return { amount: inputData.amount, approvedBy: resumeData.approver }
    },
  })
  const refund = createWorkflow({
    id: 'refund',
    description: 'Refunds after approval',
    inputSchema: z.object({ amount: z.number() }),
    outputSchema: z.object({ amount: z.number(), approvedBy: z.string() }),
  })
    .then(approval)
    .commit()
  const runtime = createRuntime({
    store: new SqliteStore(':memory:'),
    tools: { whoami, count, wait, broken },
    agents: {
      notes: new Agent({ id: 'notes', description: 'Remembers the conversation', instructions: 'Listen.', model: listeningModel(), memory: new Memory() }),
      banker: new Agent({
        id: 'banker',
        instructions: 'Move money.',
        model: approvalSeekingModel(),
        tools: { wire_money: tool({ description: 'Wires money', inputSchema: z.object({ amount: z.number() }), needsApproval: true, execute: async () => 'sent' }) },
      }),
    },
    workflows: { refund },
    mcp,
  })
  const host = await factory.create({
    runtime,
    mount: {
      auth: {
        authenticate: (req) => hostUser(req.host) ?? null,
        resourceId: (principal) => principal.id,
        // The admin may not use MCP at all; bob may not run the count tool, over MCP or REST.
        authorize: ({ principal, permission, params }) =>
          permission === 'mcp:execute' ? principal?.id !== 'root' : !(principal?.id === 'bob' && params.toolId === 'count'),
      },
      context: (req) => ({ userId: hostUser(req.host)?.id, tenant: hostUser(req.host)?.tenant }),
      onError: (err) => unexpected.push(err),
    },
  })
  return {
    url: `${host.url}${PREFIX}/mcp`,
    unexpected,
    slow,
    close: async () => {
      await host.close()
      await runtime.close()
    },
  }
}

/** A connected SDK client signed in with `token`; `sessionId` rejoins an existing session. */
export async function connect(url: string, token: string, sessionId?: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    sessionId,
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  })
  const client = new Client({ name: 'conformance', version: '1.0.0' })
  await client.connect(transport)
  return { client, transport }
}
