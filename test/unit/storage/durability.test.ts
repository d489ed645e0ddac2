import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { SqliteStore } from '../../../src/storage/sqlite.js'

const run = promisify(execFile)
const child = join(import.meta.dirname, 'fixtures', 'store-child.ts')

function inChild(...args: string[]): Promise<{ stdout: string }> {
  return run(process.execPath, ['--import', 'tsx', child, ...args], { cwd: process.cwd() })
}

let dir: string
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function storeWithThread(): Promise<{ path: string; store: SqliteStore }> {
  dir = mkdtempSync(join(tmpdir(), 'agentmount-durable-'))
  const path = join(dir, 'nested', 'data.db')
  const store = new SqliteStore({ path })
  const now = new Date()
  await store.threads.createThread({ id: 't1', resourceId: 'user-1', title: 'kept', metadata: { a: 1 }, createdAt: now, updatedAt: now })
  return { path, store }
}

describe('SqliteStore on a file', () => {
  it('creates the directory and keeps what it wrote for another process', async () => {
    const { path, store } = await storeWithThread()
    expect(existsSync(path)).toBe(true)
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000)
    await store.threads.saveMessages([
      { id: 'm1', content: { format: 2, parts: [{ type: 'text', text: 'hello' }], content: 'hello' }, role: 'user', createdAt: new Date(), threadId: 't1', resourceId: 'user-1' },
    ])
    await store.close()

    const { stdout } = await inChild('read', path, 't1')
    const read = JSON.parse(stdout)
    expect(read.thread).toMatchObject({ id: 't1', resourceId: 'user-1', title: 'kept', metadata: { a: 1 } })
    expect(read.total).toBe(1)
    expect(read.messages[0]).toMatchObject({ id: 'm1', content: { format: 2, content: 'hello' } })
  })

  it('keeps every message when three processes write to one thread at once', async () => {
    const { path, store } = await storeWithThread()
    await store.close()
    const startAt = String(Date.now() + 2_000)
    await Promise.all(['a', 'b', 'c'].map((prefix) => inChild('write', path, 't1', prefix, '200', startAt)))
    const reopened = new SqliteStore({ path })
    const { items, total } = (await reopened.threads.listMessages({ threadId: 't1', page: 0, perPage: 1000 }))!
    await reopened.close()
    expect(total).toBe(600)
    expect(new Set(items.map((m) => m.id)).size).toBe(600)
  })
})
