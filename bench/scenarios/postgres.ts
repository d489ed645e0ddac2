// The memory and workflow scenarios again with PostgreSQL as the store, against hand-written
// routes that run the same queries through their own `pg` pool. They need DATABASE_URL; each
// server gets a schema of its own (named after its database path), emptied before it is seeded.
import { createHash, randomUUID } from 'node:crypto'
import pg from 'pg'
import { z } from 'zod'
import type { StoredMessage } from '../../src/index.js'
import { postgresKit } from '../kit.js'
import type { HandWritten, Scenario } from './types.js'
import { mathWorkflow } from './workflow.js'

const { PostgresStore } = postgresKit

const RESOURCE = 'bench-user'
const BIG_THREAD = 'bench-thread-big'

function databaseUrl(): string {
  const url = process.env.DATABASE_URL
  if (!url) throw new Error('The pg-* scenarios need a PostgreSQL server: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)')
  return url
}

/** One schema per server, derived from the path the harness gives it. */
function schemaOf(dbPath: string): string {
  return `bench_${createHash('sha256').update(dbPath).digest('hex').slice(0, 12)}`
}

const storeOf = (dbPath: string) => new PostgresStore({ connectionString: databaseUrl() }, { schema: schemaOf(dbPath) })

async function emptySchema(dbPath: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl() })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schemaOf(dbPath)}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** 10 threads for one resource, one of them with 10,000 messages (as the SQLite memory scenarios). */
async function seed(dbPath: string): Promise<void> {
  await emptySchema(dbPath)
  const store = storeOf(dbPath)
  const start = Date.UTC(2026, 0, 1)
  for (let i = 0; i < 10; i++) {
    const at = new Date(start + i * 1000)
    const id = i === 0 ? BIG_THREAD : `bench-thread-${i}`
    await store.threads.saveThread({ id, resourceId: RESOURCE, title: `Thread ${i}`, metadata: { i }, createdAt: at, updatedAt: at })
  }
  const batch: StoredMessage[] = []
  for (let i = 0; i < 10_000; i++) {
    const text = `message number ${i} with a little text in it`
    const role = i % 2 === 0 ? 'user' : 'assistant'
    batch.push({ id: `m-${i}`, threadId: BIG_THREAD, resourceId: RESOURCE, role, content: { format: 2, parts: [{ type: 'text', text }], content: text }, createdAt: new Date(start + i) })
    if (batch.length === 500) await store.threads.saveMessages(batch.splice(0))
  }
  await store.close()
}

const pools = new Map<string, pg.Pool>()
function poolOf(dbPath: string): pg.Pool {
  let pool = pools.get(dbPath)
  if (!pool) {
    pool = new pg.Pool({ connectionString: databaseUrl(), max: 10 })
    pools.set(dbPath, pool)
  }
  return pool
}

function listThreads(dbPath: string) {
  const S = `"${schemaOf(dbPath)}"`
  const pool = poolOf(dbPath)
  return async (resourceId: string) => {
    const [page, count] = await Promise.all([
      pool.query(`SELECT id, resource_id, title, metadata, created_at, updated_at FROM ${S}.threads
        WHERE resource_id = $1 ORDER BY created_at DESC, seq DESC LIMIT $2 OFFSET $3`, [resourceId, 100, 0]),
      pool.query<{ total: number }>(`SELECT COUNT(*)::int AS total FROM ${S}.threads WHERE resource_id = $1`, [resourceId]),
    ])
    const threads = page.rows.map((r) => ({ id: r.id, resourceId: r.resource_id, title: r.title, metadata: r.metadata, createdAt: r.created_at, updatedAt: r.updated_at }))
    const total = count.rows[0].total
    return { threads, total, page: 0, perPage: 100, hasMore: total > 100 }
  }
}

function listMessages(dbPath: string) {
  const S = `"${schemaOf(dbPath)}"`
  const pool = poolOf(dbPath)
  return async (threadId: string) => {
    const [page, count] = await Promise.all([
      pool.query(`SELECT id, thread_id, resource_id, role, content, created_at FROM ${S}.messages
        WHERE thread_id = $1 ORDER BY created_at, seq LIMIT $2 OFFSET $3`, [threadId, 40, 0]),
      pool.query<{ message_count: number }>(`SELECT message_count FROM ${S}.threads WHERE id = $1`, [threadId]),
    ])
    const messages = page.rows.map((r) => ({ id: r.id, content: r.content, role: r.role, createdAt: r.created_at, threadId: r.thread_id, resourceId: r.resource_id }))
    const uiMessages = messages.map((m) => ({ id: m.id, role: m.role, parts: m.content.parts }))
    const total = count.rows[0]?.message_count ?? 0
    return { messages, total, page: 0, perPage: 40, hasMore: total > 40, uiMessages }
  }
}

const Input = z.object({ a: z.number(), b: z.number() })

/** Validate, add, insert the running snapshot, multiply, store the final one: two writes, as the mount does. */
function handRun(dbPath: string) {
  const S = `"${schemaOf(dbPath)}"`
  const pool = poolOf(dbPath)
  const ready = (async () => {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${S}`)
    await pool.query(`CREATE TABLE IF NOT EXISTS ${S}.runs (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, snapshot JSON NOT NULL,
      created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)`)
  })()
  return async (body: unknown) => {
    await ready
    const parsed = z.object({ inputData: Input }).safeParse(body)
    if (!parsed.success) return { status: 400, body: { error: 'Invalid input', code: 'VALIDATION_ERROR' } }
    const input = parsed.data.inputData
    const runId = randomUUID()
    const startedAt = Date.now()
    const add = { status: 'success', output: { sum: input.a + input.b }, startedAt, endedAt: Date.now() }
    await pool.query(`INSERT INTO ${S}.runs VALUES ($1, $2, $3, $4, $4)`, [runId, 'running', JSON.stringify({ input, steps: { add } }), new Date()])
    const multiply = { status: 'success', output: { result: add.output.sum * 2 }, startedAt: Date.now(), endedAt: Date.now() }
    const steps = { add, multiply }
    await pool.query(`UPDATE ${S}.runs SET status = $1, snapshot = $2, updated_at = $3 WHERE run_id = $4`, [
      'success', JSON.stringify({ input, steps, result: multiply.output }), new Date(), runId,
    ])
    return { status: 200, body: { status: 'success', steps, input, result: multiply.output, runId } }
  }
}

/** A GET route answering `answer(param)` as JSON in each framework. */
function getRoute(path: string, make: (dbPath: string) => (value: string) => Promise<unknown>, param: (query: any, params: any) => string): HandWritten {
  return {
    express(app, dbPath) {
      const answer = make(dbPath)
      app.get(path, async (req: any, res: any) => res.json(await answer(param(req.query, req.params))))
    },
    fastify(app, dbPath) {
      const answer = make(dbPath)
      app.get(path, async (request: any) => answer(param(request.query, request.params)))
    },
    koa(router, dbPath) {
      const answer = make(dbPath)
      router.get(path, async (ctx: any) => {
        ctx.body = await answer(param(ctx.query, ctx.params))
      })
    },
  }
}

export const pgThreadsScenario: Scenario = {
  name: 'list threads (10), PostgreSQL',
  target: 0.85,
  request: { method: 'GET', path: `/api/memory/threads?resourceId=${RESOURCE}` },
  setup: seed,
  runtime: (dbPath) => ({ store: storeOf(dbPath) }),
  baseline: getRoute('/api/memory/threads', listThreads, (query) => String(query.resourceId)),
}

export const pgMessagesScenario: Scenario = {
  name: 'list messages (40 of 10 000), PostgreSQL',
  target: 0.85,
  request: { method: 'GET', path: `/api/memory/threads/${BIG_THREAD}/messages?perPage=40` },
  setup: seed,
  runtime: (dbPath) => ({ store: storeOf(dbPath) }),
  baseline: getRoute('/api/memory/threads/:threadId/messages', listMessages, (_query, params) => params.threadId),
}

export const pgWorkflowScenario: Scenario = {
  name: 'workflow start-async, PostgreSQL',
  target: 0.7,
  request: { method: 'POST', path: '/api/workflows/math/start-async', body: { inputData: { a: 2, b: 3 } } },
  setup: emptySchema,
  runtime: (dbPath) => ({ workflows: { math: mathWorkflow() }, store: storeOf(dbPath) }),
  baseline: {
    express(app, dbPath) {
      const run = handRun(dbPath)
      app.post('/api/workflows/:workflowId/start-async', async (req: any, res: any) => {
        const out = await run(req.body)
        res.status(out.status).json(out.body)
      })
    },
    fastify(app, dbPath) {
      const run = handRun(dbPath)
      app.post('/api/workflows/:workflowId/start-async', async (request: any, reply: any) => {
        const out = await run(request.body)
        return reply.code(out.status).send(out.body)
      })
    },
    koa(router, dbPath) {
      const run = handRun(dbPath)
      router.post('/api/workflows/:workflowId/start-async', async (ctx: any) => {
        const out = await run(ctx.request.body)
        ctx.status = out.status
        ctx.body = out.body
      })
    },
  },
}
