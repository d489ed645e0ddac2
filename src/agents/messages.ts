import { newId } from '../core/ids.js'
import type { ModelMessage, ToolSet, UIMessage } from 'ai'
import { z } from 'zod'
import { HttpError, invalid } from '../core/errors.js'
import { parseOrThrow } from '../core/validate.js'
import { loadAiSdk, loadedAiSdk } from './ai-sdk.js'
import { modelToUIMessages } from './model-to-ui-message.js'
import { isRecord } from '../core/is-record.js'

/** What `messages` may be: a string, or a list of strings, AI SDK model messages or UI messages. */
export type MessageListInput = string | ReadonlyArray<string | ModelMessage | UIMessage>

/** One caller message, kept in the form it arrived in so nothing is converted twice. */
export type CallerMessage = { kind: 'model'; message: ModelMessage } | { kind: 'ui'; message: UIMessage }

type ModelMessageSchemas = Record<'system' | 'user' | 'assistant' | 'tool', z.ZodType>

let sdkSchemas: ModelMessageSchemas | undefined

/** The installed SDK's own message schemas; agents load the SDK before parsing a request. */
function modelMessageSchemas(): ModelMessageSchemas {
  if (sdkSchemas) return sdkSchemas
  const ai = loadedAiSdk()
  if (!ai) throw new Error('Messages are parsed once the AI SDK is loaded: await loadAiSdk() first')
  sdkSchemas = {
    system: ai.systemModelMessageSchema,
    user: ai.userModelMessageSchema,
    assistant: ai.assistantModelMessageSchema,
    tool: ai.toolModelMessageSchema,
  }
  return sdkSchemas
}

function isRole(role: unknown): role is keyof ModelMessageSchemas {
  return role === 'system' || role === 'user' || role === 'assistant' || role === 'tool'
}

// Parts are checked deeply by convertToModelMessages; here only the envelope.
const uiMessageSchema = z.looseObject({
  id: z.string().optional(),
  role: z.enum(['system', 'user', 'assistant']),
  parts: z.array(z.looseObject({ type: z.string() })),
})


function parseUIMessage(value: unknown, field: string): UIMessage {
  const message = parseOrThrow(uiMessageSchema, value, 'messages', field) as UIMessage
  return message.id ? message : { ...message, id: newId() }
}

function parseOne(value: unknown, index: number): CallerMessage {
  const field = `messages.${index}`
  if (typeof value === 'string') {
    if (!value) throw invalid(field, 'must not be empty')
    return { kind: 'model', message: { role: 'user', content: value } }
  }
  if (!isRecord(value)) throw invalid(field, 'must be a string or a message object')
  if (Array.isArray(value.parts)) return { kind: 'ui', message: parseUIMessage(value, field) }
  if (!isRole(value.role)) throw invalid(`${field}.role`, 'must be one of system, user, assistant, tool')
  return { kind: 'model', message: parseOrThrow(modelMessageSchemas()[value.role], value, 'messages', field) as ModelMessage }
}

/**
 * Validates `messages` as the agent routes accept it; every problem is a 400 naming the field.
 *
 * @example parseMessages('hi') // [{ kind: 'model', message: { role: 'user', content: 'hi' } }]
 */
export function parseMessages(input: unknown): CallerMessage[] {
  if (typeof input === 'string') {
    if (!input) throw invalid('messages', 'must not be empty')
    return [{ kind: 'model', message: { role: 'user', content: input } }]
  }
  if (!Array.isArray(input) || input.length === 0) throw invalid('messages', 'must be a non-empty string or array')
  const out = new Array<CallerMessage>(input.length)
  for (let i = 0; i < input.length; i++) out[i] = parseOne(input[i], i)
  return out
}

/** `useChat` sends UI messages only; each gets an id when it has none. */
export function parseUIMessages(input: unknown): UIMessage[] {
  if (!Array.isArray(input) || input.length === 0) throw invalid('messages', 'must be a non-empty array of UI messages')
  return input.map((value, i) => parseUIMessage(value, `messages.${i}`))
}

/** UI messages → model messages; a part the AI SDK cannot convert is the caller's 400. */
export async function uiToModelMessages(messages: UIMessage[], tools: ToolSet | undefined): Promise<ModelMessage[]> {
  const { convertToModelMessages } = await loadAiSdk()
  try {
    return await convertToModelMessages(messages, { tools, ignoreIncompleteToolCalls: true })
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'cannot be converted'
    throw new HttpError(400, 'VALIDATION_ERROR', `Invalid messages: ${detail}`, [{ field: 'messages', message: detail }])
  }
}

/** The caller's messages as the model gets them, converting runs of UI messages together. */
export async function callerToModelMessages(messages: CallerMessage[], tools: ToolSet | undefined): Promise<ModelMessage[]> {
  if (messages.every((m) => m.kind === 'model')) return messages.map((m) => m.message as ModelMessage)
  const out: ModelMessage[] = []
  let run: UIMessage[] = []
  const flush = async () => {
    // A loop, not push(...list): spreading a long list into arguments overflows the stack.
    if (run.length > 0) for (const message of await uiToModelMessages(run, tools)) out.push(message)
    run = []
  }
  for (const m of messages) {
    if (m.kind === 'ui') run.push(m.message)
    else {
      await flush()
      out.push(m.message)
    }
  }
  await flush()
  return out
}

/** The caller's messages as UI messages with ids, the form memory stores. */
export function callerToUIMessages(messages: CallerMessage[]): UIMessage[] {
  const out: UIMessage[] = []
  let run: ModelMessage[] = []
  for (const m of messages) {
    if (m.kind === 'model') {
      run.push(m.message)
      continue
    }
    if (run.length > 0) for (const message of modelToUIMessages(run)) out.push(message)
    run = []
    out.push(m.message)
  }
  if (run.length > 0) for (const message of modelToUIMessages(run)) out.push(message)
  return out
}

/**
 * `useChat` resends the whole conversation each turn while memory holds the last N messages.
 * The model sees the stored history up to the newest message the client also sent, then
 * whatever the client sent after it; only those later messages are new and get saved.
 */
export function mergeChatHistory(history: UIMessage[], incoming: UIMessage[]): { conversation: UIMessage[]; fresh: UIMessage[] } {
  if (history.length === 0) return { conversation: incoming, fresh: incoming }
  const storedAt = new Map<string, number>()
  for (let i = 0; i < history.length; i++) storedAt.set(history[i].id, i)
  let cut = -1
  for (let i = incoming.length - 1; i >= 0; i--) {
    if (storedAt.has(incoming[i].id)) {
      cut = i
      break
    }
  }
  if (cut === -1) return { conversation: [...history, ...incoming], fresh: incoming }
  const fresh = incoming.slice(cut + 1)
  const kept = history.slice(0, storedAt.get(incoming[cut].id)! + 1)
  return { conversation: [...kept, ...fresh], fresh }
}
