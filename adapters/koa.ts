import Router from '@koa/router'
import type { Context, Middleware } from 'koa'
import type { MountOptions } from '../src/http/dispatch.js'
import { createMount } from '../src/mount.js'
import type { Runtime } from '../src/runtime.js'

/** What `req.host` holds in this mount's hooks. */
export interface KoaHost {
  framework: 'koa'
  ctx: Context
}

export interface KoaMountOptions extends MountOptions<KoaHost> {
  /** Path the routes are served under, e.g. `/api`. */
  prefix?: string
}

/**
 * A Koa (2 or 3) middleware serving the runtime's routes through `@koa/router`.
 *
 * @example app.use(mount(runtime, { prefix: '/api', auth }))
 */
export function mount(runtime: Runtime, options: KoaMountOptions = {}): Middleware {
  const core = createMount(runtime, options)
  const prefix = options.prefix ?? ''
  const router = new Router(prefix ? { prefix } : {})
  for (const mounted of core.mounted) {
    router.register(mounted.path, [mounted.method], async (ctx) => {
      const body = (ctx.request as { body?: unknown }).body
      await core.handle(mounted, {
        host: { framework: 'koa', ctx },
        raw: ctx.req,
        res: ctx.res,
        params: ctx.params,
        parsedBody: ctx.req.readableEnded ? body : undefined,
        basePath: prefix,
        send: {
          // Through ctx.body, so the app's response middleware (compression, helmet) sees it.
          body: (status, headers, body) => {
            ctx.status = status
            ctx.set(headers)
            ctx.body = body
          },
          // Streams write to the Node response themselves, frame by frame.
          stream: () => void (ctx.respond = false),
        },
      })
    })
  }
  return router.routes() as unknown as Middleware
}
