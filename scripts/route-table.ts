// Prints the route table of a default runtime as Markdown, or rewrites README.md's copy
// between its markers with `--write`. A test keeps the two in sync.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createRuntime } from '../src/runtime.js'
import { Mount } from '../src/http/dispatch.js'

export const START = '<!-- routes:start -->'
export const END = '<!-- routes:end -->'

export function routeTable(): string {
  // With `mcp` on, so its routes are listed too.
  const mount = new Mount(createRuntime({ mcp: {} }))
  const rows = mount.mounted.map(
    (m) => `| \`${m.method}\` | \`${m.path}\` | ${m.route.summary ?? ''} | \`${m.permission}\`${m.isPublic ? ' (public)' : ''} |`,
  )
  return ['| method | path | what | permission |', '|---|---|---|---|', ...rows].join('\n')
}

export function readmeTable(readme: string): string | undefined {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  return start === -1 || end === -1 ? undefined : readme.slice(start + START.length, end).trim()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = routeTable()
  if (process.argv.includes('--write')) {
    const path = new URL('../README.md', import.meta.url)
    const readme = readFileSync(path, 'utf8')
    const start = readme.indexOf(START)
    const end = readme.indexOf(END)
    if (start === -1 || end === -1) throw new Error('README.md has no route table markers')
    writeFileSync(path, `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`)
  } else {
    console.log(table)
  }
}
