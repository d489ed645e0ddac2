import type { ToolSet, UIMessage } from 'ai'
import { notFound } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import type { Store, Thread } from '../storage/types.js'
import { fromUIMessage, replayableHistory, toUIMessages } from './message-format.js'
import { createOrGetThread, newThread } from './threads.js'
import { WorkingMemory, type WorkingMemoryOptions } from './working-memory.js'

export interface MemoryOptions {
  /** Where threads live; without one, the store of the runtime calling the agent. */
  store?: Store
  /** How many stored messages each turn replays to the model (default 10; 0 for none). */
  lastMessages?: number
  workingMemory?: WorkingMemoryOptions
}

/** What one agent turn needs from memory, and where it hands the new messages back. */
export interface MemoryTurn {
  /** The last N stored messages, oldest first. */
  history: UIMessage[]
  /** Working memory content plus how to update it; undefined when working memory is off. */
  system: string | undefined
  /** `{ updateWorkingMemory }` when working memory is on, else `{}`. */
  tools: ToolSet
  /** Stores the caller's new messages (upsert by id). */
  saveInput(messages: UIMessage[]): Promise<void>
  /** Stores the assistant reply; an aborted one is marked `metadata.aborted: true`. */
  saveReply(message: UIMessage, opts?: { aborted?: boolean }): Promise<void>
}

/**
 * Conversation memory for an agent: message history per thread, plus optional working
 * memory the model keeps up to date itself.
 *
 * @example
 * new Agent({ id: 'support', instructions, model,
 *   memory: new Memory({ lastMessages: 20, workingMemory: { scope: 'resource', template: '# User\n- Name:' } }) })
 */
export class Memory {
  /** The store given to the constructor; without one, each runtime the agent serves in uses its own. */
  readonly store: Store | undefined
  readonly lastMessages: number
  readonly workingMemory: WorkingMemory

  constructor(options: MemoryOptions = {}) {
    this.store = options.store
    this.lastMessages = Math.max(0, Math.floor(options.lastMessages ?? 10))
    this.workingMemory = new WorkingMemory(options.workingMemory)
  }

  /** The store this memory works on: its own, else `fallback` (the runtime's). */
  storeOr(fallback: Store | undefined): Store {
    const store = this.store ?? fallback
    if (!store) throw new Error('Memory has no store: pass { store }, or call its agent through a runtime')
    return store
  }

  /** The thread, created for `resourceId` on first use; 404 when another resource owns it. */
  async ensureThread(store: Store, threadId: string, resourceId: string): Promise<Thread> {
    const threads = store.threads
    // A concurrent first turn may win the insert; its row is then the one to check.
    const thread = (await threads.getThread(threadId)) ?? (await createOrGetThread(threads, newThread(threadId, resourceId)))
    if (!thread || thread.resourceId !== resourceId) throw notFound('Thread not found')
    return thread
  }

  /**
   * Creates the thread on first use; throws 404 (NOT_FOUND, "Thread not found") if it belongs
   * to another resource. `store` is the runtime's, used when this memory has none of its own.
   */
  async openTurn(args: { threadId: string; resourceId: string; context: RequestContext; store?: Store }): Promise<MemoryTurn> {
    const { threadId, resourceId } = args
    const store = this.storeOr(args.store)
    await this.ensureThread(store, threadId, resourceId)
    const stored = this.lastMessages > 0 ? await store.threads.lastMessages(threadId, this.lastMessages) : []
    const target = { threadId, resourceId }

    let system: string | undefined
    let tools: ToolSet = {}
    if (this.workingMemory.enabled) {
      system = this.workingMemory.instructions(await this.workingMemory.read(store.workingMemory, target))
      tools = { updateWorkingMemory: this.workingMemory.tool(store.workingMemory, target) }
    }

    return {
      history: replayableHistory(toUIMessages(stored)),
      system,
      tools,
      saveInput: async (messages) => {
        if (messages.length === 0) return
        const createdAt = new Date()
        await store.threads.saveMessages(messages.map((m) => fromUIMessage(m, { threadId, resourceId, createdAt })))
      },
      saveReply: async (message, opts) => {
        const metadata = typeof message.metadata === 'object' && message.metadata !== null ? message.metadata : {}
        const reply = opts?.aborted ? { ...message, metadata: { ...metadata, aborted: true } } : message
        await store.threads.saveMessages([fromUIMessage(reply, { threadId, resourceId })])
      },
    }
  }
}
