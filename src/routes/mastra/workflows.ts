import { z } from 'zod'
import { idSchema } from '../../core/limits.js'
import type { WorkflowRunRecord, WorkflowRunStatus } from '../../storage/workflow-runs.js'
import type { StepResult } from '../../storage/workflow-snapshot.js'

const statuses = ['pending', 'running', 'success', 'failed', 'suspended', 'canceled'] as const

export const workflowParams = z.object({ workflowId: idSchema() })
export const runParams = workflowParams.extend({ runId: idSchema() })
export const runIdQuery = z.object({ runId: idSchema() })
export const optionalRunIdQuery = z.object({ runId: idSchema().optional() })
export const streamQuery = optionalRunIdQuery.extend({ cancelOnDisconnect: z.enum(['true', 'false']).optional() })
export const resumeStreamQuery = runIdQuery.extend({ cancelOnDisconnect: z.enum(['true', 'false']).optional() })
export const observeQuery = runIdQuery.extend({
  offset: z.coerce.number().int().min(0).default(0).describe('Skip this many of the run’s events (0-based)'),
})
export const listQuery = z.object({
  page: z.coerce.number().int().min(0).default(0),
  perPage: z.coerce.number().int().min(1).max(1000).default(100),
  status: z.enum(statuses).optional(),
  /** Ignored when the caller is scoped to a resource. */
  resourceId: idSchema().optional(),
})

export const createRunBody = z.object({ resourceId: idSchema().optional() }).optional()
// Checked against the workflow's own inputSchema by the run (400 with `inputData.*` fields).
export const startBody = z.object({ inputData: z.unknown().optional() }).optional()
export const resumeBody = z
  .object({
    step: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    resumeData: z.unknown().optional(),
  })
  .optional()

const stepResult = z.looseObject({ status: z.string(), startedAt: z.number() })
export const runResult = z.looseObject({
  status: z.enum(statuses),
  steps: z.record(z.string(), stepResult),
  input: z.unknown(),
  result: z.unknown().optional(),
  error: z.string().optional(),
  suspended: z.array(z.array(z.string())).optional(),
  suspendPayload: z.record(z.string(), z.unknown()).optional(),
  runId: z.string(),
})
export const message = z.object({ message: z.string() })
// What @mastra/client-js sends with a restart; the request context is read by the pipeline.
export const restartBody = z.looseObject({}).optional()
export const restartedRuns = z.object({ message: z.string(), runIds: z.array(z.string()) })
export const runIdResponse = z.object({ runId: z.string() })
const count = z.number().int()
export const runCountsResponse = z.record(
  z.string(),
  z.object({ pending: count, running: count, suspended: count, success: count, failed: count, canceled: count }),
)

/** The `GET …/runs/:runId` shape. */
export interface WorkflowRunState {
  runId: string
  workflowName: string
  resourceId: string | null
  createdAt: Date
  updatedAt: Date
  status: WorkflowRunStatus
  result?: unknown
  payload: unknown
  steps: Record<string, StepResult>
  error?: string
}

export function toRunState(workflowName: string, record: WorkflowRunRecord): WorkflowRunState {
  const { snapshot } = record
  const state: WorkflowRunState = {
    runId: record.runId,
    workflowName,
    resourceId: record.resourceId,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    status: record.status,
    payload: snapshot.input,
    steps: snapshot.steps,
  }
  if (record.status === 'success') state.result = snapshot.result
  if (snapshot.error !== undefined) state.error = snapshot.error
  return state
}
