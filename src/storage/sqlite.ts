import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { createRequire } from 'node:module'
import type Database from 'better-sqlite3'
import { migrate } from './migrations.js'
import { SqliteThreadStore } from './sqlite-threads.js'
import { SqliteWorkingMemoryStore } from './sqlite-working-memory.js'
import { SqliteWorkflowRuns } from './sqlite-workflow-runs.js'
import type { Store } from './types.js'

export const DEFAULT_SQLITE_PATH = '.agentmount/data.db'

export interface SqliteStoreOptions {
  /** Database file; default `.agentmount/data.db` under the working directory; `':memory:'` allowed. */
  path?: string
  /** How long a write waits for another connection's lock before failing (ms, default 5000). */
  busyTimeoutMs?: number
}

/**
 * The default store: one SQLite file (WAL) holding threads, messages, working memory
 * and workflow runs. Opens and migrates the file when constructed.
 *
 * @example
 * createRuntime({ agents, store: new SqliteStore({ path: './data/agents.db' }) })
 */
export class SqliteStore implements Store {
  readonly path: string
  readonly db: Database.Database
  readonly threads: SqliteThreadStore
  readonly workingMemory: SqliteWorkingMemoryStore
  readonly workflowRuns: SqliteWorkflowRuns

  constructor(options: SqliteStoreOptions | string = {}) {
    const config = typeof options === 'string' ? { path: options } : options
    this.path = config.path ?? DEFAULT_SQLITE_PATH
    const inMemory = this.path === ':memory:' || this.path === ''
    if (!inMemory) mkdirSync(dirname(this.path), { recursive: true })
    this.db = new (openDriver())(this.path)
    // busy_timeout first, so even the WAL switch waits for a concurrent opener.
    this.db.pragma(`busy_timeout = ${config.busyTimeoutMs ?? 5000}`)
    if (!inMemory) this.db.pragma('journal_mode = WAL')
    // NORMAL is crash-safe in WAL mode; only a power loss can drop the last commits.
    this.db.pragma('synchronous = NORMAL')
    this.db.pragma('foreign_keys = ON')
    try {
      migrate(this.db)
    } catch (err) {
      this.db.close()
      throw err
    }
    this.threads = new SqliteThreadStore(this.db)
    this.workingMemory = new SqliteWorkingMemoryStore(this.db)
    this.workflowRuns = new SqliteWorkflowRuns(this.db)
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
  }
}

let driver: typeof Database | undefined

/** The native driver loads with the first store, not with the package: most mounts open it later. */
function openDriver(): typeof Database {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database
  return driver
}
