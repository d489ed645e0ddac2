import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const root = resolve(import.meta.dirname, '../..')
const rootModules = join(root, 'node_modules')
const legModules = join(root, 'test/node22/node_modules')

export type Sdk = 'ai@6' | 'ai@7'

/**
 * An app directory holding `files` (name → source), whose node_modules has what an app
 * installs (the built package, the hosts, `ai`, `zod`, a provider) and not the SQLite driver's
 * typings, which are our dev dependency.
 */
export function consumerApp(sdk: Sdk, files: Record<string, string>): string {
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
  for (const [name, source] of Object.entries(files)) writeFileSync(join(app, name), source)
  const compilerOptions = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'], preserveSymlinks: true }
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: Object.keys(files) }))
  return app
}

/**
 * Type errors in our published files, in the app's own files, or of the compilation itself (a
 * file not found); errors inside other packages' typings are theirs.
 */
export function ourTypeErrors(app: string): string[] {
  let output = ''
  try {
    execFileSync(process.execPath, [join(rootModules, 'typescript/bin/tsc'), '-p', app], { cwd: app, encoding: 'utf8' })
  } catch (err) {
    output = (err as { stdout: string }).stdout
  }
  return output.split('\n').filter((line) => /^(node_modules\/agentmount\/|(?!node_modules\/)[^\s(]+\(\d+,\d+\): error|error )/.test(line))
}
