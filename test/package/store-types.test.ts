import { existsSync, readFileSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { consumerApp, ourTypeErrors, root } from './consumer-app.js'

const backend = readFileSync(new URL('./fixtures/store-backend.mts', import.meta.url), 'utf8')
// The same backend importing one contract under a name the package does not export, compiled
// beside it, so the check can be seen to fail.
const broken = backend.replace('  ThreadStore,\n', '  NotAThreadStore as ThreadStore,\n')

describe('a store backend written against the published types', () => {
  let app: string | undefined

  beforeAll(() => {
    if (!existsSync(resolve(root, 'dist/index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` first')
  })
  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true })
  })

  it('implements every domain of Store with names imported from agentmount alone', () => {
    expect(broken).not.toBe(backend)
    app = consumerApp('ai@6', { 'backend.mts': backend, 'broken.mts': broken })
    const errors = ourTypeErrors(app)
    expect(errors.filter((line) => !line.startsWith('broken.mts'))).toEqual([])
    expect(errors.join('\n')).toMatch(/^broken\.mts\(\d+,\d+\): error TS\d+: '"agentmount"' has no exported member named 'NotAThreadStore'/m)
  }, 300_000)
})
