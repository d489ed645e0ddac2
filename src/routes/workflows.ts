import { defineRoute, records, sse, type Route } from '../http/route.js'
import * as wire from './mastra/workflows.js'

const tags = ['workflows']
const read = 'workflows:read'
const execute = 'workflows:execute'

export const workflowRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/workflows', summary: 'List workflows', tags, permission: read,
    handler: ({ runtime }) => runtime.workflows.describeAll(),
  }),
  defineRoute({
    method: 'GET', path: '/workflows/run-counts', summary: 'Count runs per status for every workflow (the caller’s when scoped)',
    tags, permission: read, response: wire.runCountsResponse,
    handler: ({ resourceId, runtime }) => runtime.workflowRuns.counts({ resourceId }),
  }),
  defineRoute({
    method: 'GET', path: '/workflows/:workflowId', summary: 'Get a workflow', tags, permission: read,
    params: wire.workflowParams,
    handler: ({ params, runtime }) => runtime.workflows.get(params.workflowId).describe(),
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/create-run', summary: 'Create a workflow run', tags, permission: execute,
    params: wire.workflowParams, query: wire.optionalRunIdQuery, body: wire.createRunBody,
    response: wire.runIdResponse,
    handler: async ({ params, query, body, resourceId, runtime }) => ({
      runId: await runtime.workflowRuns.create(params.workflowId, { resourceId }, { runId: query.runId, resourceId: body?.resourceId }),
    }),
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/start-async', summary: 'Run a workflow and wait for its result', tags,
    permission: execute, params: wire.workflowParams, query: wire.optionalRunIdQuery, body: wire.startBody,
    response: wire.runResult,
    handler: ({ params, query, body, context, resourceId, runtime, onError }) =>
      runtime.workflowRuns.start(params.workflowId, { resourceId, context, onError }, { runId: query.runId, inputData: body?.inputData }),
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/start', summary: 'Start a workflow run in the background', tags,
    permission: execute, params: wire.workflowParams, query: wire.runIdQuery, body: wire.startBody, response: wire.message,
    handler: async ({ params, query, body, context, resourceId, runtime, onError }) => {
      const input = { runId: query.runId, inputData: body?.inputData }
      await runtime.workflowRuns.startInBackground(params.workflowId, { resourceId, context, onError }, input)
      return { message: 'Workflow run started' }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/stream', summary: 'Run a workflow and stream its events', tags,
    permission: execute, params: wire.workflowParams, query: wire.streamQuery, body: wire.startBody,
    handler: async ({ params, query, body, context, resourceId, runtime, signal, request, onError }) => {
      // A disconnect ends the response only; the run goes on unless the client asked otherwise.
      const caller = { resourceId, context, signal: query.cancelOnDisconnect === 'true' ? signal : undefined, onError }
      const events = await runtime.workflowRuns.stream(params.workflowId, caller, { runId: query.runId, inputData: body?.inputData })
      return String(request.headers.accept ?? '').includes('text/event-stream') ? sse(events) : records(events)
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/resume-async', summary: 'Resume a suspended run and wait for its result',
    tags, permission: execute, params: wire.workflowParams, query: wire.runIdQuery, body: wire.resumeBody,
    response: wire.runResult,
    handler: ({ params, query, body, context, resourceId, runtime, onError }) =>
      runtime.workflowRuns.resume(params.workflowId, { resourceId, context, onError }, { runId: query.runId, ...body }),
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/resume', summary: 'Resume a suspended run in the background', tags,
    permission: execute, params: wire.workflowParams, query: wire.runIdQuery, body: wire.resumeBody, response: wire.message,
    handler: async ({ params, query, body, context, resourceId, runtime, onError }) => {
      await runtime.workflowRuns.resumeInBackground(params.workflowId, { resourceId, context, onError }, { runId: query.runId, ...body })
      return { message: 'Workflow run resumed' }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/resume-stream', summary: 'Resume a suspended run and stream the rest of it',
    tags, permission: execute, params: wire.workflowParams, query: wire.resumeStreamQuery, body: wire.resumeBody,
    handler: async ({ params, query, body, context, resourceId, runtime, signal, request, onError }) => {
      // As for stream: a disconnect ends the response only, unless the client asked otherwise.
      const caller = { resourceId, context, signal: query.cancelOnDisconnect === 'true' ? signal : undefined, onError }
      const events = await runtime.workflowRuns.resumeStream(params.workflowId, caller, { runId: query.runId, ...body })
      return String(request.headers.accept ?? '').includes('text/event-stream') ? sse(events) : records(events)
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/observe', summary: 'Rejoin a run’s event stream, replaying what was missed',
    tags, permission: read, params: wire.workflowParams, query: wire.observeQuery,
    handler: async ({ params, query, resourceId, runtime, request, signal }) => {
      const events = await runtime.workflowRuns.observe(params.workflowId, { resourceId }, query.runId, query.offset, signal)
      return String(request.headers.accept ?? '').includes('text/event-stream') ? sse(events) : records(events)
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/resume-no-wait', summary: 'Resume a suspended run and answer with its id at once',
    tags, permission: execute, params: wire.workflowParams, query: wire.runIdQuery, body: wire.resumeBody, response: wire.runIdResponse,
    handler: async ({ params, query, body, context, resourceId, runtime, onError }) => {
      await runtime.workflowRuns.resumeInBackground(params.workflowId, { resourceId, context, onError }, { runId: query.runId, ...body })
      return { runId: query.runId }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/restart', summary: 'Restart an interrupted run in the background', tags,
    permission: execute, params: wire.workflowParams, query: wire.runIdQuery, body: wire.restartBody, response: wire.message,
    handler: async ({ params, query, context, resourceId, runtime, onError }) => {
      await runtime.workflowRuns.restartInBackground(params.workflowId, { resourceId, context, onError }, query.runId)
      return { message: 'Workflow run restarted' }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/restart-async', summary: 'Restart an interrupted run and wait for its result',
    tags, permission: execute, params: wire.workflowParams, query: wire.runIdQuery, body: wire.restartBody, response: wire.runResult,
    handler: ({ params, query, context, resourceId, runtime, onError }) =>
      runtime.workflowRuns.restart(params.workflowId, { resourceId, context, onError }, query.runId),
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/restart-all-active-workflow-runs',
    summary: 'Restart every interrupted run the caller can see, in the background', tags, permission: execute,
    params: wire.workflowParams, body: wire.restartBody, response: wire.restartedRuns,
    handler: async ({ params, context, resourceId, runtime, onError }) => {
      const runIds = await runtime.workflowRuns.restartInterrupted(params.workflowId, { resourceId, context, onError }, { wait: false })
      return { message: `Restarted ${runIds.length} interrupted workflow run${runIds.length === 1 ? '' : 's'}`, runIds }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/restart-all-active-workflow-runs-async',
    summary: 'Restart every interrupted run the caller can see and wait for them', tags, permission: execute,
    params: wire.workflowParams, body: wire.restartBody, response: wire.restartedRuns,
    handler: async ({ params, context, resourceId, runtime, onError }) => {
      const runIds = await runtime.workflowRuns.restartInterrupted(params.workflowId, { resourceId, context, onError }, { wait: true })
      return { message: `Restarted ${runIds.length} interrupted workflow run${runIds.length === 1 ? '' : 's'}`, runIds }
    },
  }),
  defineRoute({
    method: 'GET', path: '/workflows/:workflowId/runs', summary: 'List runs of a workflow', tags, permission: read,
    params: wire.workflowParams, query: wire.listQuery,
    handler: async ({ params, query, resourceId, runtime }) => {
      const { runs, total } = await runtime.workflowRuns.list(params.workflowId, { resourceId }, query)
      return { runs: runs.map((record) => wire.toRunState(record.workflowId, record)), total }
    },
  }),
  defineRoute({
    method: 'GET', path: '/workflows/:workflowId/runs/:runId', summary: 'Get a workflow run', tags, permission: read,
    params: wire.runParams,
    handler: async ({ params, resourceId, runtime }) => {
      const record = await runtime.workflowRuns.get(params.workflowId, { resourceId }, params.runId)
      return wire.toRunState(record.workflowId, record)
    },
  }),
  defineRoute({
    method: 'DELETE', path: '/workflows/:workflowId/runs/:runId', summary: 'Delete a run that is not running', tags,
    permission: execute, params: wire.runParams, response: wire.message,
    handler: async ({ params, resourceId, runtime }) => {
      await runtime.workflowRuns.delete(params.workflowId, { resourceId }, params.runId)
      return { message: 'Workflow run deleted' }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/runs/:runId/cancel', summary: 'Cancel a workflow run', tags,
    permission: execute, params: wire.runParams, response: wire.message,
    handler: async ({ params, resourceId, runtime }) => {
      await runtime.workflowRuns.cancel(params.workflowId, { resourceId }, params.runId)
      return { message: 'Workflow run cancelled' }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/runs/:runId/restart', summary: 'Restart an interrupted workflow run', tags,
    permission: execute, params: wire.runParams, response: wire.runResult,
    handler: ({ params, context, resourceId, runtime }) =>
      runtime.workflowRuns.restart(params.workflowId, { resourceId, context }, params.runId),
  }),
]
