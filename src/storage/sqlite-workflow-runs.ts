import type Database from 'better-sqlite3'

/** Placeholder until the workflow-run store lands; it owns the `workflow_runs` table. */
export class SqliteWorkflowRuns {
  constructor(readonly db: Database.Database) {}
}
