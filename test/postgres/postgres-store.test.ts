import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { migratePg, pgMigrations } from '../../src/storage/postgres/migrations.js'
import { PostgresStore } from '../../src/storage/postgres/store.js'
import { databaseUrl, testSchema } from '../harness/stores.js'
import { eventually } from '../harness/http.js'
import { record } from '../contract/workflow-runs.js'

const opened: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const resource of opened.splice(0)) await resource.close()
})

function store(schema: string, connection: ConstructorParameters<typeof PostgresStore>[0] = { connectionString: databaseUrl(), max: 2 }) {
  const created = new PostgresStore(connection, { schema })
  opened.push(created)
  return created
}

async function admin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl() })
  await client.connect()
  opened.push({ close: () => client.end() })
  return client
}

describe('PostgresStore', () => {
  it('migrates a fresh schema once when several instances start together', async () => {
    const schema = testSchema()
    await Promise.all([1, 2, 3, 4].map(() => store(schema).ready()))
    const { rows } = await (await admin()).query(`SELECT version, description FROM "${schema}".schema_migrations ORDER BY version`)
    expect(rows).toEqual(pgMigrations.map(({ version, description }) => ({ version, description })))
  })

  it('refuses a schema written by a newer release and keeps refusing', async () => {
    const schema = testSchema()
    await store(schema).ready()
    await (await admin()).query(`INSERT INTO "${schema}".schema_migrations (version, description) VALUES (999, 'from the future')`)
    const newer = store(schema)
    await expect(newer.threads.getThread('t')).rejects.toThrow(/version 999, newer than this agentmount supports/)
    await expect(newer.ready()).rejects.toThrow(/upgrade agentmount/)
  })

  it('indexes the messages a older schema already holds when it adds message search', async () => {
    const schema = testSchema()
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 })
    opened.push({ close: () => pool.end() })
    const client = await pool.connect()
    await migratePg(client, schema, pgMigrations.slice(0, 2))
    await client.query(`INSERT INTO "${schema}".threads (id, resource_id, metadata, created_at, updated_at) VALUES ('t1', 'u1', '{}', now(), now())`)
    await client.query(`INSERT INTO "${schema}".messages (id, thread_id, resource_id, role, content, created_at)
      VALUES ('m1', 't1', 'u1', 'user', '{"format":2,"parts":[{"type":"text","text":"lost parcel"}],"content":"lost parcel"}', now())`)
    client.release()
    const hits = await store(schema).threads.searchMessages({ text: 'parcel', resourceId: 'u1', limit: 5 })
    expect(hits.map((hit) => hit.message.id)).toEqual(['m1'])
  })

  it('keeps the event logs an older schema holds when events move to batches', async () => {
    const schema = testSchema()
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 })
    opened.push({ close: () => pool.end() })
    const client = await pool.connect()
    await migratePg(client, schema, pgMigrations.slice(0, 5))
    await client.query(`INSERT INTO "${schema}".agent_runs (run_id, agent_id, kind, status, model, steps, usage, error, pending, state, last_seq, created_at, updated_at)
      VALUES ('r1', 'support', 'stream', 'running', 'null', '[]', '{}', 'null', '[]', 'null', 2, now(), now())`)
    await client.query(`INSERT INTO "${schema}".agent_run_events (run_id, seq, data) VALUES ('r1', 1, '{"type":"start"}'), ('r1', 2, '"two"')`)
    client.release()
    const runs = store(schema).agentRuns
    expect(await runs.events('r1', 0)).toEqual([{ seq: 1, data: { type: 'start' } }, { seq: 2, data: 'two' }])
    expect(await runs.append('r1', [{ seq: 3, data: { type: 'finish' } }])).toBe(true)
    expect((await runs.events('r1', 1)).map((e) => e.seq)).toEqual([2, 3])
  })

  it('gives the running agent runs an older schema holds a lease that already expired, so a sweep closes them', async () => {
    const schema = testSchema()
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 })
    opened.push({ close: () => pool.end() })
    const client = await pool.connect()
    await migratePg(client, schema, pgMigrations.slice(0, 6))
    for (const [runId, status] of [['left', 'running'], ['waiting', 'suspended']]) {
      await client.query(`INSERT INTO "${schema}".agent_runs (run_id, agent_id, kind, status, model, steps, usage, error, pending, state, last_seq, created_at, updated_at)
        VALUES ($1, 'support', 'stream', $2, 'null', '[]', '{}', 'null', '[]', 'null', 0, now(), now())`, [runId, status])
    }
    client.release()
    const runs = store(schema).agentRuns
    const closed = await runs.closeExpired({ message: 'stopped' }, 10)
    expect(closed.map((run) => [run.runId, run.status, run.error])).toEqual([['left', 'failed', { message: 'stopped' }]])
    expect(await runs.get('waiting')).toMatchObject({ status: 'suspended' })
  })

  it('rolls a failing save back as a whole', async () => {
    const s = store(testSchema())
    const now = new Date()
    await s.threads.createThread({ id: 't1', resourceId: 'u', title: null, metadata: {}, createdAt: now, updatedAt: now })
    const message = (id: string, threadId: string) => ({
      id, threadId, resourceId: 'u', role: 'user' as const, createdAt: now, content: { format: 2 as const, parts: [] },
    })
    await expect(s.threads.saveMessages([message('m1', 't1'), message('m2', 'missing')])).rejects.toMatchObject({ status: 404 })
    expect(await s.threads.getMessages(['m1'])).toEqual([])
    expect((await s.threads.getThread('t1'))?.updatedAt).toEqual(now)
  })

  it('keeps values that look like SQL as plain data', async () => {
    const s = store(testSchema())
    const now = new Date()
    const id = "t'; DROP TABLE threads; --"
    await s.threads.createThread({ id, resourceId: 'u', title: '$1 \\', metadata: { q: "' OR 1=1" }, createdAt: now, updatedAt: now })
    expect(await s.threads.getThread(id)).toMatchObject({ id, title: '$1 \\', metadata: { q: "' OR 1=1" } })
  })

  it('ends the pool it owns on close, and leaves a pool passed in open', async () => {
    const owned = store(testSchema())
    await owned.ready()
    await owned.close()
    await expect(owned.threads.getThread('t')).rejects.toThrow(/closed/)

    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 })
    opened.push({ close: () => pool.end() })
    const borrowing = store(testSchema(), { pool })
    expect(await borrowing.threads.getThread('t')).toBeNull()
    await borrowing.close()
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })

  it('pushes the cancel of a running run to the instances listening (LISTEN/NOTIFY), and to none once they stop', async () => {
    const schema = testSchema()
    const [listening, canceling] = [store(schema), store(schema)]
    const heard: unknown[] = []
    const stop = await listening.workflowRuns.watchCancels((run) => heard.push(run))
    const now = new Date()
    const run = (runId: string, status: 'running' | 'suspended') =>
      ({ workflowId: 'wf', runId, resourceId: null, status, snapshot: { input: 1, position: 0, steps: {} }, createdAt: now, updatedAt: now }) as const
    await canceling.workflowRuns.create(run('r1', 'running'), { instanceId: 'a', leaseMs: 60_000 })
    await canceling.workflowRuns.create(run('r2', 'suspended'))
    await canceling.workflowRuns.create(run('r3', 'running'))
    expect(await canceling.workflowRuns.compareAndSetStatus('wf', 'r2', 'suspended', 'canceled')).toBe(true)
    expect(await canceling.workflowRuns.compareAndSetStatus('wf', 'r1', 'running', 'canceled', undefined, 'someone-else')).toBe(false)
    expect(await canceling.workflowRuns.compareAndSetStatus('wf', 'r1', 'running', 'canceled')).toBe(true)
    await eventually(() => heard.length === 1)
    expect(heard).toEqual([{ workflowId: 'wf', runId: 'r1' }])
    await stop()
    expect(await canceling.workflowRuns.compareAndSetStatus('wf', 'r3', 'running', 'canceled')).toBe(true)
    // A listener still subscribed elsewhere would hear r3; this one stopped.
    const second: unknown[] = []
    const stopSecond = await listening.workflowRuns.watchCancels((r) => second.push(r))
    await canceling.workflowRuns.create(run('r4', 'running'))
    await canceling.workflowRuns.compareAndSetStatus('wf', 'r4', 'running', 'canceled')
    await eventually(() => second.length === 1)
    expect(heard).toEqual([{ workflowId: 'wf', runId: 'r1' }])
    expect(second).toEqual([{ workflowId: 'wf', runId: 'r4' }])
    await stopSecond()
  })

  it('sends the inserts, checkpoints and finishes of workflow runs asked for in one turn as one statement', async () => {
    const pool = new pg.Pool({ connectionString: databaseUrl(), max: 4 })
    opened.push({ close: () => pool.end() })
    const runs = store(testSchema(), { pool })
    await runs.ready()
    const sent: unknown[] = []
    const send = pool.query.bind(pool) as (...args: unknown[]) => unknown
    pool.query = ((...args: unknown[]) => {
      sent.push(args[0])
      return send(...args)
    }) as typeof pool.query
    const lease = { instanceId: 'i-1', leaseMs: 60_000 }
    const snapshot = { input: { n: 1 }, position: 1, steps: {} }
    await Promise.all(['a', 'b', 'c'].map((id) => runs.workflowRuns.create(record(id, { status: 'running' }), lease)))
    expect(sent).toHaveLength(1)
    const outcomes = await Promise.all([
      runs.workflowRuns.checkpoint('wf', 'a', 1, snapshot, lease.leaseMs),
      runs.workflowRuns.finish('wf', 'b', 1, 'success', snapshot),
      runs.workflowRuns.finish('wf', 'c', 2, 'success', snapshot),
      runs.workflowRuns.create(record('d')),
    ])
    expect(outcomes).toEqual([true, true, false, undefined])
    expect(sent).toHaveLength(2)
    expect((await runs.workflowRuns.listByStatus('running')).map((run) => run.runId)).toEqual(['a', 'c'])
  })

  it('renews leases and checkpoints a group of the same runs at once without deadlocking, whatever order each lists them in', async () => {
    const schema = testSchema()
    const writer = store(schema, { connectionString: databaseUrl(), max: 2 })
    const heartbeat = store(schema, { connectionString: databaseUrl(), max: 2 })
    const lease = { instanceId: 'i-1', leaseMs: 60_000 }
    const ids = Array.from({ length: 20 }, (_, i) => `r${String(i).padStart(2, '0')}`)
    await Promise.all(ids.map((id) => writer.workflowRuns.create(record(id, { status: 'running' }), lease)))
    const db = await admin()
    // Enough other runs that both statements look their rows up by key rather than scan the table.
    await db.query(`INSERT INTO "${schema}".workflow_runs (workflow_id, run_id, status, snapshot, created_at, updated_at)
      SELECT 'wf', 'done-' || n, 'success', '{}', now(), now() FROM generate_series(1, 5000) AS n; ANALYZE "${schema}".workflow_runs`)
    // A third session holds the middle run, so both writes are under way at once when it lets go.
    await db.query('BEGIN')
    await db.query(`SELECT 1 FROM "${schema}".workflow_runs WHERE workflow_id = 'wf' AND run_id = 'r10' FOR UPDATE`)
    const held = ids.map((runId) => ({ workflowId: 'wf', runId, token: 1 }))
    const snapshot = { input: { n: 1 }, position: 1, steps: {} }
    const renewed = heartbeat.workflowRuns.renew(held, lease.leaseMs)
    const checkpointed = Promise.all([...ids].reverse().map((id) => writer.workflowRuns.checkpoint('wf', id, 1, snapshot, lease.leaseMs)))
    const waiting = `SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 in query) > 0`

    // Watched from a session of its own: inside a transaction the activity view stays as first read.
    const watcher = await admin()
    await eventually(async () => (await watcher.query<{ n: number }>(waiting, [schema])).rows[0].n === 2)
    await db.query('COMMIT')
    expect(await renewed).toHaveLength(ids.length)
    expect(await checkpointed).toEqual(ids.map(() => true))
  })

  it('keeps writing other runs while the write of one run waits for a lock, and then writes that run in order', async () => {
    const schema = testSchema()
    const runs = store(schema, { connectionString: databaseUrl(), max: 4 })
    const lease = { instanceId: 'i-1', leaseMs: 60_000 }
    await Promise.all(['stuck', 'free'].map((id) => runs.workflowRuns.create(record(id, { status: 'running' }), lease)))
    const db = await admin()
    await db.query('BEGIN')
    await db.query(`SELECT 1 FROM "${schema}".workflow_runs WHERE run_id = 'stuck' FOR UPDATE`)
    const step = (position: number) => ({ input: { n: 1 }, position, steps: {} })
    const first = runs.workflowRuns.checkpoint('wf', 'stuck', 1, step(1), lease.leaseMs)
    const second = runs.workflowRuns.finish('wf', 'stuck', 1, 'success', step(2))
    // Asked for in a later turn, after the stuck run's second write had to wait for its first.
    await new Promise((resolve) => setImmediate(resolve))
    expect(await runs.workflowRuns.checkpoint('wf', 'free', 1, step(5), lease.leaseMs)).toBe(true)
    expect(await runs.workflowRuns.finish('wf', 'free', 1, 'success', step(6))).toBe(true)
    await db.query('COMMIT')
    expect(await Promise.all([first, second])).toEqual([true, true])
    expect(await runs.workflowRuns.get('wf', 'stuck')).toMatchObject({ status: 'success', snapshot: { position: 2 } })
  })

  it('names what is missing when neither a connection string nor a pool is given', () => {
    expect(() => new PostgresStore({ connectionString: '' })).toThrow(/connectionString/)
  })
})
