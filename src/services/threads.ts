import { newId } from '../core/ids.js'
import { conflict, HttpError, invalid, notFound } from '../core/errors.js'
import { assertMessageCount, type RuntimeLimits } from '../core/limits.js'
import { newThread } from '../memory/threads.js'
import type { WorkingMemory } from '../memory/working-memory.js'
import { searchTerms } from '../storage/search-terms.js'
import type { ListThreadsQuery, MessageSearchHit, Page, StoredMessage, Store, Thread, ThreadPatch } from '../storage/types.js'

/** Most results one search returns. */
export const MAX_SEARCH_RESULTS = 100

/** Where a request's threads live: an agent's memory, or the runtime's store. */
export interface ThreadSpace {
  store: Store
  workingMemory: WorkingMemory
}

/**
 * Who asks and in which memory: `resourceId` is the resource an authenticated caller is
 * scoped to (undefined: unscoped), `agentId` picks that agent's memory (404 when unknown).
 */
export interface ThreadCaller {
  resourceId: string | undefined
  agentId?: string
}

/** A message to save; its owner may come from the caller's scope instead. */
export type MessageToSave = Omit<StoredMessage, 'resourceId'> & { resourceId?: string }

/**
 * Threads, messages and working memory as the memory routes serve them. Every rule about
 * who may see what lives here: a scoped caller sees only its resource's threads, and
 * another resource's thread or message answers exactly like a missing one.
 */
export class ThreadService {
  readonly #spaceOf: (agentId: string | undefined) => ThreadSpace
  readonly #limits: RuntimeLimits

  constructor(spaceOf: (agentId: string | undefined) => ThreadSpace, limits: RuntimeLimits) {
    this.#spaceOf = spaceOf
    this.#limits = limits
  }

  /** The caller's threads; an unscoped caller may filter by `resourceId`. */
  list(caller: ThreadCaller, query: ListThreadsQuery): Promise<Page<Thread>> {
    const { store } = this.#spaceOf(caller.agentId)
    return store.threads.listThreads({ ...query, resourceId: caller.resourceId ?? query.resourceId })
  }

  /** A new thread for the caller's resource (or `resourceId` when unscoped); 409 when the id is taken. */
  async create(
    caller: ThreadCaller,
    input: { threadId?: string; resourceId?: string; title?: string | null; metadata?: Record<string, unknown> },
  ): Promise<Thread> {
    const { store } = this.#spaceOf(caller.agentId)
    const owner = caller.resourceId ?? input.resourceId
    if (owner === undefined) throw invalid('resourceId', 'Required')
    const thread = newThread(input.threadId ?? newId(), owner, input)
    if (!(await store.threads.createThread(thread))) throw conflict(`Thread ${thread.id} already exists`)
    return thread
  }

  async get(caller: ThreadCaller, threadId: string): Promise<Thread> {
    return this.#visible(this.#spaceOf(caller.agentId).store, threadId, caller.resourceId)
  }

  async update(caller: ThreadCaller, threadId: string, patch: ThreadPatch): Promise<Thread> {
    const { store } = this.#spaceOf(caller.agentId)
    await this.#visible(store, threadId, caller.resourceId)
    const updated = await store.threads.updateThread(threadId, patch)
    if (!updated) throw notFound('Thread not found')
    return updated
  }

  async delete(caller: ThreadCaller, threadId: string): Promise<void> {
    const { store } = this.#spaceOf(caller.agentId)
    await this.#visible(store, threadId, caller.resourceId)
    await store.threads.deleteThread(threadId)
  }

  /** A page of the thread's messages, oldest first. */
  async listMessages(caller: ThreadCaller, threadId: string, page: { page: number; perPage: number }): Promise<Page<StoredMessage>> {
    const { store } = this.#spaceOf(caller.agentId)
    // The store checks the owner in the same read as the count.
    const found = await store.threads.listMessages({ threadId, ...page, resourceId: caller.resourceId })
    if (!found) throw notFound('Thread not found')
    return found
  }

  /**
   * Upserts messages by id. A missing thread is created for the message's owner, as Mastra
   * allows saving first: in the store's transaction with the messages, so a refused batch
   * leaves nothing behind.
   */
  async saveMessages(caller: ThreadCaller, input: MessageToSave[]): Promise<StoredMessage[]> {
    assertMessageCount(input.length, this.#limits.messagesPerCall)
    const { store } = this.#spaceOf(caller.agentId)
    const scope = caller.resourceId
    const messages = input.map((message, i): StoredMessage => {
      const owner = scope ?? message.resourceId
      if (owner === undefined) throw invalid(`messages.${i}.resourceId`, 'Required')
      return { ...message, resourceId: owner }
    })
    const missing: Thread[] = []
    const checked = new Set<string>()
    const now = new Date()
    for (const { threadId, resourceId } of messages) {
      if (checked.has(threadId)) continue
      checked.add(threadId)
      const thread = await store.threads.getThread(threadId)
      if (!thread) missing.push(newThread(threadId, resourceId, { at: now }))
      else if (!isVisible(thread, scope)) throw notFound('Thread not found')
    }
    return store.threads.saveMessages(messages, missing)
  }

  /** Deletes messages by id, all or none: 404 naming the first id that is missing or not the caller's. */
  async deleteMessages(caller: ThreadCaller, ids: string[]): Promise<number> {
    const { store } = this.#spaceOf(caller.agentId)
    const scope = caller.resourceId
    const byId = new Map((await store.threads.getMessages(ids)).map((m) => [m.id, m]))
    const owners = new Map<string, string | undefined>()
    for (const id of ids) {
      const message = byId.get(id)
      if (message && scope !== undefined && !owners.has(message.threadId)) {
        owners.set(message.threadId, (await store.threads.getThread(message.threadId))?.resourceId)
      }
      if (!message || (scope !== undefined && owners.get(message.threadId) !== scope)) throw notFound(`Message ${id} not found`)
    }
    return store.threads.deleteMessages(ids)
  }

  /** Copies a thread and its messages (the newest `messageLimit`) into a new thread. */
  async clone(
    caller: ThreadCaller,
    threadId: string,
    input: { newThreadId?: string; resourceId?: string; title?: string | null; metadata?: Record<string, unknown>; messageLimit?: number },
  ): Promise<{ thread: Thread; clonedMessages: StoredMessage[] }> {
    const { store } = this.#spaceOf(caller.agentId)
    const source = await this.#visible(store, threadId, caller.resourceId)
    const now = new Date()
    const title = input.title !== undefined ? input.title : source.title === null ? null : `Clone of ${source.title}`
    const clone = { sourceThreadId: source.id, clonedAt: now.toISOString() }
    const thread = newThread(input.newThreadId ?? newId(), caller.resourceId ?? input.resourceId ?? source.resourceId, {
      title,
      metadata: { ...(input.metadata ?? source.metadata), clone },
      at: now,
    })
    const clonedMessages = await store.threads.cloneThread({ sourceThreadId: source.id, thread, messageLimit: input.messageLimit })
    return { thread, clonedMessages }
  }

  /** The working memory a turn on this thread would see, and whether it is kept per thread or per resource. */
  async getWorkingMemory(caller: ThreadCaller, threadId: string): Promise<{ workingMemory: string | null; source: 'thread' | 'resource' }> {
    const { store, workingMemory } = this.#spaceOf(caller.agentId)
    const thread = await this.#visible(store, threadId, caller.resourceId)
    const target = { threadId: thread.id, resourceId: thread.resourceId }
    return { workingMemory: await workingMemory.read(store.workingMemory, target), source: workingMemory.scope }
  }

  /** Replaces the working memory; 400 for a value the memory's mode rejects. */
  async setWorkingMemory(caller: ThreadCaller, threadId: string, value: unknown): Promise<void> {
    const { store, workingMemory } = this.#spaceOf(caller.agentId)
    const thread = await this.#visible(store, threadId, caller.resourceId)
    await workingMemory.replace(store.workingMemory, { threadId: thread.id, resourceId: thread.resourceId }, value)
  }

  /**
   * A ranked lexical search over the caller's messages (an unscoped caller may name a
   * resource, or search all), optionally in one thread the caller can see. 400 when the
   * query holds no word.
   */
  async search(
    caller: ThreadCaller,
    input: { query: string; resourceId?: string; threadId?: string; limit: number },
  ): Promise<MessageSearchHit[]> {
    if (searchTerms(input.query).length === 0) throw invalid('searchQuery', 'must contain a word')
    const { store } = this.#spaceOf(caller.agentId)
    if (input.threadId !== undefined) await this.#visible(store, input.threadId, caller.resourceId)
    return store.threads.searchMessages({
      text: input.query,
      resourceId: caller.resourceId ?? input.resourceId,
      threadId: input.threadId,
      limit: Math.min(input.limit, MAX_SEARCH_RESULTS),
    })
  }

  /**
   * Gives a thread and its messages to `resourceId`. A scoped caller may only name its own
   * resource (anything else is 403); the owner is checked again in the store's one write.
   */
  async transfer(caller: ThreadCaller, threadId: string, resourceId: string): Promise<Thread> {
    const { store } = this.#spaceOf(caller.agentId)
    const scope = caller.resourceId
    await this.#visible(store, threadId, scope)
    if (scope !== undefined && resourceId !== scope) {
      throw new HttpError(403, 'FORBIDDEN', 'A thread can only be transferred to a resource the caller owns')
    }
    const moved = await store.threads.transferThread(threadId, resourceId, scope)
    if (!moved) throw notFound('Thread not found')
    return moved
  }

  async #visible(store: Store, threadId: string, scope: string | undefined): Promise<Thread> {
    const thread = await store.threads.getThread(threadId)
    if (!thread || !isVisible(thread, scope)) throw notFound('Thread not found')
    return thread
  }
}

/** A scoped caller sees only its own resource's threads. */
function isVisible(thread: Thread, scope: string | undefined): boolean {
  return scope === undefined || thread.resourceId === scope
}
