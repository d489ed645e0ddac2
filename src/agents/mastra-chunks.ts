import type { FinishReason, LanguageModelResponseMetadata, LanguageModelUsage, StepResult, TextStreamPart, ToolSet } from 'ai'
import { APPROVAL_RESUME_SCHEMA } from './approvals.js'
import { safeErrorMessage, toolErrorMessage } from './upstream-error.js'

/** One frame of `POST /agents/:agentId/stream`, shaped like Mastra's agent stream. */
export interface MastraChunk {
  type: string
  runId: string
  from: 'AGENT'
  payload: Record<string, unknown>
}

/** One model call of a generate, as Mastra reports it in `steps`. */
export interface AgentStep {
  text: string
  reasoningText: string | undefined
  toolCalls: MastraChunk[]
  toolResults: MastraChunk[]
  finishReason: FinishReason
  usage: LanguageModelUsage
}

/** The ids every chunk of one run carries. */
export interface ChunkScope {
  runId: string
  agentId: string
  messageId: string
}

type ToolCallLike = { toolCallId: string; toolName: string; input: unknown }
type ToolResultLike = ToolCallLike & { output: unknown }

export function mastraChunk(type: string, runId: string, payload: Record<string, unknown>): MastraChunk {
  return { type, runId, from: 'AGENT', payload }
}

/** A tool call as Mastra reports it, in streams and in generate's `toolCalls`. */
export function toolCallChunk(call: ToolCallLike, runId: string): MastraChunk {
  return mastraChunk('tool-call', runId, { toolCallId: call.toolCallId, toolName: call.toolName, args: call.input })
}

/** A tool result as Mastra reports it, in streams and in generate's `toolResults`. */
export function toolResultChunk(result: ToolResultLike, runId: string): MastraChunk {
  return mastraChunk('tool-result', runId, {
    toolCallId: result.toolCallId,
    toolName: result.toolName,
    args: result.input,
    result: result.output,
  })
}

/** One step of generate's `steps`, its tool calls and results as Mastra chunks. */
export function mastraStep(step: StepResult<ToolSet>, runId: string): AgentStep {
  return {
    text: step.text,
    reasoningText: step.reasoningText,
    toolCalls: step.toolCalls.map((call) => toolCallChunk(call, runId)),
    toolResults: step.toolResults.map((result) => toolResultChunk(result, runId)),
    finishReason: step.finishReason,
    usage: step.usage,
  }
}

export function responseMetadata(response: LanguageModelResponseMetadata): { id: string; modelId: string; timestamp: Date } {
  return { id: response.id, modelId: response.modelId, timestamp: response.timestamp }
}

/**
 * Maps one AI SDK `fullStream` part to Mastra's chunk; undefined for parts Mastra has no
 * chunk for (raw provider data).
 */
export function toMastraChunk(part: TextStreamPart<ToolSet>, scope: ChunkScope): MastraChunk | undefined {
  const { runId } = scope
  switch (part.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return mastraChunk(part.type, runId, { id: part.id, text: part.text })
    case 'text-start':
    case 'text-end':
    case 'reasoning-start':
    case 'reasoning-end':
      return mastraChunk(part.type, runId, { id: part.id })
    case 'start':
      return mastraChunk('start', runId, { id: scope.agentId, messageId: scope.messageId })
    case 'start-step':
      return mastraChunk('step-start', runId, { messageId: scope.messageId, warnings: part.warnings })
    case 'tool-input-start':
      return mastraChunk('tool-call-input-streaming-start', runId, { toolCallId: part.id, toolName: part.toolName })
    case 'tool-input-delta':
      return mastraChunk('tool-call-delta', runId, { toolCallId: part.id, argsTextDelta: part.delta })
    case 'tool-input-end':
      return mastraChunk('tool-call-input-streaming-end', runId, { toolCallId: part.id })
    case 'tool-call':
      return toolCallChunk(part, runId)
    case 'tool-result':
      // Streaming tools send preliminary outputs before the final result.
      return part.preliminary
        ? mastraChunk('tool-output', runId, { toolCallId: part.toolCallId, toolName: part.toolName, output: part.output })
        : toolResultChunk(part, runId)
    case 'tool-error':
      return mastraChunk('tool-error', runId, {
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        args: part.input,
        error: toolErrorMessage(part.error),
      })
    case 'tool-output-denied':
      return mastraChunk('tool-output-denied', runId, { toolCallId: part.toolCallId, toolName: part.toolName })
    case 'tool-approval-request':
      return mastraChunk('tool-call-approval', runId, {
        approvalId: part.approvalId,
        toolCallId: part.toolCall.toolCallId,
        toolName: part.toolCall.toolName,
        args: part.toolCall.input,
        resumeSchema: APPROVAL_RESUME_SCHEMA,
      })
    case 'source': {
      const { type: _type, ...source } = part
      return mastraChunk('source', runId, source)
    }
    case 'file':
      return mastraChunk('file', runId, { mediaType: part.file.mediaType, base64: part.file.base64 })
    case 'finish-step':
      return mastraChunk('step-finish', runId, {
        messageId: scope.messageId,
        stepResult: { reason: part.finishReason },
        metadata: responseMetadata(part.response),
        output: { usage: part.usage },
      })
    case 'finish':
      return mastraChunk('finish', runId, {
        messageId: scope.messageId,
        stepResult: { reason: part.finishReason },
        output: { usage: part.totalUsage },
      })
    case 'abort':
      return mastraChunk('abort', runId, {})
    case 'error':
      return mastraChunk('error', runId, { message: safeErrorMessage(part.error) })
    default:
      return undefined
  }
}
