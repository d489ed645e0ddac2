// Runs before `npm start` and `npm run bench`. The examples import the package by name, as an
// app would, so dist/ must be current; then the example apps are compiled to plain JavaScript
// in build/ so they start with `node` alone. Each step runs only when its inputs changed.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'

function newest(...dirs) {
  let latest = 0
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
    }
  }
  return latest
}

const age = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0)

if (age('dist/index.js') < newest('src', 'adapters') || age('dist/console/index.html') < newest('console')) {
  console.log('Building agentmount (only when the sources changed)…')
  const result = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

const entries = ['examples/express/server.ts', 'examples/fastify/server.ts', 'examples/koa/server.ts', 'bench/bare-app.ts']
if (age('build/examples/express/server.js') < Math.max(newest('examples', 'dist'), age('bench/bare-app.ts'))) {
  await build({
    entryPoints: entries,
    outdir: 'build',
    outbase: '.',
    bundle: true,
    // Dependencies, this package included, load from node_modules and dist/ like an app's would.
    packages: 'external',
    external: ['agentmount', 'agentmount/*'],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  })
}
