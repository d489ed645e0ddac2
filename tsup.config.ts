import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'adapters/express.ts',
    fastify: 'adapters/fastify.ts',
    koa: 'adapters/koa.ts',
    node: 'adapters/node.ts',
    postgres: 'src/postgres.ts',
    testing: 'src/testing.ts',
  },
  format: ['esm', 'cjs'],
  // Members marked @internal (the SQLite driver's handles) stay out of the published types, so
  // apps type-check without the driver's typings.
  dts: { compilerOptions: { stripInternal: true } },
  // dist/console is the browser console, built (and cached) by scripts/build-console.mjs.
  clean: ['!console/**'],
  sourcemap: true,
  target: 'node20',
  splitting: true,
  // `import.meta.url` (the lazy native driver load) also works in the CommonJS build.
  shims: true,
  external: ['express', 'fastify', 'koa', '@koa/router', 'better-sqlite3', 'pg', 'ai', 'zod', '@opentelemetry/api'],
})
