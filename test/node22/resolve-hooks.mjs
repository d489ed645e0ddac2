// Loaded with `--import` by scripts/node22.mjs: a bare import or require of a package this leg
// installs resolves from here, so code in the repository gets AI SDK 7 and the Node 22 build of
// better-sqlite3 instead of the root's copies.
import { readFileSync } from 'node:fs'
import { createRequire, registerHooks } from 'node:module'
import { pathToFileURL } from 'node:url'

const here = new URL('./package.json', import.meta.url)
const manifest = JSON.parse(readFileSync(here, 'utf8'))
const legUrl = new URL('.', here).href
const legRequire = createRequire(here)
const leg = new Set(Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }))

function packageName(specifier) {
  if (/^[./]|^[a-z]+:/i.test(specifier)) return undefined
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const name = packageName(specifier)
    if (name && leg.has(name) && !context.parentURL?.startsWith(legUrl)) {
      // Resolved from this file, so the leg's node_modules is searched first.
      const url = context.conditions?.includes('require') ? pathToFileURL(legRequire.resolve(specifier)).href : import.meta.resolve(specifier)
      return { url, shortCircuit: true }
    }
    return nextResolve(specifier, context)
  },
})
