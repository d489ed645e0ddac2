import type Database from 'better-sqlite3'

/** One forward-only schema step; step N brings `PRAGMA user_version` from N-1 to N. */
export interface Migration {
  version: number
  description: string
  up: (db: Database.Database) => void
}

export const migrations: Migration[] = [
  {
    version: 1,
    description: 'threads, messages, working memory, workflow runs',
    up: (db) => {
      db.exec(`
        CREATE TABLE threads (
          id TEXT PRIMARY KEY,
          resource_id TEXT NOT NULL,
          title TEXT,
          metadata TEXT NOT NULL DEFAULT '{}',
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          message_count INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX threads_by_resource_updated ON threads (resource_id, updated_at);
        CREATE INDEX threads_by_resource_created ON threads (resource_id, created_at);
        CREATE INDEX threads_by_updated ON threads (updated_at);
        CREATE INDEX threads_by_created ON threads (created_at);

        CREATE TABLE messages (
          id TEXT PRIMARY KEY,
          thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
          resource_id TEXT NOT NULL,
          role TEXT NOT NULL,
          content TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          seq INTEGER NOT NULL);
        CREATE INDEX messages_by_thread ON messages (thread_id, created_at, seq);
        CREATE INDEX messages_by_seq ON messages (seq);

        -- Keeps the page total O(1): counting a long thread on every page read is a scan.
        CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
          UPDATE threads SET message_count = message_count + 1 WHERE id = NEW.thread_id;
        END;
        CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
          UPDATE threads SET message_count = message_count - 1 WHERE id = OLD.thread_id;
        END;

        CREATE TABLE working_memory (
          scope TEXT NOT NULL,
          owner_id TEXT NOT NULL,
          value TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (scope, owner_id)) WITHOUT ROWID;
        CREATE TRIGGER threads_drop_working_memory AFTER DELETE ON threads BEGIN
          DELETE FROM working_memory WHERE scope = 'thread' AND owner_id = OLD.id;
        END;

        CREATE TABLE workflow_runs (
          workflow_id TEXT NOT NULL, run_id TEXT NOT NULL, resource_id TEXT,
          status TEXT NOT NULL, snapshot TEXT NOT NULL,
          created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
          PRIMARY KEY (workflow_id, run_id));
        CREATE INDEX workflow_runs_by_created ON workflow_runs (workflow_id, created_at DESC);
        CREATE INDEX workflow_runs_by_resource ON workflow_runs (resource_id, workflow_id, created_at DESC);
        CREATE INDEX workflow_runs_by_status ON workflow_runs (status);
      `)
    },
  },
  {
    version: 2,
    description: 'agent runs and their event logs',
    up: (db) => {
      db.exec(`
        CREATE TABLE agent_runs (
          run_id TEXT PRIMARY KEY,
          agent_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          thread_id TEXT,
          resource_id TEXT,
          status TEXT NOT NULL,
          model TEXT NOT NULL,
          steps TEXT NOT NULL,
          usage TEXT NOT NULL,
          finish_reason TEXT,
          error TEXT NOT NULL,
          pending TEXT NOT NULL,
          state TEXT NOT NULL,
          last_seq INTEGER NOT NULL DEFAULT 0,
          version INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          finished_at INTEGER);
        CREATE INDEX agent_runs_by_agent ON agent_runs (agent_id, created_at DESC);
        CREATE INDEX agent_runs_by_resource ON agent_runs (resource_id, agent_id, created_at DESC);
        CREATE INDEX agent_runs_by_thread ON agent_runs (thread_id, status);
        CREATE INDEX agent_runs_by_finished ON agent_runs (finished_at);

        CREATE TABLE agent_run_events (
          run_id TEXT NOT NULL REFERENCES agent_runs (run_id) ON DELETE CASCADE,
          seq INTEGER NOT NULL,
          data TEXT NOT NULL,
          PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
      `)
    },
  },
  {
    version: 3,
    description: 'full-text index over message text',
    up: (db) => {
      // Contentless: the text stays in messages.content only; rows are keyed by the message's
      // seq (unique, and unlike a rowid of a table without an integer key, stable across VACUUM).
      db.exec(`
        CREATE VIRTUAL TABLE message_search USING fts5(
          text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO message_search (rowid, text)
          SELECT seq, json_extract(content, '$.content') FROM messages WHERE json_extract(content, '$.content') IS NOT NULL;
        CREATE TRIGGER message_search_insert AFTER INSERT ON messages
          WHEN json_extract(NEW.content, '$.content') IS NOT NULL BEGIN
          INSERT INTO message_search (rowid, text) VALUES (NEW.seq, json_extract(NEW.content, '$.content'));
        END;
        CREATE TRIGGER message_search_update AFTER UPDATE OF content ON messages BEGIN
          DELETE FROM message_search WHERE rowid = OLD.seq;
          INSERT INTO message_search (rowid, text)
            SELECT NEW.seq, json_extract(NEW.content, '$.content') WHERE json_extract(NEW.content, '$.content') IS NOT NULL;
        END;
        CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
          DELETE FROM message_search WHERE rowid = OLD.seq;
        END;
      `)
    },
  },
  {
    version: 4,
    description: 'workflow run leases',
    up: (db) => {
      // A running run's owner instance, lease expiry (epoch ms) and fencing token.
      db.exec(`
        ALTER TABLE workflow_runs ADD COLUMN lease_owner TEXT;
        ALTER TABLE workflow_runs ADD COLUMN lease_expires_at INTEGER;
        ALTER TABLE workflow_runs ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
      `)
    },
  },
  {
    version: 5,
    description: 'agent run cost and time to first token',
    up: (db) => {
      // One JSON object: { cost, timeToFirstTokenMs }, written when a run finishes.
      db.exec('ALTER TABLE agent_runs ADD COLUMN metrics TEXT')
    },
  },
  {
    version: 6,
    description: 'agent run events stored in batches',
    up: (db) => {
      // One row per write of a run's log: the events first_seq..last_seq, as one JSON array.
      db.exec(`
        CREATE TABLE agent_run_log (
          run_id TEXT NOT NULL REFERENCES agent_runs (run_id) ON DELETE CASCADE,
          first_seq INTEGER NOT NULL,
          last_seq INTEGER NOT NULL,
          events TEXT NOT NULL,
          PRIMARY KEY (run_id, first_seq)) WITHOUT ROWID;
        INSERT INTO agent_run_log (run_id, first_seq, last_seq, events)
          SELECT run_id, seq, seq, '[' || data || ']' FROM agent_run_events;
        DROP TABLE agent_run_events;
      `)
    },
  },
  {
    version: 7,
    description: 'agent run leases',
    up: (db) => {
      // A running run's lease expiry (epoch ms), pushed forward by the instance executing it.
      // Runs left running by a release without leases get one that expired at their last write.
      db.exec(`
        ALTER TABLE agent_runs ADD COLUMN lease_expires_at INTEGER;
        UPDATE agent_runs SET lease_expires_at = updated_at WHERE status = 'running';
        CREATE INDEX agent_runs_by_lease ON agent_runs (lease_expires_at) WHERE status = 'running';
      `)
    },
  },
  {
    version: 8,
    description: "agent run logs: a run's first events in its own row, later ones in a table with rowids; run indexes skip what is never looked up",
    up: (db) => {
      // The events written with the run (all of them, for a run that finished before its first
      // write) live in its row: one row per run instead of two. Log rows hold a JSON array of
      // events each (often over a kilobyte), which SQLite stores far more cheaply in a table
      // with rowids than in a WITHOUT ROWID table, where every row sits in the key's b-tree.
      db.exec(`
        ALTER TABLE agent_runs ADD COLUMN log_first_seq INTEGER;
        ALTER TABLE agent_runs ADD COLUMN log TEXT;
        CREATE TABLE agent_run_log_rows (
          run_id TEXT NOT NULL REFERENCES agent_runs (run_id) ON DELETE CASCADE,
          first_seq INTEGER NOT NULL,
          last_seq INTEGER NOT NULL,
          events TEXT NOT NULL);
        INSERT INTO agent_run_log_rows (run_id, first_seq, last_seq, events)
          SELECT run_id, first_seq, last_seq, events FROM agent_run_log ORDER BY run_id, first_seq;
        DROP TABLE agent_run_log;
        ALTER TABLE agent_run_log_rows RENAME TO agent_run_log;
        CREATE UNIQUE INDEX agent_run_log_by_run ON agent_run_log (run_id, first_seq);
        -- Runs without a thread (stateless) or a resource (no auth) are never looked up by it.
        DROP INDEX agent_runs_by_thread;
        CREATE INDEX agent_runs_by_thread ON agent_runs (thread_id, status) WHERE thread_id IS NOT NULL;
        DROP INDEX agent_runs_by_resource;
        CREATE INDEX agent_runs_by_resource ON agent_runs (resource_id, agent_id, created_at DESC) WHERE resource_id IS NOT NULL;
      `)
    },
  },
]

/**
 * Brings the database to the newest version and returns it. All pending steps run in one
 * transaction, so a failing step leaves the file at its old version. A database written
 * by a newer release is refused rather than guessed at.
 */
export function migrate(db: Database.Database, steps: readonly Migration[] = migrations): number {
  const latest = steps.length === 0 ? 0 : steps[steps.length - 1].version
  // IMMEDIATE takes the write lock first, so two processes opening a fresh file migrate once.
  const run = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number
    if (current > latest) {
      throw new Error(
        `Database schema version ${current} is newer than this agentmount supports (${latest}); upgrade agentmount to open it`,
      )
    }
    steps.forEach((step, index) => {
      if (step.version !== index + 1) throw new Error(`Migration ${step.version} is out of order`)
    })
    for (const step of steps) {
      if (step.version <= current) continue
      step.up(db)
      db.pragma(`user_version = ${step.version}`)
    }
    return Math.max(current, latest)
  })
  return run.immediate()
}
