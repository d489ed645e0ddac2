import type { WorkingMemoryScope, WorkingMemoryStore } from '../types.js'
import { query, transaction, type PgContext } from './sql.js'

// Namespaces the per-row advisory locks of read-modify-write updates.
const UPDATE_LOCK = 0x616d776d

/** Working memory rows in PostgreSQL, one per (scope, thread or resource id). */
export class PgWorkingMemoryStore implements WorkingMemoryStore {
  readonly #pg: PgContext
  readonly #get: string
  readonly #set: string

  constructor(pg: PgContext) {
    this.#pg = pg
    this.#get = `SELECT value FROM ${pg.schema}.working_memory WHERE scope = $1 AND owner_id = $2`
    this.#set = `INSERT INTO ${pg.schema}.working_memory (scope, owner_id, value, updated_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (scope, owner_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
  }

  async getWorkingMemory(scope: WorkingMemoryScope, id: string): Promise<string | null> {
    const { rows } = await query<{ value: string }>(this.#pg, this.#get, [scope, id])
    return rows[0]?.value ?? null
  }

  async setWorkingMemory(scope: WorkingMemoryScope, id: string, value: string): Promise<void> {
    await query(this.#pg, this.#set, [scope, id, value, new Date()])
  }

  async updateWorkingMemory(scope: WorkingMemoryScope, id: string, update: (current: string | null) => string): Promise<string> {
    return transaction(this.#pg, async (client) => {
      // A row lock cannot guard a row that does not exist yet; this lock covers both cases.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [UPDATE_LOCK, `${scope}:${id}`])
      const { rows } = await client.query<{ value: string }>(this.#get, [scope, id])
      const next = update(rows[0]?.value ?? null)
      await client.query(this.#set, [scope, id, next, new Date()])
      return next
    })
  }
}
