import pg from 'pg'
import type { Store } from '../types.js'
import { migratePg } from './migrations.js'
import { quoteIdent, type PgContext } from './sql.js'
import { PgThreadStore } from './threads.js'
import { PgWorkflowRuns } from './workflow-runs.js'
import { PgCancelListener } from './notifications.js'
import { PgAgentRuns } from './agent-runs.js'
import { PgWorkingMemoryStore } from './working-memory.js'

export type PostgresConnection = { connectionString: string; max?: number } | { pool: pg.Pool }

export interface PostgresStoreOptions {
  /** Schema holding the tables; created on first use (default `agentmount`). */
  schema?: string
  /**
   * Errors of idle pooled connections (a server restart) and of the connection listening for
   * canceled runs; the pool replaces them either way.
   */
  onError?: (error: Error) => void
}

/**
 * A store in PostgreSQL that several app instances share. Creates its schema and runs pending
 * migrations on first use. With `connectionString` the store owns a pool of at most `max`
 * connections (default 10) and closes it in `close()`; a `pool` you pass stays yours.
 *
 * @example
 * createRuntime({ agents, store: new PostgresStore({ connectionString: process.env.DATABASE_URL }) })
 */
export class PostgresStore implements Store {
  readonly schema: string
  readonly threads: PgThreadStore
  readonly workingMemory: PgWorkingMemoryStore
  readonly workflowRuns: PgWorkflowRuns
  readonly agentRuns: PgAgentRuns
  readonly #pool: pg.Pool
  readonly #ownsPool: boolean
  readonly #onIdleError: (error: Error) => void
  readonly #cancels: PgCancelListener
  #ready: Promise<void> | undefined
  #closed = false

  constructor(connection: PostgresConnection, options: PostgresStoreOptions = {}) {
    this.schema = options.schema ?? 'agentmount'
    if ('pool' in connection) {
      this.#pool = connection.pool
      this.#ownsPool = false
    } else {
      if (typeof connection.connectionString !== 'string' || connection.connectionString === '') {
        throw new TypeError('PostgresStore needs a connectionString (for example process.env.DATABASE_URL) or a pool')
      }
      this.#pool = new pg.Pool({ connectionString: connection.connectionString, max: connection.max ?? 10 })
      this.#ownsPool = true
    }
    // Without a listener an idle connection's error (the server restarting) would crash the process.
    this.#onIdleError = (error) => options.onError?.(error)
    this.#pool.on('error', this.#onIdleError)
    const context: PgContext = { pool: this.#pool, schema: quoteIdent(this.schema), ready: () => this.ready() }
    this.threads = new PgThreadStore(context)
    this.workingMemory = new PgWorkingMemoryStore(context)
    this.#cancels = new PgCancelListener(context, this.schema, (error) => options.onError?.(error as Error))
    this.workflowRuns = new PgWorkflowRuns(context, this.#cancels)
    this.agentRuns = new PgAgentRuns(context)
  }

  /** Creates the schema and applies pending migrations, once; every query awaits it. */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('PostgresStore is closed'))
    this.#ready ??= this.#migrate().catch((err: unknown) => {
      // A failed attempt (server not up yet) is retried by the next query.
      this.#ready = undefined
      throw err
    })
    return this.#ready
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await migratePg(client, this.schema)
    } catch (err) {
      // Destroying the connection rolls back the half-done migration transaction.
      client.release(err as Error)
      throw err
    }
    client.release()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // Its connection goes back to the pool (a pool passed in stays usable) before the pool ends.
    await this.#cancels.close()
    this.#pool.off('error', this.#onIdleError)
    if (this.#ownsPool) await this.#pool.end()
  }
}
