#!/usr/bin/env node
// The Node 22 test leg. `node scripts/node22.mjs install` installs test/node22/ (Node 22 from the
// npm package `node`, AI SDK 7 and its provider, a better-sqlite3 built for Node 22's ABI) once
// per lockfile; `node scripts/node22.mjs <args>` runs Node 22 with those args, resolving the
// leg's packages from test/node22/ first.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const legDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'node22')
const modules = join(legDir, 'node_modules')
const stamp = join(modules, '.agentmount-leg')
export const node22Binary = join(modules, 'node', 'bin', 'node')

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: legDir, stdio: 'inherit', env })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${legDir} (exit ${result.status})`)
}

function lockHash() {
  return createHash('sha256').update(readFileSync(join(legDir, 'package-lock.json'))).digest('hex')
}

/** Installs the leg unless the installed tree already matches its lockfile. */
export function ensureNode22() {
  const wanted = lockHash()
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && existsSync(node22Binary)) return node22Binary
  const npm = ['--no-audit', '--no-fund']
  // Scripts off first: better-sqlite3's build must run under Node 22, which does not exist yet.
  run('npm', ['ci', '--ignore-scripts', ...npm])
  run('npm', ['rebuild', 'node', ...npm])
  // The platform package carries Node 22's headers, so node-gyp needs no download.
  const headers = join(modules, `node-${process.platform}-${process.arch}`)
  const env = { ...process.env, PATH: `${dirname(node22Binary)}${delimiter}${process.env.PATH}` }
  if (existsSync(join(headers, 'include', 'node', 'node.h'))) env.npm_config_nodedir = headers
  run('npm', ['rebuild', 'better-sqlite3', ...npm], env)
  writeFileSync(stamp, wanted)
  return node22Binary
}

/** Runs Node 22 with `args`; the leg's packages win over the root's for bare imports and requires. */
export function runNode22(args, env = {}) {
  const binary = ensureNode22()
  const hooks = pathToFileURL(join(legDir, 'resolve-hooks.mjs')).href
  const nodeOptions = [process.env.NODE_OPTIONS, `--import=${hooks}`].filter(Boolean).join(' ')
  const result = spawnSync(binary, args, {
    stdio: 'inherit',
    env: { ...process.env, ...env, NODE_OPTIONS: nodeOptions, PATH: `${dirname(binary)}${delimiter}${process.env.PATH}` },
  })
  return result.status ?? 1
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  if (args[0] === 'install') ensureNode22()
  else process.exit(runNode22(args))
}
