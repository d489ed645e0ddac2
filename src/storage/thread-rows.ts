import type { MessageRole, StoredMessage, Thread } from './types.js'

/** The columns of `threads` and `messages` every read and insert uses, in both stores. */
export const THREAD_COLUMNS = 'id, resource_id, title, metadata, created_at, updated_at'
export const MESSAGE_COLUMNS = 'id, thread_id, resource_id, role, content, created_at'
/** The column a thread list is ordered by. */
export const ORDER_COLUMN = { createdAt: 'created_at', updatedAt: 'updated_at' } as const

type Json<T> = string | T

/**
 * Rows as a driver returns them: SQLite gives JSON columns as text and times as epoch ms,
 * PostgreSQL parsed JSON and `Date`s.
 */
export interface ThreadRow {
  id: string
  resource_id: string
  title: string | null
  metadata: Json<Record<string, unknown>>
  created_at: number | Date
  updated_at: number | Date
}

export interface MessageRow {
  id: string
  thread_id: string
  resource_id: string
  role: string
  content: Json<StoredMessage['content']>
  created_at: number | Date
}

function parsed<T>(value: Json<T>): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value
}

const asDate = (value: number | Date) => (value instanceof Date ? value : new Date(value))

// Key order matches Mastra's wire samples, since these objects are returned as they are.
export function toThread(row: ThreadRow): Thread {
  return {
    id: row.id,
    resourceId: row.resource_id,
    title: row.title,
    metadata: parsed(row.metadata),
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
  }
}

export function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    content: parsed(row.content),
    role: row.role as MessageRole,
    createdAt: asDate(row.created_at),
    threadId: row.thread_id,
    resourceId: row.resource_id,
  }
}

/** Rows to messages with a loop, not `map`: a page of messages can be long. */
export function toMessages(rows: readonly MessageRow[]): StoredMessage[] {
  const out = new Array<StoredMessage>(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = toMessage(rows[i])
  return out
}
