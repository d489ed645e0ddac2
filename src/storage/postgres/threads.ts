import { newId } from '../../core/ids.js'
import type { PoolClient } from 'pg'
import { conflict, notFound } from '../../core/errors.js'
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
} from '../types.js'
import { searchTerms } from '../search-terms.js'
import { FOREIGN_KEY_VIOLATION, query, sqlState, transaction, type PgContext } from './sql.js'
import { THREAD_COLUMNS, MESSAGE_COLUMNS, ORDER_COLUMN, toThread, toMessage, type MessageRow, type ThreadRow } from '../thread-rows.js'

function threadValues(thread: Thread): unknown[] {
  return [thread.id, thread.resourceId, thread.title, JSON.stringify(thread.metadata ?? {}), thread.createdAt, thread.updatedAt]
}

/** Threads and messages in PostgreSQL. SQL text is built once per store; values are always parameters. */
export class PgThreadStore implements ThreadStore {
  readonly #pg: PgContext
  readonly #sql: ReturnType<typeof statements>

  constructor(pg: PgContext) {
    this.#pg = pg
    this.#sql = statements(pg.schema)
  }

  async getThread(id: string): Promise<Thread | null> {
    const { rows } = await query<ThreadRow>(this.#pg, this.#sql.getThread, [id])
    return rows.length === 1 ? toThread(rows[0]) : null
  }

  async listThreads(q: ListThreadsQuery): Promise<Page<Thread>> {
    const filtered = q.resourceId !== undefined
    const text = this.#sql.listThreads.get(`${filtered}:${q.orderBy}:${q.direction}`)
    if (!text) throw new Error(`Unsupported thread order ${q.orderBy} ${q.direction}`)
    const offset = q.page * q.perPage
    const [page, count] = await Promise.all([
      query<ThreadRow>(this.#pg, text, filtered ? [q.resourceId, q.perPage, offset] : [q.perPage, offset]),
      query<{ total: number }>(this.#pg, filtered ? this.#sql.countByResource : this.#sql.countAll, filtered ? [q.resourceId] : []),
    ])
    return { items: page.rows.map(toThread), total: count.rows[0].total }
  }

  async createThread(thread: Thread): Promise<boolean> {
    return (await query(this.#pg, this.#sql.insertThread, threadValues(thread))).rowCount === 1
  }

  async saveThread(thread: Thread): Promise<Thread> {
    const { rows } = await query<ThreadRow>(this.#pg, this.#sql.upsertThread, threadValues(thread))
    return toThread(rows[0])
  }

  async updateThread(id: string, patch: ThreadPatch): Promise<Thread | null> {
    // One statement: the patch applies to the row as it is when the update runs.
    const metadata = patch.metadata !== undefined ? JSON.stringify(patch.metadata) : null
    const values = [id, patch.title !== undefined, patch.title ?? null, metadata, new Date()]
    const { rows } = await query<ThreadRow>(this.#pg, this.#sql.updateThread, values)
    return rows.length === 1 ? toThread(rows[0]) : null
  }

  async deleteThread(id: string): Promise<boolean> {
    return (await query(this.#pg, this.#sql.deleteThread, [id])).rowCount === 1
  }

  async cloneThread(args: CloneThreadArgs): Promise<StoredMessage[]> {
    return transaction(this.#pg, async (client) => {
      // FOR SHARE keeps the source from being deleted while it is copied.
      const source = await client.query(this.#sql.lockThread, [args.sourceThreadId])
      if (source.rowCount !== 1) throw notFound('Thread not found')
      const inserted = await client.query(this.#sql.insertThread, threadValues(args.thread))
      if (inserted.rowCount !== 1) throw conflict(`Thread ${args.thread.id} already exists`)
      const { rows } =
        args.messageLimit === undefined
          ? await client.query<MessageRow>(this.#sql.allMessages, [args.sourceThreadId])
          : await client.query<MessageRow>(this.#sql.lastMessages, [args.sourceThreadId, args.messageLimit])
      if (args.messageLimit !== undefined) rows.reverse()
      const copies = rows.map((row) => ({ ...toMessage(row), id: newId(), threadId: args.thread.id, resourceId: args.thread.resourceId }))
      for (const message of copies) await this.#upsert(client, message)
      await client.query(this.#sql.copyWorkingMemory, [args.thread.id, new Date(), args.sourceThreadId])
      return copies
    })
  }

  async listMessages(q: ListMessagesQuery): Promise<Page<StoredMessage> | null> {
    // Both at once: a page read for a thread that turns out missing or not the caller's is dropped.
    const [page, count] = await Promise.all([
      query<MessageRow>(this.#pg, this.#sql.pageMessages, [q.threadId, q.perPage, q.page * q.perPage]),
      query<{ message_count: number; resource_id: string }>(this.#pg, this.#sql.messageCount, [q.threadId]),
    ])
    const thread = count.rows[0]
    if (!thread || (q.resourceId !== undefined && thread.resource_id !== q.resourceId)) return null
    return { items: page.rows.map(toMessage), total: thread.message_count }
  }

  async lastMessages(threadId: string, limit: number): Promise<StoredMessage[]> {
    const { rows } = await query<MessageRow>(this.#pg, this.#sql.lastMessages, [threadId, limit])
    return rows.reverse().map(toMessage)
  }

  async getMessages(ids: string[]): Promise<StoredMessage[]> {
    if (ids.length === 0) return []
    const { rows } = await query<MessageRow>(this.#pg, this.#sql.messagesById, [ids])
    return rows.map(toMessage)
  }

  async saveMessages(messages: StoredMessage[], newThreads: Thread[] = []): Promise<StoredMessage[]> {
    if (messages.length === 0) return []
    return transaction(this.#pg, async (client) => {
      // In id order, as the locks below, so two batches creating the same threads cannot deadlock.
      for (const thread of [...newThreads].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
        if ((await client.query(this.#sql.insertThread, threadValues(thread))).rowCount === 1) continue
        // Created by someone else since the caller looked: usable only when the owner is the same.
        const { rows } = await client.query<{ resource_id: string }>(this.#sql.threadOwner, [thread.id])
        if (rows[0]?.resource_id !== thread.resourceId) throw notFound('Thread not found')
      }
      const threads = [...new Set(messages.map((m) => m.threadId))].sort()
      // Several threads are locked in a fixed order first, so concurrent saves cannot deadlock.
      if (threads.length > 1) await client.query(this.#sql.lockThreads, [threads])
      const touched = await client.query(this.#sql.touchThreads, [threads, new Date()])
      if (touched.rowCount !== threads.length) throw notFound('Thread not found')
      const saved = new Map<string, MessageRow & { seq: string }>()
      for (const message of messages) {
        const row = await this.#upsert(client, message)
        if (!row) throw conflict(`Message ${message.id} belongs to another thread`)
        saved.set(row.id, row)
      }
      // Oldest first, as they are listed; seq is a bigint, so it arrives as a string.
      const rows = [...saved.values()].sort((a, b) => Number(a.created_at) - Number(b.created_at) || Number(a.seq) - Number(b.seq))
      return rows.map(toMessage)
    })
  }

  async deleteMessages(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0
    return (await query(this.#pg, this.#sql.deleteMessages, [ids])).rowCount
  }

  async searchMessages(q: MessageSearchQuery): Promise<MessageSearchHit[]> {
    const terms = searchTerms(q.text)
    if (terms.length === 0 || q.limit < 1) return []
    // Terms are letters and digits only, so `term:*` (prefix) joined by & is a well-formed tsquery.
    const tsquery = terms.map((term) => `${term}:*`).join(' & ')
    const values = [tsquery, q.resourceId ?? null, q.threadId ?? null, q.limit]
    const { rows } = await query<MessageRow & { thread_title: string | null; score: number }>(this.#pg, this.#sql.search, values)
    return rows.map((row) => ({ message: toMessage(row), threadTitle: row.thread_title, score: row.score }))
  }

  async transferThread(id: string, toResourceId: string, fromResourceId?: string): Promise<Thread | null> {
    const values = [id, toResourceId, fromResourceId ?? null, new Date()]
    const { rows } = await query<ThreadRow>(this.#pg, this.#sql.transferThread, values)
    return rows.length === 1 ? toThread(rows[0]) : null
  }

  /** The stored row, or null when the id is taken by a message of another thread. */
  async #upsert(client: PoolClient, m: StoredMessage): Promise<(MessageRow & { seq: string }) | null> {
    try {
      const values = [m.id, m.threadId, m.resourceId, m.role, JSON.stringify(m.content), m.createdAt]
      const { rows } = await client.query<MessageRow & { seq: string }>(this.#sql.upsertMessage, values)
      return rows[0] ?? null
    } catch (err) {
      if (sqlState(err) === FOREIGN_KEY_VIOLATION) throw notFound('Thread not found')
      throw err
    }
  }
}

function statements(S: string) {
  const listThreads = new Map<string, string>()
  for (const filtered of [false, true]) {
    for (const orderBy of ['createdAt', 'updatedAt'] as const) {
      for (const direction of ['ASC', 'DESC'] as const) {
        const where = filtered ? 'WHERE resource_id = $1' : ''
        const n = filtered ? 2 : 1
        // seq breaks ties in insertion order, so pages never overlap or skip.
        const order = `${ORDER_COLUMN[orderBy]} ${direction}, seq ${direction}`
        listThreads.set(
          `${filtered}:${orderBy}:${direction}`,
          `SELECT ${THREAD_COLUMNS} FROM ${S}.threads ${where} ORDER BY ${order} LIMIT $${n} OFFSET $${n + 1}`,
        )
      }
    }
  }
  const insert = `INSERT INTO ${S}.threads (${THREAD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`
  return {
    listThreads,
    countAll: `SELECT COUNT(*)::int AS total FROM ${S}.threads`,
    countByResource: `SELECT COUNT(*)::int AS total FROM ${S}.threads WHERE resource_id = $1`,
    getThread: `SELECT ${THREAD_COLUMNS} FROM ${S}.threads WHERE id = $1`,
    threadOwner: `SELECT resource_id FROM ${S}.threads WHERE id = $1`,
    lockThread: `SELECT 1 FROM ${S}.threads WHERE id = $1 FOR SHARE`,
    lockThreads: `SELECT 1 FROM ${S}.threads WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
    insertThread: `${insert} ON CONFLICT (id) DO NOTHING`,
    upsertThread: `${insert} ON CONFLICT (id) DO UPDATE SET
      title = excluded.title, metadata = excluded.metadata, updated_at = excluded.updated_at
      RETURNING ${THREAD_COLUMNS}`,
    updateThread: `UPDATE ${S}.threads SET
      title = CASE WHEN $2 THEN $3 ELSE title END, metadata = COALESCE($4::json, metadata), updated_at = $5
      WHERE id = $1 RETURNING ${THREAD_COLUMNS}`,
    touchThreads: `UPDATE ${S}.threads SET updated_at = $2 WHERE id = ANY($1::text[])`,
    deleteThread: `DELETE FROM ${S}.threads WHERE id = $1`,
    messageCount: `SELECT message_count, resource_id FROM ${S}.threads WHERE id = $1`,
    pageMessages: `SELECT ${MESSAGE_COLUMNS} FROM ${S}.messages WHERE thread_id = $1 ORDER BY created_at, seq LIMIT $2 OFFSET $3`,
    allMessages: `SELECT ${MESSAGE_COLUMNS} FROM ${S}.messages WHERE thread_id = $1 ORDER BY created_at, seq`,
    lastMessages: `SELECT ${MESSAGE_COLUMNS} FROM ${S}.messages WHERE thread_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2`,
    messagesById: `SELECT ${MESSAGE_COLUMNS} FROM ${S}.messages WHERE id = ANY($1::text[]) ORDER BY created_at, seq`,
    // The WHERE keeps an upsert from taking over a message id that lives in another thread;
    // created_at and seq stay, so a re-saved message keeps its place.
    upsertMessage: `INSERT INTO ${S}.messages (${MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (id) DO UPDATE SET resource_id = excluded.resource_id, role = excluded.role, content = excluded.content
      WHERE messages.thread_id = excluded.thread_id
      RETURNING ${MESSAGE_COLUMNS}, seq`,
    deleteMessages: `DELETE FROM ${S}.messages WHERE id = ANY($1::text[])`,
    copyWorkingMemory: `INSERT INTO ${S}.working_memory (scope, owner_id, value, updated_at)
      SELECT 'thread', $1, value, $2 FROM ${S}.working_memory WHERE scope = 'thread' AND owner_id = $3
      ON CONFLICT (scope, owner_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    search: `SELECT ${MESSAGE_COLUMNS.replace(/(\w+)/g, 'm.$1')}, t.title AS thread_title, ts_rank(m.search, q)::float8 AS score
      FROM ${S}.messages m JOIN ${S}.threads t ON t.id = m.thread_id, to_tsquery('simple', $1) q
      WHERE m.search @@ q AND ($2::text IS NULL OR t.resource_id = $2) AND ($3::text IS NULL OR m.thread_id = $3)
      ORDER BY score DESC, m.created_at DESC, m.seq DESC LIMIT $4`,
    // One statement: the owner check, the thread and its messages move together.
    transferThread: `WITH moved AS (
        UPDATE ${S}.threads SET resource_id = $2, updated_at = $4 WHERE id = $1 AND ($3::text IS NULL OR resource_id = $3)
        RETURNING ${THREAD_COLUMNS}),
      messages AS (UPDATE ${S}.messages SET resource_id = $2 WHERE thread_id IN (SELECT id FROM moved))
      SELECT ${THREAD_COLUMNS} FROM moved`,
  }
}
