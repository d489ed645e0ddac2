import type { IncomingMessage, ServerResponse } from 'node:http'
import express from 'express'
import type { Request, Response, Router } from 'express'
import type { MountOptions as CoreMountOptions } from '../src/http/dispatch.js'
import { createMount } from '../src/mount.js'
import type { Runtime } from '../src/runtime.js'

/** What `req.host` holds in this mount's hooks. */
export interface ExpressHost {
  framework: 'express'
  req: Request
  res: Response
}

export type MountOptions = CoreMountOptions<ExpressHost>

/**
 * Mounts the runtime's routes on an Express (4 or 5) router.
 *
 * @example app.use('/api', mount(runtime, { auth, context }))
 */
export function mount(runtime: Runtime, options: MountOptions = {}): Router {
  const core = createMount(runtime, options)
  const router = express.Router()
  for (const mounted of core.mounted) {
    const method = mounted.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'
    router[method](mounted.path, (req, res) => {
      const raw = req as unknown as IncomingMessage
      const host: ExpressHost = { framework: 'express', req, res }
      void core.handle(mounted, {
        host,
        raw,
        res: res as unknown as ServerResponse,
        params: req.params as Record<string, string>,
        parsedBody: raw.readableEnded ? req.body : undefined,
        basePath: req.baseUrl,
      })
    })
  }
  return router
}
