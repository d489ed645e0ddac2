import type { WorkflowRunStore } from '../workflows/run-store.js'

/** A conversation thread owned by one resource (a user, an org…). */
export interface Thread {
  id: string
  resourceId: string
  title: string | null
  metadata: Record<string, unknown>
  createdAt: Date
  updatedAt: Date
}

/** Mastra's stored message shape (format 2: UI-message parts). */
export interface StoredMessage {
  id: string
  threadId: string
  resourceId: string
  role: 'user' | 'assistant' | 'system'
  content: { format: 2; parts: unknown[]; content?: string; metadata?: Record<string, unknown> }
  createdAt: Date
}

export interface Page<T> {
  items: T[]
  total: number
}

export interface ListThreadsQuery {
  resourceId?: string
  page: number
  perPage: number
  orderBy: 'createdAt' | 'updatedAt'
  direction: 'ASC' | 'DESC'
}

/** Threads and their messages. */
export interface ThreadStore {
  getThread(id: string): Promise<Thread | null>
  listThreads(query: ListThreadsQuery): Promise<Page<Thread>>
  /** Inserts, or replaces title/metadata/updatedAt of an existing thread. */
  saveThread(thread: Thread): Promise<Thread>
  deleteThread(id: string): Promise<void>
  /** Oldest first. */
  listMessages(query: { threadId: string; page: number; perPage: number }): Promise<Page<StoredMessage>>
  /** The newest `limit` messages, returned oldest first. */
  lastMessages(threadId: string, limit: number): Promise<StoredMessage[]>
  getMessages(ids: string[]): Promise<StoredMessage[]>
  /** Upserts by id and touches each thread's updatedAt. */
  saveMessages(messages: StoredMessage[]): Promise<StoredMessage[]>
  deleteMessages(ids: string[]): Promise<number>
}

export type WorkingMemoryScope = 'thread' | 'resource'

export interface WorkingMemoryStore {
  getWorkingMemory(scope: WorkingMemoryScope, id: string): Promise<string | null>
  setWorkingMemory(scope: WorkingMemoryScope, id: string, value: string): Promise<void>
}

/** The whole persistence surface, split by domain so each can live elsewhere. */
export interface Store {
  threads: ThreadStore
  workingMemory: WorkingMemoryStore
  workflowRuns: WorkflowRunStore
  close(): Promise<void>
}
