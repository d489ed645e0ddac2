import { describe, expect, it } from 'vitest'
import { findCycles, readImportGraph, type ImportGraph } from '../../scripts/import-graph.js'

const root = new URL('../..', import.meta.url).pathname

/** Layers bottom to top (DESIGN §1): a file may import its own layer and those below. */
const LAYERS: Array<[layer: string, test: (file: string) => boolean]> = [
  ['kernel', (f) => f.startsWith('src/core/')],
  ['storage', (f) => f.startsWith('src/storage/')],
  ['memory and workflows', (f) => f.startsWith('src/memory/') || f.startsWith('src/workflows/')],
  ['agents', (f) => f.startsWith('src/agents/')],
  ['services', (f) => f.startsWith('src/services/')],
  ['http', (f) => f.startsWith('src/http/')],
  ['routes and runtime', (f) => f.startsWith('src/routes/') || f === 'src/runtime.ts'],
  ['mount', (f) => f.startsWith('src/')],
  ['adapters', (f) => f.startsWith('adapters/')],
]

function layerOf(file: string): number {
  const rank = LAYERS.findIndex(([, test]) => test(file))
  if (rank === -1) throw new Error(`${file} belongs to no layer`)
  return rank
}

function upwardImports(graph: ImportGraph): string[] {
  const found: string[] = []
  for (const [file, targets] of graph) {
    for (const target of targets) {
      if (layerOf(target) > layerOf(file)) found.push(`${file} (${LAYERS[layerOf(file)][0]}) → ${target} (${LAYERS[layerOf(target)][0]})`)
    }
  }
  return found
}

describe('import graph of the package', () => {
  const graph = readImportGraph(root, ['src', 'adapters'])

  it('reads every source file, type-only imports included', () => {
    expect(graph.get('src/http/route.ts')).toContain('src/core/context.ts')
    expect(graph.size).toBeGreaterThan(50)
  })

  it('has no import cycle', () => {
    expect(findCycles(graph)).toEqual([])
  })

  it('only imports downwards through the layers', () => {
    expect(upwardImports(graph)).toEqual([])
  })
})

describe('the cycle finder', () => {
  it('reports a cycle through three files and a self-import, and nothing else', () => {
    const graph: ImportGraph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ])
    expect(findCycles(graph)).toEqual([['a', 'b', 'c'], ['e']])
  })

  it('reports two cycles that share no file separately', () => {
    const graph: ImportGraph = new Map([
      ['a', ['b']],
      ['b', ['a']],
      ['c', ['d']],
      ['d', ['c', 'a']],
    ])
    expect(findCycles(graph).sort()).toEqual([['a', 'b'], ['c', 'd']])
  })
})

describe('the layer rule', () => {
  it('flags the kernel importing the http layer', () => {
    const graph: ImportGraph = new Map([['src/core/errors.ts', ['src/http/route.ts']], ['src/http/route.ts', []]])
    expect(upwardImports(graph)).toEqual(['src/core/errors.ts (kernel) → src/http/route.ts (http)'])
  })
})
