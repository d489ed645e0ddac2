import Database from 'better-sqlite3'
import type { StoredMessage } from '../../src/index.js'
import { kit } from '../kit.js'
import type { Scenario } from './types.js'

const { SqliteStore } = kit

const RESOURCE = 'bench-user'
const BIG_THREAD = 'bench-thread-big'

/** 10 threads for one resource, one of them with 10,000 messages. */
async function seed(dbPath: string): Promise<void> {
  const store = new SqliteStore(dbPath)
  const start = Date.UTC(2026, 0, 1)
  for (let i = 0; i < 10; i++) {
    const at = new Date(start + i * 1000)
    const id = i === 0 ? BIG_THREAD : `bench-thread-${i}`
    await store.threads.saveThread({ id, resourceId: RESOURCE, title: `Thread ${i}`, metadata: { i }, createdAt: at, updatedAt: at })
  }
  const batch: StoredMessage[] = []
  for (let i = 0; i < 10_000; i++) {
    const text = `message number ${i} with a little text in it`
    batch.push({
      id: `m-${i}`,
      threadId: BIG_THREAD,
      resourceId: RESOURCE,
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: { format: 2, parts: [{ type: 'text', text }], content: text },
      createdAt: new Date(start + i),
    })
    if (batch.length === 500) await store.threads.saveMessages(batch.splice(0))
  }
  await store.close()
}

/** Opens the file the way a hand-written app would: WAL, prepared statements. */
function open(dbPath: string) {
  const db = new Database(dbPath)
  db.pragma('journal_mode = WAL')
  return db
}

interface ThreadRow {
  id: string
  resource_id: string
  title: string | null
  metadata: string
  created_at: number
  updated_at: number
}

function listThreads(dbPath: string) {
  const db = open(dbPath)
  const page = db.prepare<[string, number, number], ThreadRow>(
    'SELECT id, resource_id, title, metadata, created_at, updated_at FROM threads WHERE resource_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?',
  )
  const count = db.prepare<[string], number>('SELECT COUNT(*) FROM threads WHERE resource_id = ?').pluck()
  return (resourceId: string) => {
    const threads = page.all(resourceId, 100, 0).map((r) => ({
      id: r.id,
      resourceId: r.resource_id,
      title: r.title,
      metadata: JSON.parse(r.metadata),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    }))
    const total = count.get(resourceId)!
    return { threads, total, page: 0, perPage: 100, hasMore: total > 100 }
  }
}

interface MessageRow {
  id: string
  thread_id: string
  resource_id: string
  role: string
  content: string
  created_at: number
}

function listMessages(dbPath: string) {
  const db = open(dbPath)
  const page = db.prepare<[string, number, number], MessageRow>(
    'SELECT id, thread_id, resource_id, role, content, created_at FROM messages WHERE thread_id = ? ORDER BY created_at, seq LIMIT ? OFFSET ?',
  )
  const count = db.prepare<[string], number>('SELECT message_count FROM threads WHERE id = ?').pluck()
  return (threadId: string) => {
    const messages = page.all(threadId, 40, 0).map((r) => ({
      id: r.id,
      content: JSON.parse(r.content),
      role: r.role,
      createdAt: new Date(r.created_at),
      threadId: r.thread_id,
      resourceId: r.resource_id,
    }))
    const uiMessages = messages.map((m) => ({ id: m.id, role: m.role, parts: m.content.parts }))
    const total = count.get(threadId)!
    return { messages, total, page: 0, perPage: 40, hasMore: total > 40, uiMessages }
  }
}

export const listThreadsScenario: Scenario = {
  name: 'list threads (10)',
  target: 0.85,
  request: { method: 'GET', path: `/api/memory/threads?resourceId=${RESOURCE}` },
  setup: seed,
  runtime: (dbPath) => ({ store: new SqliteStore(dbPath) }),
  baseline: {
    express(app, dbPath) {
      const list = listThreads(dbPath)
      app.get('/api/memory/threads', (req: any, res: any) => res.json(list(String(req.query.resourceId))))
    },
    fastify(app, dbPath) {
      const list = listThreads(dbPath)
      app.get('/api/memory/threads', async (request: any) => list(String(request.query.resourceId)))
    },
    koa(router, dbPath) {
      const list = listThreads(dbPath)
      router.get('/api/memory/threads', (ctx: any) => {
        ctx.body = list(String(ctx.query.resourceId))
      })
    },
  },
}

export const listMessagesScenario: Scenario = {
  name: 'list messages (40 of 10 000)',
  target: 0.85,
  request: { method: 'GET', path: `/api/memory/threads/${BIG_THREAD}/messages?perPage=40` },
  setup: seed,
  runtime: (dbPath) => ({ store: new SqliteStore(dbPath) }),
  baseline: {
    express(app, dbPath) {
      const list = listMessages(dbPath)
      app.get('/api/memory/threads/:threadId/messages', (req: any, res: any) => res.json(list(req.params.threadId)))
    },
    fastify(app, dbPath) {
      const list = listMessages(dbPath)
      app.get('/api/memory/threads/:threadId/messages', async (request: any) => list(request.params.threadId))
    },
    koa(router, dbPath) {
      const list = listMessages(dbPath)
      router.get('/api/memory/threads/:threadId/messages', (ctx: any) => {
        ctx.body = list(ctx.params.threadId)
      })
    },
  },
}
