import type { StepResult, TextStreamPart, ToolSet, UIMessage } from 'ai'
import { toolErrorMessage } from './upstream-error.js'

type Part = UIMessage['parts'][number]
type TextLike = { type: 'text' | 'reasoning'; text: string }
type ToolCallLike = { toolCallId: string; toolName: string; input: unknown; dynamic?: boolean }

/**
 * Builds the assistant's reply as a UI message (text, reasoning, tool calls and results) from
 * what the model produced, so memory can save it — whole, or as far as it got on abort.
 */
export class ReplyRecorder {
  readonly message: UIMessage
  readonly #open = new Map<string, TextLike>()
  readonly #tools = new Map<string, number>()
  #content = 0

  /** Starts a reply, or goes on with one stored earlier (a run continued after an approval). */
  constructor(id: string, earlier?: UIMessage) {
    this.message = { id, role: 'assistant', parts: earlier ? structuredClone(earlier.parts) : [] }
    if (!earlier) return
    this.message.parts.forEach((part, index) => {
      if ('toolCallId' in part) this.#tools.set(part.toolCallId, index)
    })
    this.#content = this.message.parts.length
  }

  /** True once the model produced anything worth keeping. */
  get hasContent(): boolean {
    return this.#content > 0
  }

  /** Feeds one `streamText` part. */
  add(part: TextStreamPart<ToolSet>): void {
    switch (part.type) {
      case 'start-step':
        this.#push({ type: 'step-start' })
        break
      case 'text-delta':
      case 'reasoning-delta': {
        const kind = part.type === 'text-delta' ? 'text' : 'reasoning'
        const key = `${kind}:${part.id}`
        let open = this.#open.get(key)
        if (!open) {
          open = { type: kind, text: '' }
          this.#open.set(key, open)
          this.#push(open as Part)
          this.#content++
        }
        open.text += part.text
        break
      }
      case 'text-end':
      case 'reasoning-end':
        this.#open.delete(`${part.type === 'text-end' ? 'text' : 'reasoning'}:${part.id}`)
        break
      default:
        this.#addToolOrFile(part)
    }
  }

  /** Feeds the steps of a `generateText` call, finished or cut short. */
  addSteps(steps: ReadonlyArray<StepResult<ToolSet>>): void {
    for (const step of steps) {
      this.#push({ type: 'step-start' })
      for (const part of step.content) {
        if (part.type === 'text' || part.type === 'reasoning') {
          if (!part.text) continue
          this.#push({ type: part.type, text: part.text })
          this.#content++
        } else this.#addToolOrFile(part)
      }
    }
  }

  #addToolOrFile(part: { type: string } & Record<string, any>): void {
    switch (part.type) {
      case 'tool-call': {
        const call = part as unknown as ToolCallLike
        this.#tools.set(call.toolCallId, this.message.parts.length)
        this.#push(
          (call.dynamic
            ? { type: 'dynamic-tool', toolName: call.toolName, toolCallId: call.toolCallId, state: 'input-available', input: call.input }
            : { type: `tool-${call.toolName}`, toolCallId: call.toolCallId, state: 'input-available', input: call.input }) as Part,
        )
        this.#content++
        break
      }
      case 'tool-result':
        if (!part.preliminary) this.#settle(part.toolCallId, { state: 'output-available', output: part.output })
        break
      case 'tool-error':
        this.#settle(part.toolCallId, { state: 'output-error', errorText: toolErrorMessage(part.error) })
        break
      case 'tool-approval-request':
        this.#settle(part.toolCall.toolCallId, { state: 'approval-requested', approval: { id: part.approvalId } })
        break
      case 'tool-output-denied':
        this.#settle(part.toolCallId, { state: 'output-denied' })
        break
      case 'file':
        this.#push({ type: 'file', mediaType: part.file.mediaType, url: `data:${part.file.mediaType};base64,${part.file.base64}` })
        this.#content++
        break
    }
  }

  /** Marks the tool calls a person answered, before the run goes on with them. */
  answer(decisions: ReadonlyArray<{ toolCallId: string; approvalId: string; approved: boolean; reason?: string }>): void {
    for (const { toolCallId, approvalId, approved, reason } of decisions) {
      const approval = { id: approvalId, approved, ...(reason !== undefined ? { reason } : {}) }
      this.#settle(toolCallId, { state: 'approval-responded', approval })
    }
  }

  #settle(toolCallId: string, change: Record<string, unknown>): void {
    const index = this.#tools.get(toolCallId)
    if (index === undefined) return
    this.message.parts[index] = { ...this.message.parts[index], ...change } as Part
  }

  #push(part: Part): void {
    this.message.parts.push(part)
  }
}
