import type { Pool, PoolClient, QueryResultRow } from 'pg'

/** What the domain stores need from the connection: the pool, the schema and a transaction. */
export interface PgContext {
  readonly pool: Pool
  /** The schema, quoted for use in SQL text. */
  readonly schema: string
  /** Resolves once migrations ran; every query waits for it. */
  ready(): Promise<void>
}

/** Quotes an identifier; schema names come from configuration, never from requests. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

export async function query<R extends QueryResultRow>(
  pg: PgContext,
  text: string,
  values: unknown[] = [],
): Promise<{ rows: R[]; rowCount: number }> {
  await pg.ready()
  const result = await pg.pool.query<R>(text, values)
  return { rows: result.rows, rowCount: result.rowCount ?? 0 }
}

/** Runs `work` in one transaction on one pooled connection; rolls back when it throws. */
export async function transaction<T>(pg: PgContext, work: (client: PoolClient) => Promise<T>): Promise<T> {
  await pg.ready()
  const client = await pg.pool.connect()
  // A connection whose ROLLBACK failed is broken: the pool destroys it instead of reusing it.
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const value = await work(client)
    await client.query('COMMIT')
    return value
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError))
    throw err
  } finally {
    client.release(broken)
  }
}

/** The SQLSTATE of a driver error, if it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
