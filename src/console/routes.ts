import { z } from 'zod'
import { notFound } from '../core/errors.js'
import { bytes, defineRoute, type NeutralRequest, type Route } from '../http/route.js'
import { ConsoleAssets, type ConsoleFile } from './assets.js'

/** `mount(runtime, { console })`: `true`, or options. */
export interface ConsoleOptions {
  /** Serve the console even when `NODE_ENV` is `production` (refused otherwise). */
  production?: boolean
}

/** Only this origin's scripts, styles and API; no inline code, no framing, no CDN. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

function send(file: ConsoleFile, request: NeutralRequest, headers: Record<string, string>) {
  const accepts = String(request.headers['accept-encoding'] ?? '')
  const gzip = file.gzip !== undefined && /\bgzip\b/.test(accepts)
  const head: Record<string, string> = { 'content-type': file.type, ...SECURITY_HEADERS, ...headers }
  if (file.gzip !== undefined) head.vary = 'Accept-Encoding'
  if (gzip) head['content-encoding'] = 'gzip'
  return bytes(gzip ? file.gzip! : file.body, { headers: head })
}

/**
 * The console's two routes: its page and its hashed assets. Both are public static files
 * with no data in them; everything the console shows comes through the mount's own,
 * authenticated routes.
 */
export function consoleRoutes(option: true | ConsoleOptions): Route[] {
  const production = typeof option === 'object' && option.production === true
  if (process.env.NODE_ENV === 'production' && !production) {
    throw new Error('agentmount: the console is refused when NODE_ENV=production; pass console: { production: true } to serve it anyway')
  }
  const assets = new ConsoleAssets()
  return [
    defineRoute({
      method: 'GET',
      path: '/_console',
      summary: 'The console (a static page)',
      auth: 'public',
      permission: 'console:read',
      hidden: true,
      handler: ({ request }) =>
        send(assets.page(request.basePath), request, {
          'cache-control': 'no-cache',
          'content-security-policy': CONSOLE_CSP,
          'x-frame-options': 'DENY',
        }),
    }),
    defineRoute({
      method: 'GET',
      path: '/_console/assets/:file',
      summary: 'A console asset',
      auth: 'public',
      permission: 'console:read',
      hidden: true,
      params: z.object({ file: z.string() }),
      handler: ({ params, request }) => {
        const file = assets.asset(params.file)
        if (!file) throw notFound(`No console asset ${params.file}`)
        // File names carry a content hash, so a name never changes meaning.
        return send(file, request, { 'cache-control': 'public, max-age=31536000, immutable' })
      },
    }),
  ]
}
