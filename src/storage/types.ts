import type { AgentRunStore } from './agent-runs.js'
import type { WorkflowRunStore } from './workflow-runs.js'

/** A conversation thread owned by one resource (a user, an org…). */
export interface Thread {
  id: string
  resourceId: string
  title: string | null
  metadata: Record<string, unknown>
  createdAt: Date
  updatedAt: Date
}

export type MessageRole = 'user' | 'assistant' | 'system'

/** Mastra's format-2 message content: AI SDK UI-message parts plus a plain-text copy. */
export interface StoredMessageContent {
  format: 2
  parts: unknown[]
  content?: string
  metadata?: Record<string, unknown>
}

/** Mastra's stored message shape, as the memory routes return it. */
export interface StoredMessage {
  id: string
  content: StoredMessageContent
  role: MessageRole
  createdAt: Date
  threadId: string
  resourceId: string
}

export interface Page<T> {
  items: T[]
  total: number
}

export interface ListMessagesQuery {
  threadId: string
  page: number
  perPage: number
  /** Only the thread of this resource; any owner when absent. */
  resourceId?: string
}

export interface ListThreadsQuery {
  /** Only this resource's threads; all threads when absent. */
  resourceId?: string
  page: number
  perPage: number
  orderBy: 'createdAt' | 'updatedAt'
  direction: 'ASC' | 'DESC'
}

export interface ThreadPatch {
  title?: string | null
  metadata?: Record<string, unknown>
}

/** A ranked lexical search over message text; see `searchTerms` for how `text` is read. */
export interface MessageSearchQuery {
  text: string
  /** Only messages of this resource's threads; every thread when absent. */
  resourceId?: string
  /** Only this thread's messages. */
  threadId?: string
  limit: number
}

/** One search result: the message, its thread's title and a relevance score (higher is better). */
export interface MessageSearchHit {
  message: StoredMessage
  threadTitle: string | null
  score: number
}

export interface CloneThreadArgs {
  sourceThreadId: string
  /** The new thread, inserted as given. */
  thread: Thread
  /** Copy only the newest N messages. */
  messageLimit?: number
}

/** Threads and their messages. */
export interface ThreadStore {
  getThread(id: string): Promise<Thread | null>
  listThreads(query: ListThreadsQuery): Promise<Page<Thread>>
  /** Inserts a new thread; false when the id is already taken (nothing changes then). */
  createThread(thread: Thread): Promise<boolean>
  /** Inserts, or replaces title/metadata/updatedAt of an existing thread (never its owner). */
  saveThread(thread: Thread): Promise<Thread>
  /** Applies the patch and touches updatedAt; null when the thread does not exist. */
  updateThread(id: string, patch: ThreadPatch): Promise<Thread | null>
  /** Deletes the thread, its messages and its thread-scoped working memory. */
  deleteThread(id: string): Promise<boolean>
  /**
   * Creates `thread` with copies (new ids) of the source's messages and of its thread-scoped
   * working memory, atomically. Throws NOT_FOUND for a missing source and CONFLICT for a taken id.
   */
  cloneThread(args: CloneThreadArgs): Promise<StoredMessage[]>
  /**
   * A page of the thread's messages, oldest first, with the thread's message count as `total`;
   * null when the thread does not exist or, with `resourceId`, belongs to another resource (one
   * read decides both, so a route needs no separate ownership query).
   */
  listMessages(query: ListMessagesQuery): Promise<Page<StoredMessage> | null>
  /** The newest `limit` messages, returned oldest first. */
  lastMessages(threadId: string, limit: number): Promise<StoredMessage[]>
  getMessages(ids: string[]): Promise<StoredMessage[]>
  /**
   * Creates the threads of `newThreads` that do not exist yet, upserts the messages by id and
   * touches each thread's updatedAt: all in one transaction, so a refused batch leaves nothing
   * behind, not even a thread it created. A thread of `newThreads` that exists by then is used
   * only when it has the same `resourceId`. Throws NOT_FOUND for a missing thread (or one of
   * `newThreads` another resource owns) and CONFLICT for an id used in another thread.
   */
  saveMessages(messages: StoredMessage[], newThreads?: Thread[]): Promise<StoredMessage[]>
  deleteMessages(ids: string[]): Promise<number>
  /**
   * Messages whose text holds every term of the query (as a word or a word's start), best
   * match first, newest first among equals. A query without terms finds nothing.
   */
  searchMessages(query: MessageSearchQuery): Promise<MessageSearchHit[]>
  /**
   * Moves the thread and its messages to `toResourceId` and touches updatedAt, in one step
   * that also checks the current owner when `fromResourceId` is given; null when the thread
   * is missing or has another owner.
   */
  transferThread(id: string, toResourceId: string, fromResourceId?: string): Promise<Thread | null>
}

export type WorkingMemoryScope = 'thread' | 'resource'

/** Working memory text, keyed by scope and the thread or resource id. */
export interface WorkingMemoryStore {
  getWorkingMemory(scope: WorkingMemoryScope, id: string): Promise<string | null>
  setWorkingMemory(scope: WorkingMemoryScope, id: string, value: string): Promise<void>
  /** Atomic read-modify-write, so concurrent updates never lose each other's changes. */
  updateWorkingMemory(scope: WorkingMemoryScope, id: string, update: (current: string | null) => string): Promise<string>
}

/** The whole persistence surface, split by domain so each can live elsewhere. */
export interface Store {
  threads: ThreadStore
  workingMemory: WorkingMemoryStore
  workflowRuns: WorkflowRunStore
  /** Agent runs (generate, stream, chat) and their event logs. */
  agentRuns: AgentRunStore
  close(): Promise<void>
}
