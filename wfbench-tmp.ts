import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { createRuntime } from '/work/main/src/runtime.js'
import { SqliteStore } from '/work/main/src/storage/sqlite.js'
import { workflowRoutes } from '/work/main/src/routes/workflows.js'
import { mathWorkflow, callRoute, findRoute } from '/work/main/test/unit/workflows/fixtures/workflows.js'

const dir = mkdtempSync(join(tmpdir(), 'wfb-'))
const store = new SqliteStore({ path: join(dir, 'a.db') })
const runtime = createRuntime({ store, workflows: { math: mathWorkflow() } })
const route = findRoute(workflowRoutes, 'POST', '/workflows/:workflowId/start-async')
const ins = store.db.prepare('INSERT INTO workflow_runs VALUES (?,?,?,?,?,?,?)')
const upd = store.db.prepare('UPDATE workflow_runs SET status=?, snapshot=?, updated_at=? WHERE workflow_id=? AND run_id=?')
async function hand(a: number, b: number) {
  const id = randomUUID(); const now = Date.now()
  ins.run('hand', id, null, 'running', JSON.stringify({ input: { a, b } }), now, now)
  const sum = a + b; const result = sum * 2
  upd.run('success', JSON.stringify({ input: { a, b }, steps: { add: { sum }, double: { result } }, result: { result } }), Date.now(), 'hand', id)
  return { status: 'success', result: { result } }
}
const N = 20000
for (const round of [1, 2]) {
  let t = performance.now()
  for (let i = 0; i < N; i++) await callRoute(route, runtime, { params: { workflowId: 'math' }, body: { inputData: { a: i, b: 1 } } })
  const ours = (performance.now() - t) / N
  t = performance.now()
  for (let i = 0; i < N; i++) await hand(i, 1)
  const theirs = (performance.now() - t) / N
  console.log(`round ${round}: ours ${(ours * 1000).toFixed(1)}us  hand ${(theirs * 1000).toFixed(1)}us  ratio ${(theirs / ours).toFixed(2)}`)
}
