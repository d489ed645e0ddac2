import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import { z } from 'zod'
import { kit } from '../kit.js'
import type { Scenario } from './types.js'

const { createStep, createWorkflow, SqliteStore } = kit

const Input = z.object({ a: z.number(), b: z.number() })

export function mathWorkflow() {
  const add = createStep({
    id: 'add',
    inputSchema: Input,
    outputSchema: z.object({ sum: z.number() }),
    execute: async ({ inputData }) => ({ sum: inputData.a + inputData.b }),
  })
  const multiply = createStep({
    id: 'multiply',
    inputSchema: z.object({ sum: z.number() }),
    outputSchema: z.object({ result: z.number() }),
    execute: async ({ inputData }) => ({ result: inputData.sum * 2 }),
  })
  return createWorkflow({ id: 'math', inputSchema: Input, outputSchema: z.object({ result: z.number() }) })
    .then(add)
    .then(multiply)
    .commit()
}

/** The hand-written version: validate, add, write a snapshot, multiply, write the final one. */
function handRun(dbPath: string) {
  const db = new Database(dbPath)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(`CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, snapshot TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`)
  const insert = db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?, ?)')
  const update = db.prepare('UPDATE runs SET status = ?, snapshot = ?, updated_at = ? WHERE run_id = ?')
  return (body: unknown) => {
    const parsed = z.object({ inputData: Input }).safeParse(body)
    if (!parsed.success) return { status: 400, body: { error: 'Invalid input', code: 'VALIDATION_ERROR' } }
    const input = parsed.data.inputData
    const runId = randomUUID()
    const startedAt = Date.now()
    const add = { status: 'success', output: { sum: input.a + input.b }, startedAt, endedAt: Date.now() }
    insert.run(runId, 'running', JSON.stringify({ input, steps: { add } }), startedAt, Date.now())
    const multiply = { status: 'success', output: { result: add.output.sum * 2 }, startedAt: Date.now(), endedAt: Date.now() }
    const steps = { add, multiply }
    update.run('success', JSON.stringify({ input, steps, result: multiply.output }), Date.now(), runId)
    return { status: 200, body: { status: 'success', steps, input, result: multiply.output, runId } }
  }
}

export const workflowScenario: Scenario = {
  name: 'workflow start-async',
  target: 0.7,
  request: { method: 'POST', path: '/api/workflows/math/start-async', body: { inputData: { a: 2, b: 3 } } },
  runtime: (dbPath) => ({ workflows: { math: mathWorkflow() }, store: new SqliteStore(dbPath) }),
  baseline: {
    express(app, dbPath) {
      const run = handRun(dbPath)
      app.post('/api/workflows/:workflowId/start-async', (req: any, res: any) => {
        const out = run(req.body)
        res.status(out.status).json(out.body)
      })
    },
    fastify(app, dbPath) {
      const run = handRun(dbPath)
      app.post('/api/workflows/:workflowId/start-async', async (request: any, reply: any) => {
        const out = run(request.body)
        return reply.code(out.status).send(out.body)
      })
    },
    koa(router, dbPath) {
      const run = handRun(dbPath)
      router.post('/api/workflows/:workflowId/start-async', (ctx: any) => {
        const out = run(ctx.request.body)
        ctx.status = out.status
        ctx.body = out.body
      })
    },
  },
}
