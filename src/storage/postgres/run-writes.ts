import type { WorkflowRunRecord, WorkflowRunStatus } from '../workflow-runs.js'
import type { WorkflowSnapshot } from '../workflow-snapshot.js'
import { query, type PgContext } from './sql.js'

// Taken at load so a test's fake timers cannot stall the store's writes.
const nextTurn = setImmediate

/** A run inserted; `leaseMs` puts a running run under a lease with fencing token 1. */
export interface InsertWrite extends WorkflowRunRecord {
  kind: 'insert'
  leaseOwner: string | null
  leaseMs: number | null
}

/** The snapshot of a running run stored and its lease extended, if `token` still holds it. */
export interface CheckpointWrite {
  kind: 'checkpoint'
  workflowId: string
  runId: string
  token: number
  snapshot: WorkflowSnapshot
  updatedAt: Date
  leaseMs: number
}

/** The final status and snapshot stored and the lease ended, if `token` still holds the run. */
export interface FinishWrite {
  kind: 'finish'
  workflowId: string
  runId: string
  token: number
  status: WorkflowRunStatus
  snapshot: WorkflowSnapshot
  updatedAt: Date
}

export type RunWrite = InsertWrite | CheckpointWrite | FinishWrite

interface Pending {
  write: RunWrite
  key: string
  /** The row as JSON, snapshot included, encoded when the write was asked for. */
  row: string
  resolve: (applied: boolean) => void
  reject: (err: unknown) => void
}

const keyOf = (write: RunWrite) => `${write.workflowId}\u0000${write.runId}`

/**
 * Group commit for the writes of executing workflow runs: the inserts, checkpoints and finishes
 * asked for during one turn of the event loop (many runs under load) go out as one statement,
 * so they share one round trip and one commit. Each row keeps its own guard (a checkpoint or
 * finish applies only while its fencing token holds the run; an insert only when the id is
 * free), and each caller learns whether its own row was applied. Writes of one run go out in
 * call order, never two in one statement.
 */
export class PgRunWrites {
  readonly #pg: PgContext
  readonly #statement: string
  #queue: Pending[] = []
  /** Runs with a write in a statement under way: their next writes wait for it, other runs' do not. */
  readonly #busy = new Set<string>()
  #scheduled = false

  constructor(pg: PgContext) {
    this.#pg = pg
    // Unnamed, as every statement here: a named one would not survive a pooler in transaction mode.
    this.#statement = batchStatement(pg.schema)
  }

  /** Resolves to true when the row was written, false when its guard refused it. */
  apply(write: RunWrite): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      // Encoded now: the engine goes on changing the snapshot while the write waits for its turn.
      this.#queue.push({ write, key: keyOf(write), row: rowOf(write), resolve, reject })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    nextTurn(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush(): void {
    const batch: Pending[] = []
    const later: Pending[] = []
    const taken = new Set<string>()
    for (const pending of this.#queue) {
      // A run already in this batch or in one under way waits, and so does everything after it for that run.
      if (this.#busy.has(pending.key) || taken.has(pending.key)) later.push(pending)
      else batch.push(pending)
      taken.add(pending.key)
    }
    this.#queue = later
    if (batch.length === 0) return
    for (const { key } of batch) this.#busy.add(key)
    void this.#send(batch).finally(() => {
      for (const { key } of batch) this.#busy.delete(key)
      if (this.#queue.length > 0) this.#schedule()
    })
  }

  async #send(batch: Pending[]): Promise<void> {
    const rows = batch.map(({ row }, i) => `{"i":${i},${row.slice(1)}`)
    let applied: Set<number>
    try {
      const result = await query<{ i: number }>(this.#pg, this.#statement, [`[${rows.join(',')}]`])
      applied = new Set(result.rows.map((row) => row.i))
    } catch (err) {
      for (const { reject } of batch) reject(err)
      return
    }
    batch.forEach(({ resolve }, i) => resolve(applied.has(i)))
  }
}

/** One row of the batch, as the statement reads it back with `json_to_recordset` (the snapshot nested as it is). */
function rowOf(write: RunWrite): string {
  return JSON.stringify(fieldsOf(write))
}

function fieldsOf(write: RunWrite): Record<string, unknown> {
  const common = { k: write.kind, w: write.workflowId, r: write.runId, s: write.snapshot, u: write.updatedAt }
  switch (write.kind) {
    case 'insert':
      return { ...common, st: write.status, res: write.resourceId, c: write.createdAt, o: write.leaseOwner, ms: write.leaseMs }
    case 'checkpoint':
      return { ...common, t: write.token, ms: write.leaseMs }
    case 'finish':
      return { ...common, t: write.token, st: write.status }
  }
}

/**
 * Rows are locked in key order before any is changed, as a lease renewal locks them: two
 * statements taking the same runs in different orders would deadlock.
 */
function batchStatement(S: string): string {
  const lease = `now() + b.ms * interval '1 millisecond'`
  const guarded = `JOIN locked l ON l.workflow_id = b.w AND l.run_id = b.r
        WHERE r.workflow_id = b.w AND r.run_id = b.r AND r.status = 'running' AND r.lease_token = b.t`
  return `WITH b AS (
      SELECT * FROM json_to_recordset($1::json) AS b(i int, k text, w text, r text, s json, u timestamptz,
        st text, res text, c timestamptz, o text, ms bigint, t bigint)),
    locked AS MATERIALIZED (
      SELECT x.workflow_id, x.run_id FROM ${S}.workflow_runs x JOIN b ON b.k <> 'insert' AND x.workflow_id = b.w AND x.run_id = b.r
      ORDER BY x.workflow_id, x.run_id FOR UPDATE OF x),
    inserted AS (
      INSERT INTO ${S}.workflow_runs (workflow_id, run_id, resource_id, status, snapshot, created_at, updated_at,
          lease_owner, lease_expires_at, lease_token)
        SELECT b.w, b.r, b.res, b.st, b.s, b.c, b.u, b.o, CASE WHEN b.ms IS NULL THEN NULL ELSE ${lease} END,
          CASE WHEN b.ms IS NULL THEN 0 ELSE 1 END
        FROM b WHERE b.k = 'insert' ORDER BY b.i
      ON CONFLICT DO NOTHING
      RETURNING workflow_id, run_id),
    checkpointed AS (
      UPDATE ${S}.workflow_runs r SET snapshot = b.s, updated_at = b.u, lease_expires_at = ${lease}
        FROM b ${guarded} AND b.k = 'checkpoint'
      RETURNING b.i),
    finished AS (
      UPDATE ${S}.workflow_runs r SET status = b.st, snapshot = b.s, updated_at = b.u, lease_owner = NULL, lease_expires_at = NULL
        FROM b ${guarded} AND b.k = 'finish'
      RETURNING b.i)
    SELECT b.i FROM inserted JOIN b ON b.k = 'insert' AND b.w = inserted.workflow_id AND b.r = inserted.run_id
    UNION ALL SELECT i FROM checkpointed
    UNION ALL SELECT i FROM finished`
}
