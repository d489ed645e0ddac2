import { newId } from '../core/ids.js'
import type Database from 'better-sqlite3'
import { conflict, notFound } from '../core/errors.js'
import { searchTerms } from './search-terms.js'
import type {
  CloneThreadArgs,
  ListThreadsQuery,
  MessageRole,
  MessageSearchHit,
  MessageSearchQuery,
  Page,
  StoredMessage,
  Thread,
  ThreadPatch,
  ThreadStore,
  ListMessagesQuery,
} from './types.js'
import { THREAD_COLUMNS, MESSAGE_COLUMNS, ORDER_COLUMN, toThread, toMessage, toMessages, type MessageRow, type ThreadRow } from './thread-rows.js'

/**
 * Threads and messages in SQLite; every statement is prepared once, here. Write transactions
 * begin IMMEDIATE: one that reads first and upgrades later fails with SQLITE_BUSY, without
 * waiting, when another process committed in between.
 */
export class SqliteThreadStore implements ThreadStore {
  readonly #db: Database.Database
  readonly #listThreads = new Map<string, Database.Statement<unknown[], ThreadRow>>()
  readonly #countAll: Database.Statement<[], number>
  readonly #countByResource: Database.Statement<[string], number>
  readonly #getThread: Database.Statement<[string], ThreadRow>
  readonly #threadExists: Database.Statement<[string], number>
  readonly #insertThread: Database.Statement<unknown[]>
  readonly #upsertThread: Database.Statement<unknown[]>
  readonly #updateThread: Database.Statement<unknown[]>
  readonly #touchThread: Database.Statement<[number, string]>
  readonly #deleteThread: Database.Statement<[string]>
  readonly #messageCount: Database.Statement<[string], { message_count: number; resource_id: string }>
  readonly #pageMessages: Database.Statement<[string, number, number], MessageRow>
  readonly #lastMessages: Database.Statement<[string, number], MessageRow>
  readonly #messagesById: Database.Statement<[string], MessageRow>
  readonly #upsertMessage: Database.Statement<unknown[]>
  readonly #deleteMessages: Database.Statement<[string]>
  readonly #threadOwner: Database.Statement<[string], string>
  readonly #copyWorkingMemory: Database.Statement<[string, number, string]>
  readonly #search = new Map<string, Database.Statement<unknown[], MessageRow & { thread_title: string | null; rank: number }>>()
  readonly #moveThread: Database.Statement<unknown[]>
  readonly #moveMessages: Database.Statement<[string, string]>

  /** @internal */
  constructor(db: Database.Database) {
    this.#db = db
    for (const filtered of [false, true]) {
      for (const orderBy of ['createdAt', 'updatedAt'] as const) {
        for (const direction of ['ASC', 'DESC'] as const) {
          const where = filtered ? 'WHERE resource_id = ?' : ''
          // rowid breaks ties in index order, so pages never overlap or skip.
          const order = `${ORDER_COLUMN[orderBy]} ${direction}, rowid ${direction}`
          const sql = `SELECT ${THREAD_COLUMNS} FROM threads ${where} ORDER BY ${order} LIMIT ? OFFSET ?`
          this.#listThreads.set(`${filtered}:${orderBy}:${direction}`, db.prepare(sql))
        }
      }
    }
    this.#countAll = db.prepare<[], number>('SELECT COUNT(*) FROM threads').pluck()
    this.#countByResource = db.prepare<[string], number>('SELECT COUNT(*) FROM threads WHERE resource_id = ?').pluck()
    this.#getThread = db.prepare(`SELECT ${THREAD_COLUMNS} FROM threads WHERE id = ?`)
    this.#threadExists = db.prepare<[string], number>('SELECT 1 FROM threads WHERE id = ?').pluck()
    const insert = `INSERT INTO threads (${THREAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`
    this.#insertThread = db.prepare(`${insert} ON CONFLICT (id) DO NOTHING`)
    this.#upsertThread = db.prepare(
      `${insert} ON CONFLICT (id) DO UPDATE SET
         title = excluded.title, metadata = excluded.metadata, updated_at = excluded.updated_at`,
    )
    this.#updateThread = db.prepare('UPDATE threads SET title = ?, metadata = ?, updated_at = ? WHERE id = ?')
    this.#touchThread = db.prepare('UPDATE threads SET updated_at = ? WHERE id = ?')
    this.#deleteThread = db.prepare('DELETE FROM threads WHERE id = ?')
    this.#messageCount = db.prepare<[string], { message_count: number; resource_id: string }>(
      'SELECT message_count, resource_id FROM threads WHERE id = ?',
    )
    this.#pageMessages = db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE thread_id = ? ORDER BY created_at, seq LIMIT ? OFFSET ?`,
    )
    this.#lastMessages = db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE thread_id = ? ORDER BY created_at DESC, seq DESC LIMIT ?`,
    )
    // One statement for any number of ids: they arrive as a JSON array.
    this.#messagesById = db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id IN (SELECT value FROM json_each(?)) ORDER BY created_at, seq`,
    )
    // The WHERE keeps an upsert from taking over a message id that lives in another thread;
    // created_at and seq stay, so a re-saved message keeps its place.
    this.#upsertMessage = db.prepare(
      `INSERT INTO messages (id, thread_id, resource_id, role, content, created_at, seq)
       VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages))
       ON CONFLICT (id) DO UPDATE SET resource_id = excluded.resource_id, role = excluded.role, content = excluded.content
       WHERE messages.thread_id = excluded.thread_id`,
    )
    this.#deleteMessages = db.prepare('DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))')
    this.#threadOwner = db.prepare<[string], string>('SELECT resource_id FROM threads WHERE id = ?').pluck()
    this.#copyWorkingMemory = db.prepare(
      `INSERT INTO working_memory (scope, owner_id, value, updated_at)
       SELECT 'thread', ?, value, ? FROM working_memory WHERE scope = 'thread' AND owner_id = ?
       ON CONFLICT (scope, owner_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    )
    for (const byResource of [false, true]) {
      for (const byThread of [false, true]) {
        const where = `${byResource ? ' AND t.resource_id = ?' : ''}${byThread ? ' AND m.thread_id = ?' : ''}`
        // bm25 rank: lower is better; the newest message wins a tie.
        const sql = `SELECT ${MESSAGE_COLUMNS.replace(/(\w+)/g, 'm.$1')}, t.title AS thread_title, s.rank AS rank
          FROM message_search s JOIN messages m ON m.seq = s.rowid JOIN threads t ON t.id = m.thread_id
          WHERE message_search MATCH ?${where} ORDER BY s.rank, m.created_at DESC, m.seq DESC LIMIT ?`
        this.#search.set(`${byResource}:${byThread}`, db.prepare(sql))
      }
    }
    this.#moveThread = db.prepare('UPDATE threads SET resource_id = ?, updated_at = ? WHERE id = ? AND (? IS NULL OR resource_id = ?)')
    this.#moveMessages = db.prepare('UPDATE messages SET resource_id = ? WHERE thread_id = ?')
  }

  async getThread(id: string): Promise<Thread | null> {
    const row = this.#getThread.get(id)
    return row ? toThread(row) : null
  }

  async listThreads(query: ListThreadsQuery): Promise<Page<Thread>> {
    const filtered = query.resourceId !== undefined
    const statement = this.#listThreads.get(`${filtered}:${query.orderBy}:${query.direction}`)
    if (!statement) throw new Error(`Unsupported thread order ${query.orderBy} ${query.direction}`)
    const offset = query.page * query.perPage
    const rows = filtered
      ? statement.all(query.resourceId, query.perPage, offset)
      : statement.all(query.perPage, offset)
    const total = filtered ? this.#countByResource.get(query.resourceId!)! : this.#countAll.get()!
    const items = new Array<Thread>(rows.length)
    for (let i = 0; i < rows.length; i++) items[i] = toThread(rows[i])
    return { items, total }
  }

  async createThread(thread: Thread): Promise<boolean> {
    return this.#insertThread.run(...threadValues(thread)).changes === 1
  }

  async saveThread(thread: Thread): Promise<Thread> {
    this.#upsertThread.run(...threadValues(thread))
    return toThread(this.#getThread.get(thread.id)!)
  }

  async updateThread(id: string, patch: ThreadPatch): Promise<Thread | null> {
    return this.#db.transaction(() => {
      const row = this.#getThread.get(id)
      if (!row) return null
      const title = patch.title !== undefined ? patch.title : row.title
      const metadata = patch.metadata !== undefined ? JSON.stringify(patch.metadata) : row.metadata
      this.#updateThread.run(title, metadata, Date.now(), id)
      return toThread(this.#getThread.get(id)!)
    }).immediate()
  }

  async deleteThread(id: string): Promise<boolean> {
    return this.#deleteThread.run(id).changes === 1
  }

  async cloneThread(args: CloneThreadArgs): Promise<StoredMessage[]> {
    return this.#db.transaction(() => {
      if (!this.#threadExists.get(args.sourceThreadId)) throw notFound('Thread not found')
      if (this.#insertThread.run(...threadValues(args.thread)).changes !== 1) {
        throw conflict(`Thread ${args.thread.id} already exists`)
      }
      const source =
        args.messageLimit === undefined
          ? this.#pageMessages.all(args.sourceThreadId, -1, 0)
          : this.#lastMessages.all(args.sourceThreadId, args.messageLimit).reverse()
      const copies = source.map((row) => {
        const copy = toMessage(row)
        copy.id = newId()
        copy.threadId = args.thread.id
        copy.resourceId = args.thread.resourceId
        return copy
      })
      for (const message of copies) this.#upsertMessage.run(...messageValues(message))
      this.#copyWorkingMemory.run(args.thread.id, Date.now(), args.sourceThreadId)
      return copies
    }).immediate()
  }

  async listMessages(query: ListMessagesQuery): Promise<Page<StoredMessage> | null> {
    const thread = this.#messageCount.get(query.threadId)
    if (!thread || (query.resourceId !== undefined && thread.resource_id !== query.resourceId)) return null
    const rows = this.#pageMessages.all(query.threadId, query.perPage, query.page * query.perPage)
    return { items: toMessages(rows), total: thread.message_count }
  }

  async lastMessages(threadId: string, limit: number): Promise<StoredMessage[]> {
    return toMessages(this.#lastMessages.all(threadId, limit).reverse())
  }

  async getMessages(ids: string[]): Promise<StoredMessage[]> {
    if (ids.length === 0) return []
    return toMessages(this.#messagesById.all(JSON.stringify(ids)))
  }

  async saveMessages(messages: StoredMessage[], newThreads: Thread[] = []): Promise<StoredMessage[]> {
    if (messages.length === 0) return []
    return this.#db.transaction(() => {
      for (const thread of newThreads) {
        // Created by someone else since the caller looked: usable only when the owner is the same.
        if (this.#insertThread.run(...threadValues(thread)).changes !== 1 && this.#threadOwner.get(thread.id) !== thread.resourceId) {
          throw notFound('Thread not found')
        }
      }
      const now = Date.now()
      const touched = new Set<string>()
      for (const message of messages) {
        if (!touched.has(message.threadId)) {
          if (!this.#threadExists.get(message.threadId)) throw notFound('Thread not found')
          touched.add(message.threadId)
        }
        if (this.#upsertMessage.run(...messageValues(message)).changes !== 1) {
          throw conflict(`Message ${message.id} belongs to another thread`)
        }
      }
      for (const threadId of touched) this.#touchThread.run(now, threadId)
      return toMessages(this.#messagesById.all(JSON.stringify(messages.map((m) => m.id))))
    }).immediate()
  }

  async deleteMessages(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0
    return this.#deleteMessages.run(JSON.stringify(ids)).changes
  }

  async searchMessages(query: MessageSearchQuery): Promise<MessageSearchHit[]> {
    const terms = searchTerms(query.text)
    if (terms.length === 0 || query.limit < 1) return []
    // Each term quoted (terms hold no quotes) and prefix-matched; FTS5 joins them with AND.
    const values: unknown[] = [terms.map((term) => `"${term}"*`).join(' ')]
    if (query.resourceId !== undefined) values.push(query.resourceId)
    if (query.threadId !== undefined) values.push(query.threadId)
    values.push(query.limit)
    const statement = this.#search.get(`${query.resourceId !== undefined}:${query.threadId !== undefined}`)!
    return statement.all(...values).map((row) => ({ message: toMessage(row), threadTitle: row.thread_title, score: -row.rank }))
  }

  async transferThread(id: string, toResourceId: string, fromResourceId?: string): Promise<Thread | null> {
    return this.#db.transaction(() => {
      const from = fromResourceId ?? null
      if (this.#moveThread.run(toResourceId, Date.now(), id, from, from).changes !== 1) return null
      this.#moveMessages.run(toResourceId, id)
      return toThread(this.#getThread.get(id)!)
    }).immediate()
  }
}

function threadValues(thread: Thread): unknown[] {
  return [
    thread.id,
    thread.resourceId,
    thread.title,
    JSON.stringify(thread.metadata ?? {}),
    thread.createdAt.getTime(),
    thread.updatedAt.getTime(),
  ]
}

function messageValues(message: StoredMessage): unknown[] {
  return [
    message.id,
    message.threadId,
    message.resourceId,
    message.role,
    JSON.stringify(message.content),
    message.createdAt.getTime(),
  ]
}
