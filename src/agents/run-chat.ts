import type { UIMessage, UIMessageChunk } from 'ai'
import type { PendingToolApproval } from '../storage/agent-runs.js'
import type { SuspendedChat } from './approvals.js'
import type { AgentRun, RunOutcome } from './runs/agent-run.js'
import { safeErrorMessage } from './upstream-error.js'

export interface ChatPump {
  /** The AI SDK UI message stream of the turn; its `onFinish` has saved the reply to memory. */
  stream: ReadableStream<UIMessageChunk>
  run: AgentRun
  /** The reply as the stream's `onFinish` built it (undefined before it ran). */
  reply: () => UIMessage | undefined
  /** The finish reason of the turn's last model call. */
  finishReason: () => string | undefined
}

/**
 * Reads the turn's UI message stream to its end, whoever is listening, as the run's events:
 * a reader joining later (`resume: true`) gets the same chunks from the turn's start.
 */
export async function pumpChat(pump: ChatPump): Promise<void> {
  const { run } = pump
  const reader = pump.stream.getReader()
  const inputs = new Map<string, { toolName: string; input: unknown }>()
  const pending: PendingToolApproval[] = []
  let failure: string | undefined
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      // A stopped run ends quietly: what its abort made fail is no error of the run.
      if (value.type === 'error' && run.signal.aborted) continue
      run.emit(value)
      if (value.type === 'tool-input-available') inputs.set(value.toolCallId, { toolName: value.toolName, input: value.input })
      else if (value.type === 'tool-approval-request') {
        const call = inputs.get(value.toolCallId)
        pending.push({ approvalId: value.approvalId, toolCallId: value.toolCallId, toolName: call?.toolName ?? '', args: call?.input })
      } else if (value.type === 'error') failure = value.errorText
    }
  } catch (err) {
    if (!run.signal.aborted) {
      failure = safeErrorMessage(err, 'The agent run failed')
      run.emit({ type: 'error', errorText: failure })
    }
  } finally {
    reader.releaseLock()
  }
  // Ended by its instance shutting down: the chat ends with the error part a failed turn ends with.
  if (run.shutDown) run.emit({ type: 'error', errorText: run.stoppedOutcome().error!.message })
  // Handed back rather than awaited, so this function's frame (the stream, the SDK's result)
  // is let go of while the final write waits for the store's next group commit.
  return run.finish(outcome(pump, pending, failure)).then(() => undefined)
}

function outcome(pump: ChatPump, pending: PendingToolApproval[], failure: string | undefined): RunOutcome {
  if (pump.run.signal.aborted) return pump.run.stoppedOutcome()
  if (failure !== undefined) return { status: 'failed', finishReason: 'error', error: { message: failure } }
  const reply = pump.reply()
  if (pending.length === 0 || !reply) return { status: 'success', finishReason: pump.finishReason() }
  const state: SuspendedChat = { reply }
  return { status: 'suspended', finishReason: 'suspended', pendingApprovals: pending, state: state as unknown as Record<string, unknown> }
}
