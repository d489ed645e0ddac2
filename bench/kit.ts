// The kit as apps run it: the built package in dist/ (`npm run bench` builds it when the sources
// changed), not the TypeScript sources through the test loader, whose transform adds work to
// every function it creates. Types still come from the sources.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const built = <T>(entry: string): Promise<T> => import(pathToFileURL(resolve(import.meta.dirname, '..', 'dist', `${entry}.js`)).href)

export const kit = await built<typeof import('../src/index.js')>('index')
export const postgresKit = await built<typeof import('../src/postgres.js')>('postgres')
export const adapters = {
  express: () => built<typeof import('../adapters/express.js')>('express'),
  fastify: () => built<typeof import('../adapters/fastify.js')>('fastify'),
  koa: () => built<typeof import('../adapters/koa.js')>('koa'),
}
