import type Database from 'better-sqlite3'
import type { WorkingMemoryScope, WorkingMemoryStore } from './types.js'

/** Working memory rows in SQLite, one per (scope, thread or resource id). */
export class SqliteWorkingMemoryStore implements WorkingMemoryStore {
  readonly #db: Database.Database
  readonly #get: Database.Statement<[string, string], string>
  readonly #set: Database.Statement<[string, string, string, number]>

  /** @internal */
  constructor(db: Database.Database) {
    this.#db = db
    this.#get = db.prepare<[string, string], string>(
      'SELECT value FROM working_memory WHERE scope = ? AND owner_id = ?',
    ).pluck()
    this.#set = db.prepare(
      `INSERT INTO working_memory (scope, owner_id, value, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (scope, owner_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    )
  }

  async getWorkingMemory(scope: WorkingMemoryScope, id: string): Promise<string | null> {
    return this.#get.get(scope, id) ?? null
  }

  async setWorkingMemory(scope: WorkingMemoryScope, id: string, value: string): Promise<void> {
    this.#set.run(scope, id, value, Date.now())
  }

  async updateWorkingMemory(
    scope: WorkingMemoryScope,
    id: string,
    update: (current: string | null) => string,
  ): Promise<string> {
    // IMMEDIATE holds the write lock from the read on, so another process cannot interleave.
    const apply = this.#db.transaction(() => {
      const next = update(this.#get.get(scope, id) ?? null)
      this.#set.run(scope, id, next, Date.now())
      return next
    })
    return apply.immediate()
  }
}
