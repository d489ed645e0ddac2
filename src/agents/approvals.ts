import type { ModelMessage, UIMessage } from 'ai'
import type { PendingToolApproval } from '../storage/agent-runs.js'

/** Mastra's `resumeSchema` of a tool call waiting for approval, as the JSON-schema string it sends. */
export const APPROVAL_RESUME_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    approved: { type: 'boolean', description: 'Controls if the tool call is approved or not, should be true when approved and false when declined' },
    reason: { description: 'Optional explanation for the decision, surfaced to the model when the tool call is declined', type: 'string' },
  },
  required: ['approved'],
  additionalProperties: false,
})

/** What the model is told about a call the person declined without saying why. */
export const DECLINED_WITHOUT_REASON = 'Tool call was not approved by the user'

type ApprovalRequestPart = { type: 'tool-approval-request'; approvalId: string; toolCall: { toolCallId: string; toolName: string; input: unknown } }

/** A `tool-approval-request` part of the AI SDK (stream part or step content) as the pending call the run stores. */
export function pendingApproval(part: ApprovalRequestPart): PendingToolApproval {
  return { approvalId: part.approvalId, toolCallId: part.toolCall.toolCallId, toolName: part.toolCall.toolName, args: part.toolCall.input }
}

/** The pending calls among a step's content parts. */
export function pendingApprovalsIn(content: ReadonlyArray<{ type: string }>): PendingToolApproval[] {
  return content.filter((part) => part.type === 'tool-approval-request').map((part) => pendingApproval(part as ApprovalRequestPart))
}

/** What a suspended `generate`/`stream` run keeps to go on after the approval, possibly in another process. */
export interface SuspendedCall {
  /** The conversation the next model call continues: the prompt, then what the model said so far. */
  messages: ModelMessage[]
  /** Model calls left. */
  maxSteps: number
  output?: Record<string, unknown>
  memory?: { threadId: string; resourceId: string }
  /** The reply as memory stores it, and its id (also the stream's `messageId`). */
  reply: UIMessage
}

/** What a suspended `chat` run keeps: the assistant message as the client was sent it. */
export interface SuspendedChat {
  reply: UIMessage
}

/**
 * The tool message answering the pending calls; the AI SDK runs the approved ones, and tells
 * the model about the declined ones, before its next model call.
 */
export function approvalResponses(pending: readonly PendingToolApproval[]): ModelMessage {
  return {
    role: 'tool',
    content: pending.map((call) => ({
      type: 'tool-approval-response' as const,
      approvalId: call.approvalId,
      approved: call.decision?.approved === true,
      reason: call.decision?.approved === true ? call.decision.reason : (call.decision?.reason ?? DECLINED_WITHOUT_REASON),
    })),
  }
}

/** The reply of a run canceled while it waited: each call still waiting shows as declined, with why. */
export function withDeniedCalls(reply: UIMessage, pending: readonly PendingToolApproval[], reason: string): UIMessage {
  const waiting = new Map(pending.filter((call) => !call.decision).map((call) => [call.toolCallId, call]))
  const parts = reply.parts.map((part) => {
    const call = 'toolCallId' in part ? waiting.get(part.toolCallId) : undefined
    return call ? ({ ...part, state: 'output-denied', approval: { id: call.approvalId, approved: false, reason } } as UIMessage['parts'][number]) : part
  })
  return { ...reply, parts }
}
