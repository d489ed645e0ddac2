import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
// Installed by `npm test` (scripts/node22.mjs install) before the tests run.
const node22 = join(root, 'test/node22/node_modules/node/bin/node')

/** Opens a store from the built package the way an app would, and prints what it threw. */
const OPEN_STORE = `
const { SqliteStore } = await import('agentmount')
try { new SqliteStore(':memory:'); console.log('{}') }
catch (err) { console.log(JSON.stringify({ message: err.message, stack: err.stack, cause: err.cause?.message })) }
`

function openStore(node: string, cwd: string): { message?: string; stack?: string; cause?: string } {
  return JSON.parse(execFileSync(node, ['--input-type=module', '-e', OPEN_STORE], { cwd, encoding: 'utf8' }))
}

describe('SqliteStore without a usable native addon', () => {
  let app: string

  beforeAll(() => {
    if (!existsSync(resolve(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first')
    // An app installed with --ignore-scripts: better-sqlite3's JavaScript is there, its build/ is not.
    app = mkdtempSync(join(tmpdir(), 'agentmount-addon-'))
    const modules = join(app, 'node_modules')
    for (const name of ['bindings', 'file-uri-to-path', 'zod']) cpSync(join(root, 'node_modules', name), join(modules, name), { recursive: true })
    for (const part of ['package.json', 'lib']) cpSync(join(root, 'node_modules/better-sqlite3', part), join(modules, 'better-sqlite3', part), { recursive: true })
    for (const part of ['package.json', 'dist']) cpSync(join(root, part), join(modules, 'agentmount', part), { recursive: true })
  })
  afterAll(() => rmSync(app, { recursive: true, force: true }))

  it('names the missing build and the fix when install scripts were skipped', () => {
    const result = openStore(process.execPath, app)
    expect(result.message).toMatch(/^SqliteStore needs better-sqlite3's native addon, which is missing/)
    expect(result.message).toContain('npm rebuild better-sqlite3')
    expect(result.message).toContain('pnpm approve-builds')
    expect(result.cause).toMatch(/^Could not locate the bindings file/)
  })

  it('names the Node.js version when the addon was built for another one', () => {
    // The root's addon is built for Node 20; Node 22 (without the leg's packages) cannot load it.
    const result = openStore(node22, root)
    expect(result.message).toContain(`built for another Node.js (this is v22.`)
    expect(result.cause).toMatch(/NODE_MODULE_VERSION/)
    expect(result.stack).not.toContain('bindings.js')
  })
})
