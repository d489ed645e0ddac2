import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { readmeTable, routeTable } from '../../scripts/route-table.js'

describe('README route table', () => {
  it('matches the registry (regenerate with `npm run docs:routes`)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    expect(readmeTable(readme)).toBe(routeTable())
  })
})
