import { newId } from '../core/ids.js'
import type { UIMessage } from 'ai'
import type { StoredMessage, StoredMessageContent } from '../storage/types.js'
import { isRecord } from '../core/is-record.js'

type Part = UIMessage['parts'][number]


/** The text parts joined, what Mastra keeps as `content.content` for plain-text readers. */
export function textOfParts(parts: readonly unknown[]): string {
  let text = ''
  for (const part of parts) {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') {
      text = text ? `${text}\n${part.text}` : part.text
    }
  }
  return text
}

/** Builds format-2 content from UI parts, with the plain-text copy when there is text. */
export function contentFromParts(parts: unknown[], metadata?: Record<string, unknown>): StoredMessageContent {
  const content: StoredMessageContent = { format: 2, parts }
  const text = textOfParts(parts)
  if (text) content.content = text
  if (metadata && Object.keys(metadata).length > 0) content.metadata = metadata
  return content
}

/**
 * Accepts the content shapes Mastra clients send to save-messages: a string, a format-2
 * object, or an array of parts; `parts` beside the content wins when both are present.
 */
export function contentFromInput(input: {
  content?: unknown
  parts?: unknown[]
  metadata?: Record<string, unknown>
}): StoredMessageContent {
  const { content, parts, metadata } = input
  if (parts) return contentFromParts(parts, metadata)
  if (typeof content === 'string') return contentFromParts([{ type: 'text', text: content }], metadata)
  if (Array.isArray(content)) return contentFromParts(content, metadata)
  if (isRecord(content) && Array.isArray(content.parts)) {
    const merged = isRecord(content.metadata) ? { ...content.metadata, ...metadata } : metadata
    const stored = contentFromParts(content.parts, merged)
    if (typeof content.content === 'string' && content.content) stored.content = content.content
    return stored
  }
  return contentFromParts([], metadata)
}

/** A stored (Mastra format-2) message as an AI SDK `UIMessage`. */
export function toUIMessage(message: StoredMessage): UIMessage {
  const ui: UIMessage = { id: message.id, role: message.role, parts: message.content.parts as Part[] }
  if (message.content.metadata) ui.metadata = message.content.metadata
  return ui
}

export function toUIMessages(messages: readonly StoredMessage[]): UIMessage[] {
  const out = new Array<UIMessage>(messages.length)
  for (let i = 0; i < messages.length; i++) out[i] = toUIMessage(messages[i])
  return out
}

/** An AI SDK `UIMessage` as a stored message of a thread; a missing id gets a fresh one. */
export function fromUIMessage(
  message: UIMessage,
  target: { threadId: string; resourceId: string; createdAt?: Date },
): StoredMessage {
  const metadata = isRecord(message.metadata) ? message.metadata : undefined
  return {
    id: message.id || newId(),
    content: contentFromParts([...message.parts], metadata),
    role: message.role,
    createdAt: target.createdAt ?? new Date(),
    threadId: target.threadId,
    resourceId: target.resourceId,
  }
}

const SETTLED_TOOL_STATES = new Set(['output-available', 'output-error', 'output-denied', 'approval-responded'])

function isUnsettledToolPart(part: Part): boolean {
  const isTool = part.type === 'dynamic-tool' || part.type.startsWith('tool-')
  return isTool && !SETTLED_TOOL_STATES.has((part as { state?: string }).state ?? '')
}

/**
 * History a model can be given again: tool calls that never got a result (a reply aborted
 * mid-tool) are dropped, since providers reject a call without its result, and messages
 * left with no parts go too.
 */
export function replayableHistory(messages: readonly UIMessage[]): UIMessage[] {
  const out: UIMessage[] = []
  for (const message of messages) {
    const parts = message.parts.some(isUnsettledToolPart)
      ? message.parts.filter((part) => !isUnsettledToolPart(part))
      : message.parts
    if (parts.length > 0) out.push(parts === message.parts ? message : { ...message, parts })
  }
  return out
}
