import type { GenerateTextResult, StepResult, ToolSet } from 'ai'
import type { PendingToolApproval } from '../storage/agent-runs.js'
import type { AgentGenerateResult } from './agent-types.js'
import { APPROVAL_RESUME_SCHEMA } from './approvals.js'
import { mastraChunk, mastraStep, responseMetadata, toolCallChunk, toolResultChunk, type MastraChunk } from './mastra-chunks.js'

/** What `POST /agents/:agentId/generate` answers for a finished run, in Mastra's shape. */
export function generateResult(runId: string, result: GenerateTextResult<ToolSet, any>, extra?: { object: unknown }): AgentGenerateResult {
  const steps = result.steps.map((step) => mastraStep(step, runId))
  return {
    text: result.text,
    // Absent unless asked for (undefined is left out of the JSON); not spread, which costs µs on every call.
    object: extra?.object,
    toolCalls: steps.flatMap((step) => step.toolCalls),
    toolResults: steps.flatMap((step) => step.toolResults),
    finishReason: result.finishReason,
    usage: result.totalUsage,
    steps,
    runId,
    response: responseMetadata(result.response),
  }
}

/** A generate that stopped at a tool call needing approval, as Mastra answers it (`finishReason: "suspended"`). */
export function suspendedGenerateResult(
  run: { runId: string },
  result: GenerateTextResult<ToolSet, any>,
  pending: readonly PendingToolApproval[],
): AgentGenerateResult {
  const first = pending[0]
  const suspendPayload = { toolCallId: first.toolCallId, toolName: first.toolName, args: first.args, resumeSchema: APPROVAL_RESUME_SCHEMA }
  return {
    ...generateResult(run.runId, result),
    text: '',
    toolCalls: pending.map((call) => toolCallChunk({ toolCallId: call.toolCallId, toolName: call.toolName, input: call.args }, run.runId)),
    finishReason: 'suspended',
    suspendPayload,
    resumeSchema: APPROVAL_RESUME_SCHEMA,
  }
}

/** The chunks a generate's step leaves in the run's log: its tool calls and results, then `step-finish`. */
export function generateStepChunks(step: StepResult<ToolSet>, runId: string, messageId: string): MastraChunk[] {
  const chunks: MastraChunk[] = []
  for (const call of step.toolCalls) chunks.push(toolCallChunk(call, runId))
  for (const result of step.toolResults) chunks.push(toolResultChunk(result, runId))
  if (step.text) chunks.push(mastraChunk('text', runId, { text: step.text }))
  chunks.push(
    mastraChunk('step-finish', runId, {
      messageId,
      stepResult: { reason: step.finishReason },
      metadata: responseMetadata(step.response),
      output: { usage: step.usage },
    }),
  )
  return chunks
}
