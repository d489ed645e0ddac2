import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { createRequire } from 'node:module'
import type Database from 'better-sqlite3'
import { migrate } from './migrations.js'
import { SqliteThreadStore } from './sqlite-threads.js'
import { SqliteWorkingMemoryStore } from './sqlite-working-memory.js'
import { SqliteWorkflowRuns } from './sqlite-workflow-runs.js'
import { SqliteAgentRuns } from './sqlite-agent-runs.js'
import { GroupCommit } from './group-commit.js'
import type { Store } from './types.js'

export const DEFAULT_SQLITE_PATH = '.agentmount/data.db'

export interface SqliteStoreOptions {
  /** Database file; default `.agentmount/data.db` under the working directory; `':memory:'` allowed. */
  path?: string
  /** How long a write waits for another connection's lock before failing (ms, default 5000). */
  busyTimeoutMs?: number
}

/**
 * The default store: one SQLite file (WAL) holding threads, messages, working memory,
 * workflow runs and agent runs. Opens and migrates the file when constructed.
 *
 * @example
 * createRuntime({ agents, store: new SqliteStore({ path: './data/agents.db' }) })
 */
export class SqliteStore implements Store {
  readonly path: string
  /** @internal The open connection, for the kit's own tests. */
  readonly db: Database.Database
  readonly threads: SqliteThreadStore
  readonly workingMemory: SqliteWorkingMemoryStore
  readonly workflowRuns: SqliteWorkflowRuns
  readonly agentRuns: SqliteAgentRuns

  constructor(options: SqliteStoreOptions | string = {}) {
    const config = typeof options === 'string' ? { path: options } : options
    this.path = config.path ?? DEFAULT_SQLITE_PATH
    const inMemory = this.path === ':memory:' || this.path === ''
    if (!inMemory) mkdirSync(dirname(this.path), { recursive: true })
    this.db = openDatabase(this.path)
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
    // One group commit for both run domains: their writes of one event-loop turn share a transaction.
    const writes = new GroupCommit(this.db)
    this.workflowRuns = new SqliteWorkflowRuns(this.db, writes)
    this.agentRuns = new SqliteAgentRuns(this.db, writes)
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

/** Opens the file; a missing or mismatched native addon fails with the fix instead of a loader stack. */
function openDatabase(path: string): Database.Database {
  try {
    return new (openDriver())(path)
  } catch (err) {
    if (!isMissingAddon(err)) throw err
    throw new Error(
      `SqliteStore needs better-sqlite3's native addon, which is missing or was built for another Node.js (this is ${process.version}). ` +
        'It is compiled when better-sqlite3 installs: run `npm rebuild better-sqlite3` after installing with --ignore-scripts or switching Node.js; ' +
        'under pnpm, allow its build (`pnpm approve-builds`) and reinstall.',
      { cause: err },
    )
  }
}

function isMissingAddon(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown }
  return code === 'ERR_DLOPEN_FAILED' || (typeof message === 'string' && message.startsWith('Could not locate the bindings file'))
}
