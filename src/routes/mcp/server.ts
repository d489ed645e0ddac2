import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { ToolProgress } from '../../agents/tool.js'
import { HttpError } from '../../core/errors.js'
import type { FailureInfo } from '../../core/report.js'
import type { McpCaller, McpEntry } from './catalog.js'
import type { McpSdk } from './sdk.js'

/** What the pipeline established for one HTTP request, handed to the SDK as `authInfo.extra`. */
export interface McpScope extends Omit<McpCaller, 'progress' | 'onError'> {
  /** The mount's `onError` for this request; `info` says what failed beyond the request. */
  report: (err: unknown, info?: Partial<FailureInfo>) => void
  /** The mount's `authorize` hook, asked about one entry's permission. */
  allows: (entry: McpEntry) => Promise<boolean>
}

export const SCOPE_KEY = 'agentmount'

function scopeOf(extra: { authInfo?: { extra?: Record<string, unknown> } }): McpScope {
  const scope = extra.authInfo?.extra?.[SCOPE_KEY] as McpScope | undefined
  // Every message reaches the server through the route, which always sets it.
  if (!scope) throw new Error('MCP message without a request scope')
  return scope
}

function textResult(text: string, isError = false): CallToolResult {
  return isError ? { content: [{ type: 'text', text }], isError } : { content: [{ type: 'text', text }] }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The tool's value as MCP content; an object result is also `structuredContent` when a schema announced it. */
function toResult(entry: McpEntry, value: unknown): CallToolResult {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null)
  if (entry.outputSchema && isPlainObject(value)) return { content: [{ type: 'text', text }], structuredContent: value }
  return textResult(text)
}

/**
 * An SDK `Server` answering `tools/list` and `tools/call` from the catalog. The low-level
 * `Server`, not `McpServer`: schemas here are already JSON Schema (AI SDK tools, workflow
 * inputs), and each call needs the pipeline's context, which arrives with the message.
 */
export function createMcpServer(sdk: McpSdk, catalog: Map<string, McpEntry>, info: { name: string; version: string }): Server {
  const { types } = sdk
  const server = new sdk.Server(info, { capabilities: { tools: { listChanged: false } }, jsonSchemaValidator: sdk.validator })
  let listing: Promise<Array<{ entry: McpEntry; tool: Record<string, unknown> }>> | undefined

  server.setRequestHandler(types.ListToolsRequestSchema, async (_request, extra) => {
    const scope = scopeOf(extra)
    listing ??= Promise.all(
      [...catalog.values()].map(async (entry) => ({
        entry,
        tool: {
          name: entry.name,
          description: entry.description,
          inputSchema: await entry.inputSchema(),
          ...(entry.outputSchema ? { outputSchema: entry.outputSchema } : {}),
        },
      })),
    )
    const all = await listing
    // Only what this caller may call, asked as each call would be.
    const allowed = await Promise.all(all.map(({ entry }) => scope.allows(entry)))
    return { tools: all.filter((_, i) => allowed[i]).map(({ tool }) => tool) as any }
  })

  server.setRequestHandler(types.CallToolRequestSchema, async (request, extra) => {
    const scope = scopeOf(extra)
    const { name } = request.params
    const entry = catalog.get(name)
    if (!entry) throw new types.McpError(types.ErrorCode.InvalidParams, `Tool ${name} not found`)
    if (!(await scope.allows(entry))) return textResult(`Not allowed: ${entry.permission}`, true)
    const token = request.params._meta?.progressToken
    const progress =
      token === undefined
        ? () => {}
        : (update: ToolProgress) => {
            extra
              .sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...update } })
              .catch((err: unknown) => scope.report(err, { kind: 'stream', toolId: name }))
          }
    const signal = AbortSignal.any([extra.signal, scope.signal])
    try {
      const onError: McpCaller['onError'] = (err, info) => scope.report(err, { toolId: name, ...info })
      const value = await entry.call(request.params.arguments ?? {}, { ...scope, signal, progress, onError })
      return toResult(entry, value)
    } catch (err) {
      // A cancelled call gets no answer (the SDK drops it); nothing failed.
      if (signal.aborted) throw new types.McpError(types.ErrorCode.RequestTimeout, 'Request cancelled')
      const known = err instanceof HttpError
      // A 5xx the kit made from a failure it already reported (an agent's model error) has no cause.
      if (!known || (err.status >= 500 && err.cause !== undefined)) scope.report(err, { kind: 'tool', toolId: name })
      // Bad arguments and refusals are tool errors the model can read and correct.
      return textResult(known ? err.message : `Tool ${name} failed`, true)
    }
  })
  return server
}
