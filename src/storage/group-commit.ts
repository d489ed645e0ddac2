import type Database from 'better-sqlite3'

export function isPrimaryKeyViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

// Taken at load so a test's fake timers cannot stall the store's writes.
const nextTurn = setImmediate

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/**
 * Group commit: the writes requested during one turn of the event loop (many runs under
 * load) are applied in order in one transaction, so they share one commit. Each caller's
 * promise settles only after that commit; a duplicate key fails its own write only.
 */
export class GroupCommit {
  readonly #db: Database.Database
  #queue: Array<{ write: () => unknown; resolve: (value: any) => void; reject: (err: unknown) => void }> = []

  constructor(db: Database.Database) {
    this.#db = db
  }

  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#queue.length === 0) nextTurn(() => this.#flush())
      this.#queue.push({ write, resolve, reject })
    })
  }

  #flush(): void {
    const batch = this.#queue
    this.#queue = []
    // The store may have been closed while the batch waited for its turn.
    if (!this.#db.open) {
      const closed = new Error('The SQLite store is closed')
      for (const { reject } of batch) reject(closed)
      return
    }
    const outcomes: Outcome[] = []
    try {
      this.#db.transaction(() => {
        for (const { write } of batch) {
          try {
            outcomes.push({ ok: true, value: write() })
          } catch (error) {
            // SQLite undoes just the failed statement here; anything else aborts the whole batch.
            if (!isPrimaryKeyViolation(error)) throw error
            outcomes.push({ ok: false, error })
          }
        }
      })()
    } catch (error) {
      for (const { reject } of batch) reject(error)
      return
    }
    batch.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i]
      if (outcome.ok) resolve(outcome.value)
      else reject(outcome.error)
    })
  }
}
