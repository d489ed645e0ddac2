import { defineConfig } from 'vitest/config'

const shared = { testTimeout: 20_000, hookTimeout: 20_000 }

export default defineConfig({
  test: {
    projects: [
      {
        // Express 4 runs in its own project so the adapter's `express` import is Express 4 too.
        resolve: { alias: [{ find: /^express$/, replacement: 'express4' }] },
        test: {
          ...shared,
          name: 'express4',
          include: ['test/conformance/**/*.test.ts'],
          env: { AGENTMOUNT_HOSTS: 'express4' },
        },
      },
      {
        test: {
          ...shared,
          name: 'hosts',
          include: ['test/conformance/**/*.test.ts', 'test/examples/**/*.test.ts'],
          env: { AGENTMOUNT_HOSTS: 'express5,fastify5,koa2,koa3' },
        },
      },
      {
        // Debian's Chromium driven by playwright-core against the demo app (needs the build).
        test: { ...shared, name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 60_000 },
      },
      {
        test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts', 'test/package/**/*.test.ts'] },
      },
    ],
  },
})
