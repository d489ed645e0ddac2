import type { RuntimeConfig } from '../../src/runtime.js'

export type HostName = 'express' | 'fastify' | 'koa'

/** The request autocannon repeats. */
export interface BenchRequest {
  method: 'GET' | 'POST'
  path: string
  body?: unknown
}

/**
 * One benchmark scenario: what the mount serves, and the same work written by hand
 * in each framework (the baseline the ratio is taken against).
 */
export interface Scenario {
  name: string
  request: BenchRequest
  /** Prepares state both variants read (threads, messages…); gets a fresh store path. */
  setup?: (dbPath: string) => Promise<void> | void
  runtime: (dbPath: string) => RuntimeConfig
  baseline: {
    express: (app: any, dbPath: string) => void
    fastify: (app: any, dbPath: string) => void
    koa: (router: any, dbPath: string) => void
  }
}
