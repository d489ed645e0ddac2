import type { PoolClient } from 'pg'
import { quoteIdent } from './sql.js'

/** One forward-only schema step, recorded in `<schema>.schema_migrations` once applied. */
export interface PgMigration {
  version: number
  description: string
  /** SQL for the step; `S` is the quoted schema name. */
  sql: (S: string) => string
}

export const pgMigrations: PgMigration[] = [
  {
    version: 1,
    description: 'threads, messages, working memory, workflow runs',
    sql: (S) => `
      CREATE TABLE ${S}.threads (
        id TEXT PRIMARY KEY,
        resource_id TEXT NOT NULL,
        title TEXT,
        -- json, not jsonb: objects come back with their keys in the order they were saved.
        metadata JSON NOT NULL,
        created_at TIMESTAMPTZ(3) NOT NULL,
        updated_at TIMESTAMPTZ(3) NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0,
        seq BIGSERIAL NOT NULL);
      CREATE INDEX threads_by_resource_updated ON ${S}.threads (resource_id, updated_at, seq);
      CREATE INDEX threads_by_resource_created ON ${S}.threads (resource_id, created_at, seq);
      CREATE INDEX threads_by_updated ON ${S}.threads (updated_at, seq);
      CREATE INDEX threads_by_created ON ${S}.threads (created_at, seq);

      CREATE TABLE ${S}.messages (
        id TEXT PRIMARY KEY,
        thread_id TEXT NOT NULL REFERENCES ${S}.threads (id) ON DELETE CASCADE,
        resource_id TEXT NOT NULL,
        role TEXT NOT NULL,
        content JSON NOT NULL,
        created_at TIMESTAMPTZ(3) NOT NULL,
        seq BIGSERIAL NOT NULL);
      CREATE INDEX messages_by_thread ON ${S}.messages (thread_id, created_at, seq);

      -- Keeps the page total O(1): counting a long thread on every page read is a scan.
      CREATE FUNCTION ${S}.count_messages() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE ${S}.threads SET message_count = message_count + 1 WHERE id = NEW.thread_id;
        ELSE
          UPDATE ${S}.threads SET message_count = message_count - 1 WHERE id = OLD.thread_id;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER messages_count AFTER INSERT OR DELETE ON ${S}.messages
        FOR EACH ROW EXECUTE FUNCTION ${S}.count_messages();

      CREATE TABLE ${S}.working_memory (
        scope TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TIMESTAMPTZ(3) NOT NULL,
        PRIMARY KEY (scope, owner_id));
      CREATE FUNCTION ${S}.drop_thread_working_memory() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM ${S}.working_memory WHERE scope = 'thread' AND owner_id = OLD.id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER threads_drop_working_memory AFTER DELETE ON ${S}.threads
        FOR EACH ROW EXECUTE FUNCTION ${S}.drop_thread_working_memory();

      CREATE TABLE ${S}.workflow_runs (
        workflow_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        resource_id TEXT,
        status TEXT NOT NULL,
        snapshot JSON NOT NULL,
        created_at TIMESTAMPTZ(3) NOT NULL,
        updated_at TIMESTAMPTZ(3) NOT NULL,
        seq BIGSERIAL NOT NULL,
        PRIMARY KEY (workflow_id, run_id));
      CREATE INDEX workflow_runs_by_created ON ${S}.workflow_runs (workflow_id, created_at DESC, seq DESC);
      CREATE INDEX workflow_runs_by_resource ON ${S}.workflow_runs (resource_id, workflow_id, created_at DESC, seq DESC);
      CREATE INDEX workflow_runs_by_status ON ${S}.workflow_runs (status);
    `,
  },
  {
    version: 2,
    description: 'agent runs and their event logs',
    sql: (S) => `
      CREATE TABLE ${S}.agent_runs (
        run_id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        thread_id TEXT,
        resource_id TEXT,
        status TEXT NOT NULL,
        model JSON NOT NULL,
        steps JSON NOT NULL,
        usage JSON NOT NULL,
        finish_reason TEXT,
        error JSON NOT NULL,
        pending JSON NOT NULL,
        state JSON NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 0,
        created_at TIMESTAMPTZ(3) NOT NULL,
        updated_at TIMESTAMPTZ(3) NOT NULL,
        finished_at TIMESTAMPTZ(3),
        seq BIGSERIAL NOT NULL);
      CREATE INDEX agent_runs_by_agent ON ${S}.agent_runs (agent_id, created_at DESC, seq DESC);
      CREATE INDEX agent_runs_by_resource ON ${S}.agent_runs (resource_id, agent_id, created_at DESC, seq DESC);
      CREATE INDEX agent_runs_by_thread ON ${S}.agent_runs (thread_id, status);
      CREATE INDEX agent_runs_by_finished ON ${S}.agent_runs (finished_at);

      CREATE TABLE ${S}.agent_run_events (
        run_id TEXT NOT NULL REFERENCES ${S}.agent_runs (run_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        data JSON NOT NULL,
        PRIMARY KEY (run_id, seq));
    `,
  },
  {
    version: 3,
    description: 'full-text index over message text',
    // 'simple': no stemming and no stop words, so a term matches here as it does in SQLite.
    sql: (S) => `
      ALTER TABLE ${S}.messages ADD COLUMN search tsvector
        GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(content->>'content', ''))) STORED;
      CREATE INDEX messages_search ON ${S}.messages USING GIN (search);
    `,
  },
  {
    version: 4,
    description: 'workflow run leases',
    // A running run's owner instance, lease expiry (by the database's clock) and fencing token.
    sql: (S) => `
      ALTER TABLE ${S}.workflow_runs
        ADD COLUMN lease_owner TEXT,
        ADD COLUMN lease_expires_at TIMESTAMPTZ(3),
        ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 5,
    description: 'agent run cost and time to first token',
    // One JSON object: { cost, timeToFirstTokenMs }, written when a run finishes.
    sql: (S) => `ALTER TABLE ${S}.agent_runs ADD COLUMN metrics JSON;`,
  },
  {
    version: 6,
    description: 'agent run events stored in batches',
    // One row per write of a run's log: the events first_seq..last_seq, as one JSON array.
    sql: (S) => `
      CREATE TABLE ${S}.agent_run_log (
        run_id TEXT NOT NULL REFERENCES ${S}.agent_runs (run_id) ON DELETE CASCADE,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        events JSON NOT NULL,
        PRIMARY KEY (run_id, first_seq));
      INSERT INTO ${S}.agent_run_log (run_id, first_seq, last_seq, events)
        SELECT run_id, seq, seq, json_build_array(data) FROM ${S}.agent_run_events;
      DROP TABLE ${S}.agent_run_events;
    `,
  },
  {
    version: 7,
    description: 'agent run leases',
    // A running run's lease expiry (by the database's clock), pushed forward by the instance
    // executing it. Runs left running by a release without leases get one that expired at their last write.
    sql: (S) => `
      ALTER TABLE ${S}.agent_runs ADD COLUMN lease_expires_at TIMESTAMPTZ(3);
      UPDATE ${S}.agent_runs SET lease_expires_at = updated_at WHERE status = 'running';
      CREATE INDEX agent_runs_by_lease ON ${S}.agent_runs (lease_expires_at) WHERE status = 'running';
    `,
  },
]

// Arbitrary constant namespacing our advisory locks from the app's own.
const LOCK_NAMESPACE = 0x616d6e74

/**
 * Brings `schema` to the newest version and returns it. Runs in one transaction under an
 * advisory lock keyed by the schema, so instances starting together migrate once and a
 * failing step leaves the schema as it was. A schema written by a newer release is refused.
 */
export async function migratePg(client: PoolClient, schema: string, steps: readonly PgMigration[] = pgMigrations): Promise<number> {
  steps.forEach((step, index) => {
    if (step.version !== index + 1) throw new Error(`Migration ${step.version} is out of order`)
  })
  const latest = steps.length === 0 ? 0 : steps[steps.length - 1].version
  const S = quoteIdent(schema)
  // On a failure the caller destroys the connection, which rolls the transaction back.
  await client.query('BEGIN')
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACE, schema])
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`)
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${S}.schema_migrations (
       version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
  )
  const { rows } = await client.query<{ current: number }>(`SELECT COALESCE(MAX(version), 0) AS current FROM ${S}.schema_migrations`)
  const current = rows[0].current
  if (current > latest) {
    throw new Error(`Database schema ${schema} is at version ${current}, newer than this agentmount supports (${latest}); upgrade agentmount to open it`)
  }
  for (const step of steps) {
    if (step.version <= current) continue
    await client.query(step.sql(S))
    await client.query(`INSERT INTO ${S}.schema_migrations (version, description) VALUES ($1, $2)`, [step.version, step.description])
  }
  await client.query('COMMIT')
  return Math.max(current, latest)
}
