import { createHash, randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { PostgresStore } from '../../src/storage/postgres/store.js'
import { SqliteStore } from '../../src/storage/sqlite.js'
import type { Store } from '../../src/storage/types.js'

/** Which store the suites run on: `AGENTMOUNT_STORE=postgres` (set per test project) or SQLite. */
export const storeKind: 'sqlite' | 'postgres' = process.env.AGENTMOUNT_STORE === 'postgres' ? 'postgres' : 'sqlite'

export function databaseUrl(): string {
  return inject('databaseUrl')
}

/**
 * Every schema a test file creates is its own (the process id and a random part in the name)
 * and is dropped when the file's tests are done (`postgres-cleanup.ts`), so test files, and
 * other people's runs on the same server, never see each other's rows.
 */
const schemas = new Set<string>()
/** Migrated schemas whose store was closed: emptied, ready for the next test's store. */
const idle: string[] = []
let pool: pg.Pool | undefined

function sharedPool(): pg.Pool {
  pool ??= new pg.Pool({ connectionString: databaseUrl(), max: 8 })
  return pool
}

/** The same `key` gives the same schema, as one file path gives one SQLite database. */
export function testSchema(key?: string): string {
  const suffix = key === undefined ? randomBytes(6).toString('hex') : createHash('sha256').update(key).digest('hex').slice(0, 12)
  const schema = `amtest_${process.pid}_${suffix}`
  schemas.add(schema)
  return schema
}

export async function dropTestSchemas(): Promise<void> {
  if (schemas.size === 0 && !pool) return
  const client = new pg.Client({ connectionString: databaseUrl() })
  await client.connect()
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    schemas.clear()
    idle.length = 0
  } finally {
    await client.end()
    await pool?.end()
    pool = undefined
  }
}

/** A store that, once closed, empties its schema for the next test instead of dropping it. */
class RecycledStore extends PostgresStore {
  override async close(): Promise<void> {
    await super.close()
    const tables = await sharedPool().query<{ name: string }>(
      "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'",
      [this.schema],
    )
    if (tables.rows.length > 0) await sharedPool().query(`TRUNCATE ${tables.rows.map((t) => t.name).join(', ')} RESTART IDENTITY`)
    idle.push(this.schema)
  }
}

/**
 * A Postgres store on an empty schema. With `key`, a schema that every store opened with the
 * same key shares, on a pool of its own (closing it really closes, like a process going away).
 */
export function postgresStore(key?: string): PostgresStore {
  if (key !== undefined) return new PostgresStore({ connectionString: databaseUrl() }, { schema: testSchema(key) })
  return new RecycledStore({ pool: sharedPool() }, { schema: idle.pop() ?? testSchema() })
}

/**
 * The store a conformance test asks for: `':memory:'` (or nothing) is a fresh empty store,
 * a file path is a database that another store opened on the same path shares.
 */
export function openTestStore(path?: string): Store {
  const shared = path !== undefined && path !== ':memory:'
  if (storeKind === 'postgres') return postgresStore(shared ? path : undefined)
  return new SqliteStore(shared ? path : ':memory:')
}
