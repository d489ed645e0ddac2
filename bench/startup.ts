// Cold start (process start → first 200 from /health) and resident memory, for the demo
// app with the kit mounted against the same Express app without it.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'

export interface StartupResult {
  app: 'mounted' | 'bare'
  coldStartMs: number
  rssStartMiB: number
  rssLoadedMiB: number
}

// Both compiled to JavaScript by scripts/ensure-build.mjs (run before `npm run bench`), as `npm start` runs the demo.
const ENTRY = { mounted: 'build/examples/express/server.js', bare: 'build/bench/bare-app.js' }

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)![1])
  return kb / 1024
}

async function firstOk(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} never answered`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

async function once(app: 'mounted' | 'bare', port: number, load: boolean): Promise<StartupResult> {
  const started = performance.now()
  const child = spawn(process.execPath, [join(process.cwd(), ENTRY[app])], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: String(port), OPENAI_API_KEY: '', OPENAI_BASE_URL: '' },
    stdio: 'ignore',
  })
  try {
    await firstOk(`http://127.0.0.1:${port}/health`, Date.now() + 20_000)
    const coldStartMs = performance.now() - started
    await new Promise((r) => setTimeout(r, 300))
    const rssStartMiB = rssMiB(child.pid!)
    let rssLoadedMiB = rssStartMiB
    if (load) {
      await autocannon({
        url: `http://127.0.0.1:${port}${app === 'mounted' ? '/api/agents' : '/health'}`,
        headers: { authorization: 'Bearer demo-token' },
        connections: 16,
        duration: 3,
      })
      rssLoadedMiB = rssMiB(child.pid!)
    }
    return { app, coldStartMs, rssStartMiB, rssLoadedMiB }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Five cold starts of each (median), then one run under load for memory. */
export async function measureStartup(rounds = 5): Promise<StartupResult[]> {
  const results: StartupResult[] = []
  for (const app of ['bare', 'mounted'] as const) {
    const cold: number[] = []
    const rss: number[] = []
    for (let i = 0; i < rounds; i++) {
      const r = await once(app, 43_100 + i, false)
      cold.push(r.coldStartMs)
      rss.push(r.rssStartMiB)
    }
    const loaded = await once(app, 43_199, true)
    results.push({ app, coldStartMs: median(cold), rssStartMiB: median(rss), rssLoadedMiB: loaded.rssLoadedMiB })
  }
  return results
}
