import { z } from 'zod'
import { APPROVAL_RESUME_SCHEMA } from '../../agents/approvals.js'
import { idSchema } from '../../core/limits.js'
import type { AgentRunRecord } from '../../storage/agent-runs.js'

// Mastra's human-in-the-loop agent routes, with the bodies `@mastra/client-js` 1.47 sends.

const reason = z.string().max(10_000)

export const approveBody = z.looseObject({ runId: idSchema(), toolCallId: idSchema() })
export const declineBody = z.looseObject({ runId: idSchema(), toolCallId: idSchema(), reason: reason.optional() })
export const resumeBody = z.looseObject({
  runId: idSchema(),
  toolCallId: idSchema().optional(),
  resumeData: z.looseObject({ approved: z.boolean(), reason: reason.optional() }),
})
export const observeBody = z.looseObject({ runId: idSchema(), offset: z.number().int().min(0).optional() })
export const suspendedQuery = z.object({
  threadId: idSchema().optional(),
  resourceId: idSchema().optional(),
  fromDate: z.iso.datetime({ offset: true }).optional(),
  toDate: z.iso.datetime({ offset: true }).optional(),
  page: z.coerce.number().int().min(0).default(0),
  perPage: z.coerce.number().int().min(1).max(1000).default(100),
})

/** An answer as Mastra's bodies give it: `reason` only when one was given. */
export function decision(approved: boolean, given: string | undefined): { approved: boolean; reason?: string } {
  return given === undefined ? { approved } : { approved, reason: given }
}

/** One entry of `GET /agents/:agentId/suspended-runs`: the calls still waiting for an answer. */
export function suspendedRun(run: AgentRunRecord) {
  return {
    runId: run.runId,
    status: run.status,
    threadId: run.threadId,
    resourceId: run.resourceId,
    suspendedAt: run.updatedAt,
    toolCalls: run.pendingApprovals
      .filter((call) => !call.decision)
      .map((call) => ({ toolCallId: call.toolCallId, toolName: call.toolName, args: call.args, requiresApproval: true })),
  }
}

/** A run that still waits for other calls of the same step, in the shape of a suspended generate. */
export function stillWaiting(record: AgentRunRecord) {
  const open = record.pendingApprovals.filter((call) => !call.decision)
  const next = open[0]
  return {
    text: '',
    finishReason: 'suspended',
    runId: record.runId,
    toolCalls: open.map((call) => ({ type: 'tool-call', runId: record.runId, from: 'AGENT', payload: { toolCallId: call.toolCallId, toolName: call.toolName, args: call.args } })),
    suspendPayload: { toolCallId: next.toolCallId, toolName: next.toolName, args: next.args, resumeSchema: APPROVAL_RESUME_SCHEMA },
    resumeSchema: APPROVAL_RESUME_SCHEMA,
  }
}
