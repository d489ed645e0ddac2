import { newId } from '../../core/ids.js'
import { z } from 'zod'
import type { Agent } from '../../agents/agent.js'
import type { Tool, ToolProgress } from '../../agents/tool.js'
import { HttpError } from '../../core/errors.js'
import type { Principal, RequestContext } from '../../core/context.js'
import type { ErrorReporter } from '../../core/report.js'
import { parseOrThrow } from '../../core/validate.js'
import type { Services } from '../../services/services.js'
import type { WorkflowRunResult } from '../../workflows/snapshot.js'
import type { Workflow } from '../../workflows/workflow.js'

/** What the runtime serves over MCP; each family is on unless set to `false`. */
export interface McpOptions {
  tools?: boolean
  agents?: boolean
  workflows?: boolean
  /** No `Mcp-Session-Id`: every POST stands alone and GET streams are refused (default false). */
  stateless?: boolean
}

type JsonSchema = Record<string, unknown>

/** The caller of one MCP tool call, as the mount's pipeline established it. */
export interface McpCaller {
  context: RequestContext
  principal: Principal | null
  resourceId: string | undefined
  /** Client cancellation or disconnect. */
  signal: AbortSignal
  progress: (update: ToolProgress) => void
  /** The mount's `onError` with this request, for failures a call only shows safely. */
  onError: ErrorReporter
}

/** One entry of `tools/list`, with how to run it. */
export interface McpEntry {
  name: string
  description: string
  inputSchema: () => Promise<JsonSchema>
  /** Present when the result is a JSON object the client may validate (`structuredContent`). */
  outputSchema?: JsonSchema
  /** What `authorize` is asked before a call, as for the same operation over REST. */
  permission: string
  params: Record<string, string>
  call: (args: Record<string, unknown>, caller: McpCaller) => Promise<unknown>
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema
  return rest
}

const isObjectSchema = (schema: JsonSchema | undefined): schema is JsonSchema => schema?.type === 'object'

/** MCP tool inputs are objects; a tool taking anything else is offered as `{ input }`. */
function toolEntry(tool: Tool<any, any>): McpEntry {
  let wrapped = false
  const output = tool.outputJsonSchema() as JsonSchema | undefined
  return {
    name: tool.id,
    description: tool.description,
    permission: 'tools:execute',
    params: { toolId: tool.id },
    inputSchema: async () => {
      const input = (await tool.describe()).inputSchema as JsonSchema
      if (isObjectSchema(input)) return input
      wrapped = true
      return { type: 'object', properties: { input }, required: ['input'] }
    },
    ...(isObjectSchema(output) ? { outputSchema: output } : {}),
    call: (args, { context, signal, progress }) => tool.run(wrapped ? args.input : args, { context, signal, progress }),
  }
}

const agentOutput = jsonSchema(z.object({ text: z.string(), runId: z.string(), threadId: z.string().optional() }), 'output')

function agentEntry(key: string, agent: Agent, services: Services): McpEntry {
  const input = z.object({
    message: z.string().min(1).describe('What to ask the agent'),
    ...(agent.memory ? { threadId: z.string().min(1).max(256).optional().describe('Continue this conversation; omit to start one') } : {}),
  })
  const schema = jsonSchema(input, 'input')
  return {
    name: `ask_${agent.id}`,
    description: agent.description || `Ask the ${agent.name} agent`,
    permission: 'agents:execute',
    params: { agentId: key },
    inputSchema: async () => schema,
    outputSchema: agentOutput,
    call: async (args, caller) => {
      const { message, threadId: given } = parseOrThrow(input, args, 'arguments') as { message: string; threadId?: string }
      const threadId = agent.memory ? (given ?? newId()) : undefined
      // Unscoped callers own the thread by its id, as `/chat` does.
      const memory = threadId ? { thread: threadId, resource: caller.resourceId ?? threadId } : undefined
      const { context, signal, resourceId, onError } = caller
      const chunks = await services.agents.stream(key, { messages: message, memory, context, signal, resourceId, onError })
      let text = ''
      let runId = ''
      let deltas = 0
      for await (const chunk of chunks) {
        runId = chunk.runId
        const payload = chunk.payload as Record<string, unknown>
        if (chunk.type === 'text-delta') {
          text += String(payload.text)
          caller.progress({ progress: ++deltas })
        } else if (chunk.type === 'tool-call-approval') {
          throw new HttpError(409, 'APPROVAL_REQUIRED', `Agent ${agent.id} stopped: its tool ${String(payload.toolName)} needs approval, which MCP clients cannot give here`)
        } else if (chunk.type === 'error') {
          throw new HttpError(502, 'UPSTREAM_ERROR', String(payload.message))
        }
      }
      return { text, runId, ...(threadId ? { threadId } : {}) }
    },
  }
}

const runOutput = jsonSchema(
  z.looseObject({
    runId: z.string(),
    status: z.string(),
    result: z.unknown().optional(),
    error: z.string().optional(),
    suspended: z.array(z.array(z.string())).optional(),
    suspendPayload: z.record(z.string(), z.unknown()).optional(),
  }),
  'output',
)

function runSummary(run: WorkflowRunResult): Record<string, unknown> {
  const { runId, status, result, error, suspended, suspendPayload } = run
  return { runId, status, result, error, suspended, suspendPayload }
}

function workflowEntries(key: string, workflow: Workflow, services: Services): McpEntry[] {
  const start = z.object({
    inputData: workflow.inputSchema,
    wait: z.boolean().optional().describe('false: return the run id at once and let the run go on (default true)'),
  })
  const resume = z.object({
    runId: z.string().min(1),
    step: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    resumeData: z.unknown().optional(),
  })
  const startSchema = jsonSchema(start, 'input')
  const resumeSchema = jsonSchema(resume, 'input')
  const access = { permission: 'workflows:execute', params: { workflowId: key } }
  return [
    {
      ...access,
      name: `start_${workflow.id}`,
      description: `Start the ${workflow.id} workflow${workflow.description ? `: ${workflow.description}` : ''}`,
      inputSchema: async () => startSchema,
      outputSchema: runOutput,
      call: async (args, { context, resourceId, signal, onError }) => {
        const input = { inputData: args.inputData }
        if (args.wait === false) {
          const runId = await services.workflowRuns.startInBackground(key, { resourceId, context, onError }, input)
          return { runId, status: 'running' }
        }
        return runSummary(await services.workflowRuns.start(key, { resourceId, context, signal, onError }, input))
      },
    },
    {
      ...access,
      name: `resume_${workflow.id}`,
      description: `Resume a suspended run of the ${workflow.id} workflow with resumeData`,
      inputSchema: async () => resumeSchema,
      outputSchema: runOutput,
      call: async (args, { context, resourceId, signal, onError }) => {
        const input = parseOrThrow(resume, args, 'arguments')
        return runSummary(await services.workflowRuns.resume(key, { resourceId, context, signal, onError }, input))
      },
    },
  ]
}

/** Every MCP tool the runtime offers, by name: its own tools, agents and workflows; built once per runtime. */
export function buildCatalog(services: Services, options: McpOptions): Map<string, McpEntry> {
  const entries: McpEntry[] = []
  // The runtime's own tools; an agent's tools run inside `ask_<agentId>`, where its rules apply.
  if (options.tools !== false) for (const tool of services.tools.own) entries.push(toolEntry(tool))
  if (options.agents !== false) {
    for (const [key, agent] of Object.entries(services.agents.all())) entries.push(agentEntry(key, agent, services))
  }
  if (options.workflows !== false) {
    for (const [key, workflow] of Object.entries(services.workflows.all())) entries.push(...workflowEntries(key, workflow, services))
  }
  const catalog = new Map<string, McpEntry>()
  for (const entry of entries) if (!catalog.has(entry.name)) catalog.set(entry.name, entry)
  return catalog
}
