import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const rootModules = join(root, 'node_modules')
const legModules = join(root, 'test/node22/node_modules')

// What an app following the README writes, once as ESM and once as CommonJS.
const program = `
import { Agent, createRuntime, createTool, Memory, SqliteStore, type RequestContext } from 'agentmount'
import { mount as mountExpress } from 'agentmount/express'
import { mount as mountFastify } from 'agentmount/fastify'
import { mount as mountKoa } from 'agentmount/koa'
import { createHandler } from 'agentmount/node'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { z } from 'zod'

const local = createOpenAICompatible({ name: 'local', baseURL: 'http://127.0.0.1:11434/v1' })
const weather = createTool({
  id: 'weather',
  description: 'Weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }, { context }: { context: RequestContext }) => ({ city, tenant: context.tenant }),
})
const support = new Agent({ id: 'support', instructions: 'Help.', model: local('llama3.2'), tools: { weather }, memory: new Memory() })
export const runtime = createRuntime({ agents: { support }, store: new SqliteStore(':memory:') })
export const mounts = [mountExpress(runtime), mountFastify(runtime), mountKoa(runtime, { prefix: '/api' }), createHandler(runtime, { prefix: '/api' })]
`

/**
 * An app directory whose node_modules has what an app installs (the built package, the hosts,
 * \`ai\`, \`zod\`, a provider) and not the SQLite driver's typings, which are our dev dependency.
 */
function consumerApp(sdk: 'ai@6' | 'ai@7'): string {
  const app = mkdtempSync(join(tmpdir(), `agentmount-types-${sdk}-`))
  const modules = join(app, 'node_modules')
  const fromLeg = new Set(sdk === 'ai@7' ? ['ai', 'zod', '@ai-sdk/provider', '@ai-sdk/provider-utils', '@ai-sdk/openai-compatible', '@ai-sdk/gateway'] : [])
  const link = (name: string) => {
    const source = join(fromLeg.has(name) ? legModules : rootModules, name)
    if (existsSync(source)) symlinkSync(source, join(modules, name))
  }
  mkdirSync(modules)
  for (const entry of readdirSync(rootModules)) {
    if (entry === 'better-sqlite3' || entry === '.bin' || entry === '.package-lock.json') continue
    if (!entry.startsWith('@')) link(entry)
    else {
      mkdirSync(join(modules, entry))
      for (const name of readdirSync(join(rootModules, entry))) if (`${entry}/${name}` !== '@types/better-sqlite3') link(`${entry}/${name}`)
    }
  }
  mkdirSync(join(modules, 'agentmount'))
  for (const part of ['package.json', 'dist']) symlinkSync(join(root, part), join(modules, 'agentmount', part))
  writeFileSync(join(app, 'app.mts'), program)
  writeFileSync(join(app, 'app.cts'), program)
  const compilerOptions = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'], preserveSymlinks: true }
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.mts', 'app.cts'] }))
  return app
}

/** Type errors in our published files or in the app's own code; other packages' typings are theirs. */
function ourTypeErrors(app: string): string[] {
  let output = ''
  try {
    execFileSync(process.execPath, [join(rootModules, 'typescript/bin/tsc'), '-p', app], { cwd: app, encoding: 'utf8' })
  } catch (err) {
    output = (err as { stdout: string }).stdout
  }
  return output.split('\n').filter((line) => /^(node_modules\/agentmount\/|app\.[mc]ts)/.test(line))
}

describe('the published types, in an app with skipLibCheck: false', () => {
  const apps: string[] = []

  beforeAll(() => {
    if (!existsSync(resolve(root, 'dist/index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` first')
  })
  afterAll(() => {
    for (const app of apps) rmSync(app, { recursive: true, force: true })
  })

  it.each(['ai@6', 'ai@7'] as const)('compile for ESM and CommonJS consumers with %s and no SQLite typings', (sdk) => {
    const app = consumerApp(sdk)
    apps.push(app)
    expect(ourTypeErrors(app)).toEqual([])
  }, 300_000)
})
