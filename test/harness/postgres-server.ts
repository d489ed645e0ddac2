import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import pg from 'pg'

/**
 * Global setup of the Postgres test projects: tests run against `DATABASE_URL` when it is set,
 * otherwise against a throwaway server started here from the machine's PostgreSQL binaries
 * and removed after the run. Neither available is an error, never a silent skip.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
  }
}

interface Server {
  url: string
  users: number
  stop(): void
}

// Projects share one server: each project's global setup runs in this same main process.
const shared = globalThis as { agentmountTestPostgres?: Promise<Server> }

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared.agentmountTestPostgres ??= startServer()
  const server = await shared.agentmountTestPostgres
  server.users += 1
  project.provide('databaseUrl', server.url)
  return async () => {
    server.users -= 1
    if (server.users === 0) {
      server.stop()
      delete shared.agentmountTestPostgres
    }
  }
}

async function startServer(): Promise<Server> {
  const configured = process.env.DATABASE_URL
  if (configured) {
    await checkConnection(configured)
    return { url: configured, users: 0, stop: () => {} }
  }
  return startThrowaway()
}

async function checkConnection(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  try {
    await client.connect()
    await client.query('SELECT 1')
  } catch (err) {
    throw new Error(`DATABASE_URL is set but PostgreSQL did not answer there: ${(err as Error).message}`)
  } finally {
    await client.end().catch(() => undefined)
  }
}

function binDir(): string {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' })
  const candidates = fromConfig.status === 0 ? [fromConfig.stdout.trim()] : []
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort((a, b) => Number(b) - Number(a))) candidates.push(join(root, version, 'bin'))
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))
  if (!found) {
    throw new Error(
      'The Postgres tests need a PostgreSQL server: set DATABASE_URL (for example postgres://postgres@127.0.0.1:5432/test) ' +
        'or install PostgreSQL (initdb and pg_ctl, e.g. `apt-get install postgresql`) so a throwaway server can be started.',
    )
  }
  return found
}

/** PostgreSQL refuses to run as root: the server then runs as `postgres` (or `nobody`). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':'))
  const entry = passwd.find((f) => f[0] === 'postgres') ?? passwd.find((f) => f[0] === 'nobody')
  if (!entry) throw new Error('Running as root, but there is no postgres or nobody user to run the throwaway PostgreSQL server')
  return { uid: Number(entry[2]), gid: Number(entry[3]) }
}

async function startThrowaway(): Promise<Server> {
  const bin = binDir()
  const user = serverUser()
  const dir = mkdtempSync(join(tmpdir(), 'agentmount-pg-'))
  if (user) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const run = (tool: string, args: string[]) =>
    execFileSync(join(bin, tool), args, { cwd: dir, stdio: 'pipe', ...(user ?? {}) })
  const stop = () => {
    try {
      run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
    // Unix socket only, in the private directory: no port for parallel runs to fight over.
    const options = `-c listen_addresses='' -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`
    run('pg_ctl', ['start', '-D', data, '-w', '-l', join(dir, 'server.log'), '-o', options])
  } catch (err) {
    const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : ''
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`Could not start a throwaway PostgreSQL server from ${bin}: ${(err as Error).message}\n${log}`)
  }
  const url = `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(dir)}`
  await checkConnection(url)
  return { url, users: 0, stop }
}
