import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vitest/config'

// The Node 22 leg (`node scripts/node22.mjs node_modules/vitest/vitest.mjs run --config vitest.node22.config.ts`):
// the agent conformance files again, with AI SDK 7 and the packages of test/node22/.
const legDir = fileURLToPath(new URL('./test/node22/', import.meta.url))
const manifest = JSON.parse(readFileSync(`${legDir}package.json`, 'utf8')) as { dependencies: Record<string, string> }
const legPackages = Object.keys(manifest.dependencies)

/** Resolves the leg's packages as if imported from test/node22/, for the files vitest transforms. */
function fromLeg(): Plugin {
  return {
    name: 'node22-leg',
    enforce: 'pre',
    resolveId(source, _importer, options) {
      if (!legPackages.some((name) => source === name || source.startsWith(`${name}/`))) return null
      return this.resolve(source, `${legDir}resolve-hooks.mjs`, { ...options, skipSelf: true })
    },
  }
}

export default defineConfig({
  plugins: [fromLeg()],
  test: {
    name: 'node22',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    include: ['test/conformance/agents*.test.ts', 'test/client-js/**/*.test.ts'],
    env: { AGENTMOUNT_HOSTS: 'express5,fastify5,koa2,koa3,node' },
  },
})
