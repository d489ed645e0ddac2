// Builds the browser console into dist/console (part of `npm run build`). The build is skipped
// when neither the console's sources nor the locked dependency versions changed since the last
// one, so `npm test` pays for it once.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'

function files(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
    .sort()
}

const hash = createHash('sha256')
for (const file of [...files('console'), 'package-lock.json', 'scripts/build-console.mjs']) {
  hash.update(file).update(readFileSync(file))
}
const digest = hash.digest('hex')
const stamp = 'dist/console/.source-hash'

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest && existsSync('dist/console/index.html')) {
  console.log('console: up to date')
} else {
  const started = Date.now()
  await build({ configFile: 'console/vite.config.ts' })
  writeFileSync(stamp, digest)
  const assets = readdirSync('dist/console/assets').map((f) => statSync(join('dist/console/assets', f)).size)
  const kib = Math.round(assets.reduce((a, b) => a + b, 0) / 1024)
  console.log(`console: built in ${((Date.now() - started) / 1000).toFixed(1)} s, ${assets.length} assets, ${kib} KiB`)
}
