import { defineConfig } from 'vitest/config'

const shared = { testTimeout: 20_000, hookTimeout: 20_000 }
// Postgres projects get a server (DATABASE_URL or a throwaway one) from this global setup.
const postgres = { globalSetup: ['test/harness/postgres-server.ts'], setupFiles: ['test/harness/postgres-cleanup.ts'] }
// The conformance files whose app keeps state in the store; they run again with Postgres as the store.
const storeConformance = ['test/conformance/memory*.test.ts', 'test/conformance/workflows*.test.ts', 'test/conformance/agents-memory.test.ts']

export default defineConfig({
  test: {
    projects: [
      {
        // Express 4 runs in its own project so the adapter's `express` import is Express 4 too.
        resolve: { alias: [{ find: /^express$/, replacement: 'express4' }] },
        // Express 4 runs its whole conformance suite with Postgres as the store; the others run it on SQLite.
        test: {
          ...shared,
          ...postgres,
          name: 'express4',
          include: ['test/conformance/**/*.test.ts'],
          env: { AGENTMOUNT_HOSTS: 'express4', AGENTMOUNT_STORE: 'postgres' },
        },
      },
      {
        test: {
          ...shared,
          name: 'hosts',
          include: ['test/conformance/**/*.test.ts', 'test/examples/**/*.test.ts'],
          env: { AGENTMOUNT_HOSTS: 'express5,fastify5,koa2,koa3,node' },
        },
      },
      {
        // Debian's Chromium driven by playwright-core against the demo app (needs the build).
        test: { ...shared, name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 60_000 },
      },
      {
        test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts', 'test/package/**/*.test.ts'] },
      },
      {
        // Type tests: tsc checks the expectTypeOf assertions; a wrong type fails the run. Their own
        // tsconfig keeps their RequestContext augmentation apart from the examples'.
        test: {
          name: 'types',
          typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'], tsconfig: 'test/types/tsconfig.json' },
        },
      },
      {
        test: {
          ...shared,
          ...postgres,
          name: 'postgres',
          include: ['test/postgres/**/*.test.ts', ...storeConformance],
          env: { AGENTMOUNT_HOSTS: 'express5,fastify5,koa2,koa3', AGENTMOUNT_STORE: 'postgres' },
        },
      },
    ],
  },
})
