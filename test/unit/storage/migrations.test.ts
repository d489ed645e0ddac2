import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { migrate, migrations, type Migration } from '../../../src/storage/migrations.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'

const dirs: string[] = []
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentmount-migrate-'))
  dirs.push(dir)
  return join(dir, 'data.db')
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** The tables, without the shadow tables SQLite keeps behind a full-text index. */
function tables(db: Database.Database): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'message_search_%' ORDER BY name")
    .pluck()
    .all()
}

const latest = migrations[migrations.length - 1].version

describe('migrations', () => {
  it('brings an empty database to the latest version with every table and index', () => {
    const db = new Database(':memory:')
    expect(migrate(db)).toBe(latest)
    expect(db.pragma('user_version', { simple: true })).toBe(latest)
    expect(tables(db)).toEqual(['agent_run_log', 'agent_runs', 'message_search', 'messages', 'threads', 'workflow_runs', 'working_memory'])
    const indexes = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").pluck().all()
    expect(indexes).toEqual(
      expect.arrayContaining([
        'messages_by_thread',
        'threads_by_resource_updated',
        'threads_by_resource_created',
        'workflow_runs_by_created',
        'workflow_runs_by_resource',
        'workflow_runs_by_status',
      ]),
    )
    db.close()
  })

  it('indexes the messages an older database already holds when it adds message search', async () => {
    const file = tempFile()
    const old = new Database(file)
    migrate(old, migrations.slice(0, 2))
    old.exec(`INSERT INTO threads (id, resource_id, metadata, created_at, updated_at) VALUES ('t1', 'u1', '{}', 1, 1);
      INSERT INTO messages (id, thread_id, resource_id, role, content, created_at, seq)
      VALUES ('m1', 't1', 'u1', 'user', '{"format":2,"parts":[{"type":"text","text":"lost parcel"}],"content":"lost parcel"}', 1, 1)`)
    old.close()
    const store = new SqliteStore(file)
    const hits = await store.threads.searchMessages({ text: 'parcel', resourceId: 'u1', limit: 5 })
    expect(hits.map((hit) => hit.message.id)).toEqual(['m1'])
    await store.close()
  })

  it('keeps the event logs an older database holds when events move to batches', async () => {
    const file = tempFile()
    const old = new Database(file)
    migrate(old, migrations.slice(0, 5))
    old.exec(`INSERT INTO agent_runs (run_id, agent_id, kind, status, model, steps, usage, error, pending, state, last_seq, created_at, updated_at)
      VALUES ('r1', 'support', 'stream', 'running', 'null', '[]', '{}', 'null', '[]', 'null', 2, 1, 1);
      INSERT INTO agent_run_events (run_id, seq, data) VALUES ('r1', 1, '{"type":"start"}'), ('r1', 2, '"two"')`)
    old.close()
    const store = new SqliteStore(file)
    expect(await store.agentRuns.events('r1', 0)).toEqual([{ seq: 1, data: { type: 'start' } }, { seq: 2, data: 'two' }])
    expect(await store.agentRuns.append('r1', [{ seq: 3, data: { type: 'finish' } }])).toBe(true)
    expect((await store.agentRuns.events('r1', 1)).map((e) => e.seq)).toEqual([2, 3])
    await store.close()
  })

  it('gives the running agent runs an older database holds a lease that already expired, so a sweep closes them', async () => {
    const file = tempFile()
    const old = new Database(file)
    migrate(old, migrations.slice(0, 6))
    const insert = old.prepare(`INSERT INTO agent_runs (run_id, agent_id, kind, status, model, steps, usage, error, pending, state, last_seq, created_at, updated_at)
      VALUES (?, 'support', 'stream', ?, 'null', '[]', '{}', 'null', '[]', 'null', 0, 1, 1)`)
    insert.run('left', 'running')
    insert.run('waiting', 'suspended')
    old.close()
    const store = new SqliteStore(file)
    const closed = await store.agentRuns.closeExpired({ message: 'stopped' }, 10)
    expect(closed.map((run) => [run.runId, run.status, run.error])).toEqual([['left', 'failed', { message: 'stopped' }]])
    expect(await store.agentRuns.get('waiting')).toMatchObject({ status: 'suspended' })
    await store.close()
  })

  it("keeps an older database's log rows when a run's first events move into its row, and deleting the run still takes its log", async () => {
    const file = tempFile()
    const old = new Database(file)
    migrate(old, migrations.slice(0, 7))
    old.exec(`INSERT INTO agent_runs (run_id, agent_id, kind, status, model, steps, usage, error, pending, state, last_seq, created_at, updated_at, finished_at)
      VALUES ('r1', 'support', 'stream', 'success', 'null', '[]', '{}', 'null', '[]', 'null', 3, 1, 1, 1);
      INSERT INTO agent_run_log (run_id, first_seq, last_seq, events) VALUES ('r1', 1, 2, '[{"type":"start"},"two"]'), ('r1', 3, 3, '["three"]')`)
    old.close()
    const store = new SqliteStore(file)
    expect(await store.agentRuns.events('r1', 0)).toEqual([
      { seq: 1, data: { type: 'start' } },
      { seq: 2, data: 'two' },
      { seq: 3, data: 'three' },
    ])
    expect(await store.agentRuns.events('r1', 2)).toEqual([{ seq: 3, data: 'three' }])
    expect(await store.agentRuns.prune(new Date(2))).toBe(1)
    await store.close()
    const after = new Database(file)
    expect(after.prepare('SELECT count(*) AS n FROM agent_run_log').get()).toEqual({ n: 0 })
    after.close()
  })

  it("looks agent runs up by thread and by resource through indexes that leave out runs without one", () => {
    const db = new Database(':memory:')
    migrate(db)
    const plan = (sql: string) => db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all('x').map((row) => row.detail).join(' ')
    expect(plan("SELECT run_id FROM agent_runs WHERE thread_id = ? AND status = 'running'")).toContain('agent_runs_by_thread')
    expect(plan("SELECT run_id FROM agent_runs WHERE resource_id = ? AND agent_id = 'a' ORDER BY created_at DESC")).toContain('agent_runs_by_resource')
    const partial = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '%IS NOT NULL%'").pluck().all()
    expect(partial.sort()).toEqual(['agent_runs_by_resource', 'agent_runs_by_thread'])
    db.close()
  })

  it('creates workflow_runs with the columns and key the run store relies on', () => {
    const db = new Database(':memory:')
    migrate(db)
    const columns = db.prepare<[], { name: string; notnull: number; pk: number }>("PRAGMA table_info('workflow_runs')").all()
    expect(columns.map((c) => c.name)).toEqual([
      'workflow_id', 'run_id', 'resource_id', 'status', 'snapshot', 'created_at', 'updated_at',
      'lease_owner', 'lease_expires_at', 'lease_token',
    ])
    expect(columns.filter((c) => c.pk > 0).map((c) => c.name)).toEqual(['workflow_id', 'run_id'])
    expect(columns.find((c) => c.name === 'resource_id')!.notnull).toBe(0)
    db.close()
  })

  it('re-opening a migrated file changes nothing and keeps the data', async () => {
    const path = tempFile()
    const first = new SqliteStore(path)
    const now = new Date()
    await first.threads.createThread({ id: 't1', resourceId: 'u', title: null, metadata: {}, createdAt: now, updatedAt: now })
    await first.close()
    const again = new SqliteStore(path)
    expect(again.db.pragma('user_version', { simple: true })).toBe(latest)
    expect((await again.threads.getThread('t1'))?.resourceId).toBe('u')
    await again.close()
  })

  it('refuses a database written by a newer version, with a clear error', () => {
    const path = tempFile()
    const db = new Database(path)
    db.pragma(`user_version = ${latest + 1}`)
    db.close()
    expect(() => new SqliteStore(path)).toThrow(/newer than this agentmount supports/)
  })

  it('runs only the steps above the stored version', () => {
    const db = new Database(':memory:')
    const ran: number[] = []
    const steps: Migration[] = [1, 2, 3].map((version) => ({
      version,
      description: `step ${version}`,
      up: (d) => {
        ran.push(version)
        d.exec(`CREATE TABLE step_${version} (x)`)
      },
    }))
    expect(migrate(db, steps.slice(0, 2))).toBe(2)
    expect(migrate(db, steps)).toBe(3)
    expect(ran).toEqual([1, 2, 3])
    expect(tables(db)).toEqual(['step_1', 'step_2', 'step_3'])
  })

  it('leaves the database at its old version when a step fails', () => {
    const db = new Database(':memory:')
    const steps: Migration[] = [
      { version: 1, description: 'ok', up: (d) => d.exec('CREATE TABLE kept (x)') },
      { version: 2, description: 'adds then fails', up: (d) => d.exec('CREATE TABLE half (x); SELECT * FROM missing_table') },
    ]
    migrate(db, steps.slice(0, 1))
    expect(() => migrate(db, steps)).toThrow(/missing_table/)
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    expect(tables(db)).toEqual(['kept'])
  })

  it('rejects a step list with a gap', () => {
    const db = new Database(':memory:')
    expect(() => migrate(db, [{ version: 2, description: 'gap', up: () => {} }])).toThrow(/out of order/)
  })
})
