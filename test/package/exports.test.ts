import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { publint } from 'publint'

const root = resolve(import.meta.dirname, '../..')
const subpaths = ['agentmount', 'agentmount/express', 'agentmount/fastify', 'agentmount/koa', 'agentmount/node', 'agentmount/postgres', 'agentmount/testing']
/** One function each subpath exports; the host subpaths export `mount`. */
const exported: Record<string, string> = {
  agentmount: 'createRuntime',
  'agentmount/node': 'createHandler',
  'agentmount/postgres': 'PostgresStore',
  'agentmount/testing': 'OfflineEchoModel',
}

/** Runs a one-line program in a fresh Node, from the package directory (self-reference by name). */
function probe(flag: '--input-type=module' | '--input-type=commonjs', code: string): string {
  return execFileSync(process.execPath, [flag, '-e', code], { cwd: root, encoding: 'utf8' }).trim()
}

// `npm test` builds before running tests; these check what a user's `import` / `require` gets.
describe('the built package', () => {
  beforeAll(() => {
    if (!existsSync(resolve(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first')
  })

  it('passes publint without errors or warnings', async () => {
    const { messages } = await publint({ pkgDir: root, level: 'warning' })
    expect(messages.map((m) => `${m.type}: ${m.code} ${JSON.stringify(m.args)}`)).toEqual([])
  })

  it.each(subpaths)('resolves %s from both import and require', (specifier) => {
    const name = exported[specifier] ?? 'mount'
    const spec = JSON.stringify(specifier)
    expect(probe('--input-type=module', `import(${spec}).then((m) => console.log(typeof m.${name}))`)).toBe('function')
    expect(probe('--input-type=commonjs', `console.log(typeof require(${spec}).${name})`)).toBe('function')
  })

  it('keeps the demo and test helpers out of the main entry', () => {
    expect(probe('--input-type=module', `import('agentmount').then((m) => console.log('OfflineEchoModel' in m))`)).toBe('false')
  })
})
