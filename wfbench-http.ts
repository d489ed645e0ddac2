import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import express from 'express'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import { mount } from './adapters/express.js'
import { createRuntime } from './src/runtime.js'
import { SqliteStore } from './src/storage/sqlite.js'
import { mathWorkflow } from './test/unit/workflows/fixtures/workflows.js'

const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'wfh-'))
const mode = process.argv[2]
const sync = process.argv[3] ?? 'NORMAL'
const app = express()
if (mode === 'mounted') {
  const runtime = createRuntime({ store: new SqliteStore({ path: join(dir, 'a.db') }), workflows: { math: mathWorkflow() } })
  app.use('/api', mount(runtime))
} else {
  new SqliteStore({ path: join(dir, 'b.db') }).close()
  const db = new Database(join(dir, 'b.db'))
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${sync}`)
  const ins = db.prepare('INSERT INTO workflow_runs VALUES (?,?,?,?,?,?,?)')
  const upd = db.prepare('UPDATE workflow_runs SET status=?, snapshot=?, updated_at=? WHERE workflow_id=? AND run_id=?')
  app.post('/api/workflows/math/start-async', express.json(), (req, res) => {
    const { a, b } = req.body.inputData
    const id = randomUUID(); const now = Date.now()
    ins.run('hand', id, null, 'running', JSON.stringify({ input: { a, b } }), now, now)
    const sum = a + b; const result = sum * 2
    upd.run('success', JSON.stringify({ input: { a, b }, steps: { add: { output: { sum } }, double: { output: { result } } }, result: { result } }), Date.now(), 'hand', id)
    res.json({ status: 'success', steps: {}, input: { a, b }, result: { result }, runId: id })
  })
}
const server = app.listen(0, async () => {
  const port = (server.address() as any).port
  const run = (duration: number) => autocannon({ url: `http://127.0.0.1:${port}/api/workflows/math/start-async`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputData: { a: 2, b: 3 } }), connections: 32, duration })
  await run(1)
  const r = await run(4)
  console.log(mode, sync, 'rps', r.requests.average, 'non2xx', r.non2xx, 'p99', r.latency.p99)
  server.close(); process.exit(0)
})
