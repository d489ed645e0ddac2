import type { RuntimeConfig } from '../../src/index.js'

export type HostName = 'express' | 'fastify' | 'koa'

/** The request the load generator repeats. */
export interface BenchRequest {
  method: 'GET' | 'POST'
  path: string
  body?: unknown
  headers?: Record<string, string>
}

/** The same work written by hand in each framework. `dbPath` is this server's own store file. */
export interface HandWritten {
  express: (app: any, dbPath: string) => void
  fastify: (app: any, dbPath: string) => void
  koa: (router: any, dbPath: string) => void
}

/** A second mount configuration to compare against (tracing off, the plain tool route…). */
export interface MountedBaseline {
  runtime: (dbPath: string) => RuntimeConfig | Promise<RuntimeConfig>
}

/**
 * One benchmark scenario: what the mount serves (side A), and what it is compared with
 * (side B, by default the same work written by hand in each framework). The harness runs each
 * side in its own server process, loads them in turn and reports A/B of the paired runs.
 * Add one: write it in a file in this folder and list it in `./index.ts`.
 */
export interface Scenario {
  /** Shown in the report. */
  name: string
  request: BenchRequest
  /** What side B receives, when it is not `request` (another route, another body). */
  baselineRequest?: BenchRequest
  /** The lowest acceptable median ratio A/B of requests per second; shown with the result. */
  target?: number
  /** Concurrent connections for this scenario (default: `--connections`). */
  connections?: number
  /** Prepares state both sides read (threads, messages…); called once per server with its own path. */
  setup?: (dbPath: string) => Promise<void> | void
  /** Side A. */
  runtime: (dbPath: string) => RuntimeConfig | Promise<RuntimeConfig>
  /** Side B. */
  baseline: HandWritten | MountedBaseline
}
