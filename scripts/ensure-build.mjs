// Runs before `npm start`: the examples import the package by name, as an app would, so
// dist/ must exist and be newer than the sources. Builds only when it is not.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function newest(dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

const built = existsSync('dist/index.js') ? statSync('dist/index.js').mtimeMs : 0
if (built < Math.max(newest('src'), newest('adapters'))) {
  console.log('Building agentmount (only when the sources changed)…')
  const result = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
