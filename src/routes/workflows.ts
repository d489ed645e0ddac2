import { z } from 'zod'
import { notFound } from '../core/errors.js'
import { idSchema } from '../core/limits.js'
import { defineRoute, records, sse, type Route } from '../http/route.js'
import type { WorkflowRunRecord } from '../storage/workflow-runs.js'
import type { WorkflowRun } from '../workflows/run.js'
import { toRunState } from '../workflows/snapshot.js'
import type { Workflow } from '../workflows/workflow.js'

const tags = ['workflows']
const read = 'workflows:read'
const execute = 'workflows:execute'

const workflowParams = z.object({ workflowId: idSchema() })
const runParams = workflowParams.extend({ runId: idSchema() })
const runIdQuery = z.object({ runId: idSchema() })
const optionalRunIdQuery = z.object({ runId: idSchema().optional() })
const streamQuery = optionalRunIdQuery.extend({ cancelOnDisconnect: z.enum(['true', 'false']).optional() })
const listQuery = z.object({
  page: z.coerce.number().int().min(0).default(0),
  perPage: z.coerce.number().int().min(1).max(1000).default(100),
  status: z.enum(['pending', 'running', 'success', 'failed', 'suspended', 'canceled']).optional(),
  /** Ignored when the caller is scoped to a resource. */
  resourceId: idSchema().optional(),
})

const createRunBody = z.object({ resourceId: idSchema().optional() }).optional()
// Checked against the workflow's own inputSchema by the run (400 with `inputData.*` fields).
const startBody = z.object({ inputData: z.unknown().optional() }).optional()
const resumeBody = z
  .object({
    step: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    resumeData: z.unknown().optional(),
  })
  .optional()

const stepResult = z.looseObject({ status: z.string(), startedAt: z.number() })
const runResult = z.looseObject({
  status: z.enum(['pending', 'running', 'success', 'failed', 'suspended', 'canceled']),
  steps: z.record(z.string(), stepResult),
  input: z.unknown(),
  result: z.unknown().optional(),
  error: z.string().optional(),
  suspended: z.array(z.array(z.string())).optional(),
  suspendPayload: z.record(z.string(), z.unknown()).optional(),
  runId: z.string(),
})
const message = z.object({ message: z.string() })

/** A run of another resource is reported exactly like a missing one. */
function isVisible(record: WorkflowRunRecord, scope: string | undefined): boolean {
  return scope === undefined || record.resourceId === scope
}

async function visibleRun(workflow: Workflow, runId: string, scope: string | undefined): Promise<WorkflowRunRecord> {
  const record = await workflow.getRun(runId)
  if (!record || !isVisible(record, scope)) throw notFound(`Workflow run ${runId} not found`)
  return record
}

/**
 * The run a start targets: a new one, or the stored/new run `runId`. A scoped caller's handle
 * carries its resource, which the start's claim checks atomically (another resource's run: 404).
 */
async function runToStart(workflow: Workflow, runId: string | undefined, scope: string | undefined): Promise<WorkflowRun> {
  if (runId === undefined || scope !== undefined) return workflow.createRun({ runId, resourceId: scope })
  // Unscoped: a stored run keeps the owner it has.
  const existing = await workflow.getRun(runId)
  return workflow.createRun({ runId, resourceId: existing?.resourceId ?? undefined })
}

/** Puts an already-read first result back in front of the rest, keeping `return()` immediate. */
function startingWith<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  let held: IteratorResult<T> | undefined = first
  const iterator: AsyncIterator<T> = {
    next: () => {
      if (!held) return rest.next()
      const result = held
      held = undefined
      return Promise.resolve(result)
    },
    return: () => {
      held = undefined
      return rest.return?.() ?? Promise.resolve({ value: undefined, done: true })
    },
  }
  return { [Symbol.asyncIterator]: () => iterator }
}

export const workflowRoutes: Route[] = [
  defineRoute({
    method: 'GET', path: '/workflows', summary: 'List workflows', tags, permission: read,
    handler: ({ runtime }) => {
      const out: Record<string, ReturnType<Workflow['describe']>> = {}
      for (const key of Object.keys(runtime.workflows)) out[key] = runtime.workflows[key].describe()
      return out
    },
  }),
  defineRoute({
    method: 'GET', path: '/workflows/:workflowId', summary: 'Get a workflow', tags, permission: read,
    params: workflowParams,
    handler: ({ params, runtime }) => runtime.getWorkflow(params.workflowId).describe(),
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/create-run', summary: 'Create a workflow run', tags, permission: execute,
    params: workflowParams, query: optionalRunIdQuery, body: createRunBody,
    response: z.object({ runId: z.string() }),
    handler: async ({ params, query, body, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      const run = await workflow.createRun({ runId: query.runId, resourceId: resourceId ?? body?.resourceId })
      // A taken run id is a 409 whoever owns it, so the answer says nothing about other resources.
      await run.save()
      return { runId: run.runId }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/start-async', summary: 'Run a workflow and wait for its result', tags,
    permission: execute, params: workflowParams, query: optionalRunIdQuery, body: startBody, response: runResult,
    handler: async ({ params, query, body, context, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      const run = await runToStart(workflow, query.runId, resourceId)
      return run.start({ inputData: body?.inputData, context })
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/start', summary: 'Start a workflow run in the background', tags,
    permission: execute, params: workflowParams, query: runIdQuery, body: startBody, response: message,
    handler: async ({ params, query, body, context, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      const run = await runToStart(workflow, query.runId, resourceId)
      await run.startInBackground({ inputData: body?.inputData, context })
      return { message: 'Workflow run started' }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/stream', summary: 'Run a workflow and stream its events', tags,
    permission: execute, params: workflowParams, query: streamQuery, body: startBody,
    handler: async ({ params, query, body, context, resourceId, runtime, signal, request }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      const run = await runToStart(workflow, query.runId, resourceId)
      // A disconnect ends the response only; the run goes on unless the client asked otherwise.
      const runSignal = query.cancelOnDisconnect === 'true' ? signal : undefined
      const events = run.stream({ inputData: body?.inputData, context, signal: runSignal })
      // A refused start (bad input, run taken) surfaces here, before any byte is written.
      const source = startingWith(await events.next(), events)
      return String(request.headers.accept ?? '').includes('text/event-stream') ? sse(source) : records(source)
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/resume-async', summary: 'Resume a suspended run and wait for its result',
    tags, permission: execute, params: workflowParams, query: runIdQuery, body: resumeBody, response: runResult,
    handler: async ({ params, query, body, context, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      const run = await workflow.createRun({ runId: query.runId, resourceId })
      return run.resume({ step: body?.step, resumeData: body?.resumeData, context })
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/resume', summary: 'Resume a suspended run in the background', tags,
    permission: execute, params: workflowParams, query: runIdQuery, body: resumeBody, response: message,
    handler: async ({ params, query, body, context, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      const run = await workflow.createRun({ runId: query.runId, resourceId })
      await run.resumeInBackground({ step: body?.step, resumeData: body?.resumeData, context })
      return { message: 'Workflow run resumed' }
    },
  }),
  defineRoute({
    method: 'GET', path: '/workflows/:workflowId/runs', summary: 'List runs of a workflow', tags, permission: read,
    params: workflowParams, query: listQuery,
    handler: async ({ params, query, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      const { page, perPage, status } = query
      const { runs, total } = await workflow.listRuns({ resourceId: resourceId ?? query.resourceId, status, page, perPage })
      return { runs: runs.map((record) => toRunState(workflow.id, record)), total }
    },
  }),
  defineRoute({
    method: 'GET', path: '/workflows/:workflowId/runs/:runId', summary: 'Get a workflow run', tags, permission: read,
    params: runParams,
    handler: async ({ params, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      return toRunState(workflow.id, await visibleRun(workflow, params.runId, resourceId))
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/runs/:runId/cancel', summary: 'Cancel a workflow run', tags,
    permission: execute, params: runParams, response: message,
    handler: async ({ params, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      await (await workflow.createRun({ runId: params.runId, resourceId })).cancel()
      return { message: 'Workflow run cancelled' }
    },
  }),
  defineRoute({
    method: 'POST', path: '/workflows/:workflowId/runs/:runId/restart', summary: 'Restart an interrupted workflow run', tags,
    permission: execute, params: runParams, response: runResult,
    handler: async ({ params, context, resourceId, runtime }) => {
      const workflow = runtime.getWorkflow(params.workflowId)
      return (await workflow.createRun({ runId: params.runId, resourceId })).restart({ context })
    },
  }),
]
