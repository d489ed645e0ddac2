import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.json', '.svg'])

export interface ConsoleFile {
  body: Buffer
  /** Gzipped body, when gzip saves bytes. */
  gzip?: Buffer
  type: string
}

/**
 * Where the built console lives: `console/` beside the bundled module in `dist/`, or
 * `dist/console/` when the kit runs from its sources.
 */
function findConsoleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [join(here, 'console'), join(here, '..', '..', 'dist', 'console')]
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')))
  if (!found) throw new Error('agentmount: the console is not built (run `npm run build`)')
  return found
}

function load(path: string): ConsoleFile {
  const ext = extname(path)
  const body = readFileSync(path)
  const file: ConsoleFile = { body, type: TYPES[ext] ?? 'application/octet-stream' }
  if (COMPRESSIBLE.has(ext) && body.length > 1024) {
    const gzip = gzipSync(body)
    if (gzip.length < body.length) file.gzip = gzip
  }
  return file
}

/** The console's built files, read once each on first request and kept in memory. */
export class ConsoleAssets {
  readonly #dir: string
  readonly #names: ReadonlySet<string>
  readonly #files = new Map<string, ConsoleFile>()
  readonly #template: string

  constructor() {
    this.#dir = findConsoleDir()
    this.#template = readFileSync(join(this.#dir, 'index.html'), 'utf8')
    this.#names = new Set(readdirSync(join(this.#dir, 'assets')))
  }

  /** A hashed asset by file name; undefined for any name the build did not produce. */
  asset(name: string): ConsoleFile | undefined {
    if (!this.#names.has(name)) return undefined
    let file = this.#files.get(name)
    if (!file) {
      file = load(join(this.#dir, 'assets', name))
      this.#files.set(name, file)
    }
    return file
  }

  /**
   * The page, with a `<base>` so its relative asset URLs resolve under this mount's prefix.
   * Built per request (under a kilobyte): a prefix can hold path parameters, so a cache keyed
   * by it would grow with whatever clients send.
   */
  page(basePath: string): ConsoleFile {
    const base = `<base href="${escapeAttribute(`${basePath}/_console/`)}">`
    return { body: Buffer.from(this.#template.replace('<head>', `<head>\n    ${base}`)), type: TYPES['.html'] }
  }
}

function escapeAttribute(value: string): string {
  return value.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)
}
