import { z } from 'zod'
import { idSchema } from '../core/limits.js'
import { defineRoute, sse, type Route } from '../http/route.js'
import { runOptions } from './agents.js'
import * as wire from './mastra/agent-runs.js'

const tags = ['agents']
const read = 'agents:read'
const execute = 'agents:execute'

const agentParams = z.object({ agentId: idSchema() })

export const approvalRoutes: Route[] = [
  defineRoute({
    method: 'POST', path: '/agents/:agentId/approve-tool-call', summary: 'Approve a tool call a run waits on; streams the continuation', tags,
    permission: execute, params: agentParams, body: wire.approveBody,
    handler: async (args) => {
      const { params, body, resourceId, runtime } = args
      const caller = { agentId: params.agentId, resourceId }
      return sse(await runtime.agentRuns.answerStreaming(caller, body.runId, body.toolCallId, { approved: true }, runOptions(args)), { ids: true })
    },
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/decline-tool-call', summary: 'Decline a tool call a run waits on; streams the continuation', tags,
    permission: execute, params: agentParams, body: wire.declineBody,
    handler: async (args) => {
      const { params, body, resourceId, runtime } = args
      const caller = { agentId: params.agentId, resourceId }
      const answer = wire.decision(false, body.reason)
      return sse(await runtime.agentRuns.answerStreaming(caller, body.runId, body.toolCallId, answer, runOptions(args)), { ids: true })
    },
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/resume-stream', summary: 'Answer a waiting tool call with resumeData; streams the continuation', tags,
    permission: execute, params: agentParams, body: wire.resumeBody,
    handler: async (args) => {
      const { params, body, resourceId, runtime } = args
      const caller = { agentId: params.agentId, resourceId }
      const answer = wire.decision(body.resumeData.approved, body.resumeData.reason)
      return sse(await runtime.agentRuns.answerStreaming(caller, body.runId, body.toolCallId, answer, runOptions(args)), { ids: true })
    },
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/approve-tool-call-generate', summary: 'Approve a tool call a run waits on; answers the generate result', tags,
    permission: execute, params: agentParams, body: wire.approveBody,
    handler: async (args) => {
      const { params, body, resourceId, runtime } = args
      const result = await runtime.agentRuns.answerGenerating({ agentId: params.agentId, resourceId }, body.runId, body.toolCallId, { approved: true }, runOptions(args))
      return 'status' in result ? wire.stillWaiting(result) : result
    },
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/decline-tool-call-generate', summary: 'Decline a tool call a run waits on; answers the generate result', tags,
    permission: execute, params: agentParams, body: wire.declineBody,
    handler: async (args) => {
      const { params, body, resourceId, runtime } = args
      const answer = wire.decision(false, body.reason)
      const result = await runtime.agentRuns.answerGenerating({ agentId: params.agentId, resourceId }, body.runId, body.toolCallId, answer, runOptions(args))
      return 'status' in result ? wire.stillWaiting(result) : result
    },
  }),
  defineRoute({
    method: 'GET', path: '/agents/:agentId/suspended-runs', summary: 'Runs waiting for a tool approval, newest first', tags,
    permission: read, params: agentParams, query: wire.suspendedQuery,
    handler: async ({ params, query, resourceId, runtime }) => {
      // A scoped caller sees its own runs whatever it asks for.
      const caller = { agentId: params.agentId, resourceId: resourceId ?? query.resourceId }
      const { runs, total } = await runtime.agentRuns.suspended(caller, {
        threadId: query.threadId,
        from: query.fromDate ? new Date(query.fromDate) : undefined,
        to: query.toDate ? new Date(query.toDate) : undefined,
        page: query.page,
        perPage: query.perPage,
      })
      return { runs: runs.map(wire.suspendedRun), total }
    },
  }),
  defineRoute({
    method: 'POST', path: '/agents/:agentId/observe', summary: 'Follow an agent run’s chunks from an offset (Mastra’s observe)', tags,
    permission: read, params: agentParams, body: wire.observeBody,
    handler: async ({ params, body, resourceId, runtime }) =>
      sse(await runtime.agentRuns.follow({ agentId: params.agentId, resourceId }, body.runId, body.offset ?? 0), { ids: true }),
  }),
]
