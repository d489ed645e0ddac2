import type { UIMessage } from 'ai'
import { conflict } from '../core/errors.js'
import type { AgentRunRecord, PendingToolApproval } from '../storage/agent-runs.js'
import type { SuspendedChat } from './approvals.js'
import type { AgentRunLedger } from './runs/ledger.js'

type Part = UIMessage['parts'][number]

/** One answer a client put in its messages (`addToolApprovalResponse`). */
interface ClientAnswer {
  messageId: string
  toolCallId: string
  approvalId: string
  approved: boolean
  reason?: string
}

/** A chat request's messages once its approval answers were checked against the stored runs. */
export interface ChatAnswers {
  /** The client's messages; answers that did not count are taken back to unanswered. */
  messages: UIMessage[]
  /** True when the client sent an answer that did not count (invented, replayed, or another's). */
  refused: boolean
  /** The suspended run this request answered, claimed (now running), and the reply to go on with. */
  claimed?: { record: AgentRunRecord; before: AgentRunRecord; reply: UIMessage }
}

function answerOf(part: Part, messageId: string): ClientAnswer | undefined {
  const { state, approval, toolCallId } = part as { state?: string; approval?: { id?: unknown; approved?: unknown; reason?: unknown }; toolCallId?: unknown }
  if (state !== 'approval-responded' || typeof approval?.approved !== 'boolean' || typeof approval.id !== 'string') return undefined
  if (typeof toolCallId !== 'string') return undefined
  const reason = typeof approval.reason === 'string' ? approval.reason : undefined
  return { messageId, toolCallId, approvalId: approval.id, approved: approval.approved, ...(reason !== undefined ? { reason } : {}) }
}

/** The message with its answered tool parts taken back to `approval-requested`, which the model never runs. */
function unanswered(message: UIMessage): UIMessage {
  let changed = false
  const parts = message.parts.map((part) => {
    const { state, approval } = part as { state?: string; approval?: { id: string } }
    if (state !== 'approval-responded') return part
    changed = true
    return { ...part, state: 'approval-requested', approval: { id: approval?.id } } as Part
  })
  return changed ? { ...message, parts } : message
}

/** The stored reply with the answers applied: the tool parts the run goes on with. */
function answeredReply(reply: UIMessage, pending: readonly PendingToolApproval[]): UIMessage {
  const byCall = new Map(pending.map((call) => [call.toolCallId, call]))
  const parts = reply.parts.map((part) => {
    const call = 'toolCallId' in part ? byCall.get(part.toolCallId) : undefined
    if (!call?.decision) return part
    const { approved, reason } = call.decision
    return { ...part, state: 'approval-responded', approval: { id: call.approvalId, approved, ...(reason !== undefined ? { reason } : {}) } } as Part
  })
  return { ...reply, parts }
}

/**
 * Checks the approval answers in a `useChat` request. An answer counts only when it answers a
 * call this chat's suspended run (of this agent and resource) is waiting on, in that run's
 * reply, sent as the last message; then the run is claimed in one guarded write, so a replay
 * or a racing second request finds it running and its answers do not count either. The reply
 * the run goes on with is the stored one with the answers applied, never the client's copy.
 */
export async function chatAnswers(
  incoming: UIMessage[],
  scope: { runs: AgentRunLedger | undefined; agentId: string; chatId: string | undefined; resourceId: string | undefined },
): Promise<ChatAnswers> {
  const answers: ClientAnswer[] = []
  for (const message of incoming) {
    for (const part of message.parts) {
      const answer = answerOf(part, message.id)
      if (answer) answers.push(answer)
    }
  }
  if (answers.length === 0) return { messages: incoming, refused: false }
  const stripped = incoming.map(unanswered)
  const refusal: ChatAnswers = { messages: stripped, refused: true }
  const last = incoming[incoming.length - 1]
  if (!scope.runs || scope.chatId === undefined || last.role !== 'assistant') return refusal
  const run = await scope.runs.suspendedOnThread({ agentId: scope.agentId, resourceId: scope.resourceId }, scope.chatId)
  const reply = (run?.state as SuspendedChat | null)?.reply
  if (!run || !reply || reply.id !== last.id) return refusal
  const decided = run.pendingApprovals.map((call) => {
    const answer = answers.find((a) => a.messageId === last.id && a.approvalId === call.approvalId && a.toolCallId === call.toolCallId)
    return answer ? { ...call, decision: { approved: answer.approved, ...(answer.reason !== undefined ? { reason: answer.reason } : {}) } } : call
  })
  if (!decided.some((call, i) => call.decision && !run.pendingApprovals[i].decision)) return refusal
  const waiting = decided.filter((call) => !call.decision).length
  const scopeOf = { agentId: scope.agentId, resourceId: scope.resourceId }
  if (waiting > 0) {
    // Keep the answers given; the turn goes on once every call has one.
    await scope.runs.record(scopeOf, run, decided)
    throw conflict(`${waiting} more tool call${waiting === 1 ? '' : 's'} of this turn wait for an answer`)
  }
  const claimed = await scope.runs.claim(scopeOf, run, decided)
  if (!claimed) return refusal
  const answered = answeredReply(reply, decided)
  return { messages: [...stripped.slice(0, -1), answered], refused: false, claimed: { record: claimed, before: run, reply: answered } }
}
