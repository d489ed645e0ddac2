import { z } from 'zod'
import { encodeUiStream } from '../agents/agent.js'
import { invalid } from '../core/errors.js'
import { idSchema } from '../core/limits.js'
import { defineRoute, json, sse, uiMessageStream, type Route } from '../http/route.js'
import { AGENT_RUN_STATUSES, type AgentRunRecord } from '../storage/agent-runs.js'

const tags = ['agents']
const read = 'agents:read'
const execute = 'agents:execute'

const runParams = z.object({ agentId: idSchema(), runId: idSchema() })
const chatParams = z.object({ agentId: idSchema(), chatId: idSchema() })

const listQuery = z.object({
  threadId: idSchema().optional(),
  status: z.enum(AGENT_RUN_STATUSES).optional(),
  page: z.coerce.number().int().min(0).default(0),
  perPage: z.coerce.number().int().min(1).max(1000).default(100),
})

const streamQuery = z.object({ after: z.coerce.number().int().min(0).optional() })

/** A run record as the run routes show it; what it keeps to continue after an approval stays inside. */
export function runView(record: AgentRunRecord) {
  const { state: _state, version: _version, lastSeq, pendingApprovals, ...shown } = record
  return {
    ...shown,
    pendingApprovals: pendingApprovals.map(({ approvalId, toolCallId, toolName, args }) => ({ approvalId, toolCallId, toolName, args })),
    lastEventId: lastSeq,
  }
}

/** Where a reader rejoins: after `Last-Event-ID` when the client sends it (a reconnecting EventSource), else `?after`. */
function rejoinAfter(header: string | string[] | undefined, after: number | undefined): number {
  const value = Array.isArray(header) ? header[header.length - 1] : header
  if (value === undefined || value === '') return after ?? 0
  if (!/^\d{1,15}$/.test(value)) throw invalid('Last-Event-ID', 'must be the id of an event of this run')
  return Number(value)
}

export const agentRunRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/agents/:agentId/runs', summary: 'List an agent’s runs, newest first', tags, permission: read,
    params: z.object({ agentId: idSchema() }), query: listQuery,
    handler: async ({ params, query, resourceId, runtime }) => {
      const { runs, total } = await runtime.agentRuns.list({ agentId: params.agentId, resourceId }, query)
      return { runs: runs.map(runView), total, page: query.page, perPage: query.perPage, hasMore: (query.page + 1) * query.perPage < total }
    },
  }),
  defineRoute({
    method: 'GET', path: '/agents/:agentId/runs/:runId', summary: 'Get an agent run: status, model, usage, error', tags, permission: read,
    params: runParams,
    handler: async ({ params, resourceId, runtime }) => runView(await runtime.agentRuns.get({ agentId: params.agentId, resourceId }, params.runId)),
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/runs/:runId/cancel', summary: 'Cancel an agent run, keeping its partial reply', tags,
    permission: execute, params: runParams,
    handler: async ({ params, resourceId, runtime, mount, request }) =>
      runView(await runtime.agentRuns.cancel({ agentId: params.agentId, resourceId }, params.runId, (err) => mount.reportError(err, request))),
  }),
  defineRoute({
    method: 'GET', path: '/agents/:agentId/runs/:runId/stream', summary: 'Follow an agent run’s chunks over SSE (rejoin with Last-Event-ID)',
    tags, permission: read, params: runParams, query: streamQuery,
    handler: async ({ params, query, resourceId, runtime, request }) => {
      const after = rejoinAfter(request.headers['last-event-id'], query.after)
      return sse(await runtime.agentRuns.follow({ agentId: params.agentId, resourceId }, params.runId, after), { ids: true })
    },
  }),
  defineRoute({
    method: 'GET', path: '/agents/:agentId/chat/:chatId/stream', summary: 'Rejoin a chat’s running turn (useChat resume); 204 when none runs',
    tags, permission: read, params: chatParams,
    handler: async ({ params, resourceId, runtime }) => {
      const turn = await runtime.agentRuns.rejoinChat({ agentId: params.agentId, resourceId }, params.chatId)
      return turn ? uiMessageStream(encodeUiStream(turn, { ids: true })) : json(undefined, { status: 204 })
    },
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/chat/:chatId/stop', summary: 'Stop a chat’s running turn, keeping its partial reply', tags,
    permission: execute, params: chatParams,
    handler: async ({ params, resourceId, runtime, mount, request }) => {
      const run = await runtime.agentRuns.stopChat({ agentId: params.agentId, resourceId }, params.chatId, (err) => mount.reportError(err, request))
      return run ? { stopped: true, runId: run.runId, status: run.status } : { stopped: false }
    },
  }),
]
