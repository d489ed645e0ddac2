import type { StreamTextResult, ToolSet } from 'ai'
import type { MemoryTurn } from '../memory/memory.js'
import type { PendingToolApproval } from '../storage/agent-runs.js'
import { pendingApproval, type SuspendedCall } from './approvals.js'
import type { AgentRun, RunOutcome } from './runs/agent-run.js'
import { mastraChunk, toMastraChunk, type ChunkScope, type MastraChunk } from './mastra-chunks.js'
import type { ReplyRecorder } from './reply-message.js'
import { safeErrorMessage } from './upstream-error.js'

export interface StreamPump {
  result: StreamTextResult<ToolSet, any>
  run: AgentRun
  scope: ChunkScope
  /** Whether the caller asked for structured output, reported on the finish chunk. */
  withObject: boolean
  turn: MemoryTurn | undefined
  recorder: ReplyRecorder
  /** Receives what fails without ending the reply in an error the caller could catch: the stream, a memory save. */
  report: (err: unknown) => void
  /** Set when this activation continues a suspended run: its answers, for the denied chunks. */
  answered?: readonly PendingToolApproval[]
  /** What to keep should the run suspend, given the messages the model produced this time. */
  suspend: (responseMessages: SuspendedCall['messages']) => Omit<SuspendedCall, 'reply'>
}

/**
 * Reads the AI SDK stream to its end, whoever is listening, and turns it into the run's
 * Mastra chunks. An error part becomes the final chunk. A tool call that needs approval ends
 * the stream at its `tool-call-approval` chunk (as Mastra's does) with the run suspended;
 * memory gets the reply as far as it got, marked aborted when the run was stopped.
 */
export async function pumpStream(pump: StreamPump): Promise<void> {
  const { result, run, scope, recorder } = pump
  const reader = result.fullStream.getReader()
  const pending: PendingToolApproval[] = []
  let failure: string | undefined
  let finish: MastraChunk | undefined
  let finishReason: string | undefined
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      recorder.add(value)
      if (value.type === 'finish-step') run.step(value.finishReason, value.usage)
      else if (value.type === 'finish') finishReason = value.finishReason
      else if (value.type === 'tool-approval-request') pending.push(pendingApproval(value))
      // A continued run goes on with the stream it already started.
      if (value.type === 'start' && pump.answered) continue
      const chunk = toMastraChunk(value, scope)
      if (!chunk) continue
      if (value.type === 'error') {
        // A stopped run ends quietly: what its abort made fail is no error of the run.
        if (run.signal.aborted) break
        failure = String(chunk.payload.message)
        run.emit(chunk)
        break
      }
      if (pending.length > 0 && (value.type === 'finish-step' || value.type === 'finish')) continue
      if (value.type === 'tool-output-denied') Object.assign(chunk.payload, deniedDetails(value.toolCallId, pump.answered))
      // The object is only settled once the stream is read to its end, so finish waits.
      if (value.type === 'finish' && pump.withObject) finish = chunk
      else run.emit(chunk)
    }
    if (finish) {
      ;(finish.payload.output as Record<string, unknown>).object = await result.output
      run.emit(finish)
    }
  } catch (err) {
    if (!run.signal.aborted) {
      pump.report(err)
      failure = safeErrorMessage(err)
      run.emit(mastraChunk('error', scope.runId, { message: failure }))
    }
  } finally {
    reader.cancel().catch(() => {})
  }
  const stopped = run.signal.aborted && failure === undefined
  // Ended by its instance shutting down: its client sees the error a failed run ends with.
  if (stopped && run.shutDown) run.emit(mastraChunk('error', scope.runId, { message: run.stoppedOutcome().error!.message }))
  if (pump.turn && recorder.hasContent) await pump.turn.saveReply(recorder.message, { aborted: stopped }).catch(pump.report)
  const ended = await outcome(pump, { pending, failure, stopped, finishReason }).catch((err: unknown): RunOutcome => {
    pump.report(err)
    return { status: 'failed', finishReason: 'error', error: { message: 'The agent run failed' } }
  })
  // Not awaited: the final write waits for the store's next group commit, and this function's
  // frame would keep the SDK's result (every step, message and chunk) alive until then.
  run.finish(ended).catch(pump.report)
}

async function outcome(
  pump: StreamPump,
  ended: { pending: PendingToolApproval[]; failure: string | undefined; stopped: boolean; finishReason: string | undefined },
): Promise<RunOutcome> {
  if (ended.failure !== undefined) return { status: 'failed', finishReason: 'error', error: { message: ended.failure } }
  if (ended.stopped) return pump.run.stoppedOutcome()
  if (ended.pending.length === 0) return { status: 'success', finishReason: ended.finishReason }
  const { messages } = await pump.result.response
  const state: SuspendedCall = { ...pump.suspend(messages), reply: pump.recorder.message }
  return { status: 'suspended', finishReason: 'suspended', pendingApprovals: ended.pending, state: state as unknown as Record<string, unknown> }
}

/** Mastra's `tool-output-denied` also names the arguments and the answer. */
function deniedDetails(toolCallId: string, answered: readonly PendingToolApproval[] | undefined): Record<string, unknown> {
  const call = answered?.find((c) => c.toolCallId === toolCallId)
  if (!call) return {}
  const reason = call.decision?.reason
  return { args: call.args, approval: { id: call.toolCallId, approved: false, ...(reason !== undefined ? { reason } : {}) } }
}
