import type { Notification, PoolClient } from 'pg'
import type { RunRef } from '../workflow-runs.js'
import type { PgContext } from './sql.js'

/** How long a dropped listening connection waits before it connects again. */
const RECONNECT_MS = 1_000

/** The channel name for a schema; the same string goes to `LISTEN` (quoted) and `pg_notify`. */
export function cancelChannel(schema: string): string {
  return `${schema}.run_canceled`
}

/**
 * One pooled connection that LISTENs for canceled runs while anyone subscribes, and hands
 * each notification (`[workflowId, runId]`) to the subscribers. A dropped connection is
 * reported and replaced; the heartbeats cover what it missed meanwhile.
 */
export class PgCancelListener {
  readonly #pg: PgContext
  /** The channel `pg_notify` sends cancels on. */
  readonly channel: string
  readonly #onError: (error: unknown) => void
  readonly #listeners = new Set<(run: RunRef) => void>()
  #client: PoolClient | undefined
  /** The handlers on `#client`, taken off before it goes back to the pool. */
  #detach: (() => void) | undefined
  #connecting: Promise<void> | undefined
  #closed = false

  constructor(pg: PgContext, schema: string, onError: (error: unknown) => void) {
    this.#pg = pg
    this.channel = cancelChannel(schema)
    this.#onError = onError
  }

  async subscribe(listener: (run: RunRef) => void): Promise<() => Promise<void>> {
    this.#listeners.add(listener)
    await this.#connect()
    return async () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) await this.#disconnect()
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#listeners.clear()
    await this.#disconnect()
  }

  #connect(): Promise<void> {
    if (this.#client || this.#closed) return Promise.resolve()
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined))
    return this.#connecting
  }

  async #open(): Promise<void> {
    await this.#pg.ready()
    const client = await this.#pg.pool.connect()
    const onNotification = (message: Notification) => {
      if (message.channel !== this.channel || message.payload === undefined) return
      const [workflowId, runId] = JSON.parse(message.payload) as [string, string]
      for (const listener of this.#listeners) listener({ workflowId, runId })
    }
    const onError = (error: Error) => this.#drop(client, error)
    client.on('notification', onNotification)
    client.on('error', onError)
    const detach = () => {
      client.off('notification', onNotification)
      client.off('error', onError)
    }
    try {
      await client.query(`LISTEN "${this.channel.replace(/"/g, '""')}"`)
    } catch (error) {
      detach()
      client.release(error as Error)
      throw error
    }
    this.#client = client
    this.#detach = detach
  }

  #drop(client: PoolClient, error: Error): void {
    if (this.#client !== client) return
    this.#client = undefined
    // Destroyed, never reused: its handlers stay, so a later error on it is still caught.
    client.release(error)
    this.#onError(error)
    if (this.#closed || this.#listeners.size === 0) return
    setTimeout(() => void this.#connect().catch(this.#onError), RECONNECT_MS).unref?.()
  }

  async #disconnect(): Promise<void> {
    // A failed connect was already reported to whoever subscribed.
    await this.#connecting?.catch(() => undefined)
    const client = this.#client
    this.#client = undefined
    if (!client) return
    this.#detach?.()
    // UNLISTEN before the connection goes back to the pool for other queries.
    try {
      await client.query('UNLISTEN *')
      client.release()
    } catch (error) {
      client.release(error as Error)
    }
  }
}
