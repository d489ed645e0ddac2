import { newId } from '../core/ids.js'
import type { ModelMessage, UIMessage } from 'ai'

type Part = UIMessage['parts'][number]
type ToolPart = Extract<Part, { toolCallId: string }>

/** Data in a model file part as a URL a UI part can hold: remote URLs stay, bytes become data URLs. */
function toUrl(data: unknown, mediaType: string): string {
  if (data instanceof URL) return data.href
  if (typeof data === 'string') {
    return /^(https?:|data:)/i.test(data) ? data : `data:${mediaType};base64,${data}`
  }
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
    return `data:${mediaType};base64,${Buffer.from(bytes).toString('base64')}`
  }
  return ''
}

function uiPartsOf(content: ModelMessage['content']): Part[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }]
  const parts: Part[] = []
  for (const part of content) {
    switch (part.type) {
      case 'text':
        parts.push({ type: 'text', text: part.text })
        break
      case 'image': {
        const mediaType = part.mediaType ?? 'image/*'
        parts.push({ type: 'file', mediaType, url: toUrl(part.image, mediaType) })
        break
      }
      case 'file':
        parts.push({
          type: 'file',
          mediaType: part.mediaType,
          url: toUrl(part.data, part.mediaType),
          ...(part.filename ? { filename: part.filename } : {}),
        })
        break
      case 'reasoning':
        parts.push({ type: 'reasoning', text: part.text })
        break
      case 'tool-call':
        parts.push({
          type: `tool-${part.toolName}`,
          toolCallId: part.toolCallId,
          state: 'input-available',
          input: part.input,
        } as ToolPart)
        break
    }
  }
  return parts
}

/** Puts a tool message's results onto the tool parts of the assistant message that called them. */
function applyToolResults(target: UIMessage | undefined, content: ModelMessage['content']): void {
  if (!target || typeof content === 'string') return
  for (const result of content) {
    if (result.type !== 'tool-result') continue
    const index = target.parts.findIndex((p) => 'toolCallId' in p && p.toolCallId === result.toolCallId)
    if (index === -1) continue
    const call = target.parts[index] as ToolPart
    const output = result.output
    const failed = output.type === 'error-text' || output.type === 'error-json'
    const value = 'value' in output ? output.value : undefined
    target.parts[index] = (
      failed
        ? { ...call, state: 'output-error', errorText: typeof value === 'string' ? value : JSON.stringify(value) }
        : output.type === 'execution-denied'
          ? { ...call, state: 'output-error', errorText: output.reason ?? 'Tool execution was denied' }
          : { ...call, state: 'output-available', output: value }
    ) as ToolPart
  }
}

/**
 * AI SDK model messages as UI messages with fresh ids, for memory to store what a caller sent.
 * Tool messages fold into the assistant message before them, as UI messages keep them.
 */
export function modelToUIMessages(messages: readonly ModelMessage[]): UIMessage[] {
  const out: UIMessage[] = []
  for (const message of messages) {
    if (message.role === 'tool') {
      const last = out[out.length - 1]
      applyToolResults(last?.role === 'assistant' ? last : undefined, message.content)
      continue
    }
    out.push({ id: newId(), role: message.role, parts: uiPartsOf(message.content) })
  }
  return out
}
