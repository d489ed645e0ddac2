import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// Built into the package at build time; the mount serves it under `<prefix>/_console`, where a
// `<base>` tag makes the relative asset URLs resolve.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  // One copy of the AI SDK for the app and `@ai-sdk/react`.
  resolve: { dedupe: ['ai', 'react', 'react-dom'] },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Keep every file a hashed asset (the CSP allows no inline script, style or data fonts).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
    target: 'es2022',
    modulePreload: { polyfill: false },
    rollupOptions: {
      onwarn(warning, warn) {
        // swr's "use client" marker means nothing outside a React server build.
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE' && warning.code !== 'PLUGIN_TIMINGS') warn(warning)
      },
    },
  },
})
