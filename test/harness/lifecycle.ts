import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'

/** What every test app has: a way to stop it, and the failures its mount reported to `onError`. */
export interface StartedApp {
  close(): Promise<void>
  /** Errors no test asked for; a test that leaves one here fails. */
  readonly unexpected: readonly unknown[]
}

/**
 * Closes each app (in order, all of them even when one fails to close), then fails the test if
 * any reported an error no test expected. Apps not started yet (`undefined`) are passed over.
 *
 * @example afterEach(() => closeClean(app))
 */
export async function closeClean(...apps: (StartedApp | undefined)[]): Promise<void> {
  const started = apps.filter((app): app is StartedApp => app !== undefined)
  const failures: unknown[] = []
  for (const app of started) await app.close().catch((err: unknown) => failures.push(err))
  for (const app of started) expect(app.unexpected).toEqual([])
  if (failures.length > 0) throw failures[0]
}

/** A fresh directory for a file-backed store; `file` is a database path inside it, `remove` deletes both. */
export function tempDir(prefix = 'agentmount-test-'): { path: string; file: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, file: join(path, 'data.db'), remove: () => rmSync(path, { recursive: true, force: true }) }
}

/**
 * Resolves once the clock shows a later millisecond than when it was called: two writes on
 * either side of it get different timestamps, so an order by time is not decided by a tie.
 */
export async function nextMillisecond(): Promise<void> {
  const start = Date.now()
  while (Date.now() === start) await new Promise((resolve) => setTimeout(resolve, 1))
}
