import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { MountedRoute, MountOptions as CoreMountOptions } from '../src/http/dispatch.js'
import { createMount } from '../src/mount.js'
import type { Runtime } from '../src/runtime.js'

/** What `req.host` holds in this mount's hooks. */
export interface FastifyHost {
  framework: 'fastify'
  request: FastifyRequest
  reply: FastifyReply
}

export type MountOptions = CoreMountOptions<FastifyHost>

/**
 * A Fastify plugin serving the runtime's routes; register it with a prefix.
 * The core reads request bodies itself, so this plugin's scope leaves bodies unparsed.
 *
 * @example fastify.register(mount(runtime, { auth }), { prefix: '/api' })
 */
export function mount(runtime: Runtime, options: MountOptions = {}): FastifyPluginAsync {
  const core = createMount(runtime, options)
  return async function agentmount(instance) {
    // Encapsulated: only this plugin's routes lose the default parsers.
    instance.removeAllContentTypeParsers()
    instance.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    const basePath = instance.prefix
    const serve = async (mounted: MountedRoute, request: FastifyRequest, reply: FastifyReply, params: Record<string, string>) => {
      await core.handle(mounted, {
        host: { framework: 'fastify', request, reply },
        raw: request.raw, res: reply.raw, params, parsedBody: undefined, basePath,
        send: {
          // Through reply.send, so onSend hooks and plugins (compression, helmet) see it.
          body: (status, headers, body) => void reply.code(status).headers(headers).send(body),
          // Keep the headers that hooks and plugins (CORS, request ids) already set.
          stream: () => {
            const headers = reply.hijack().getHeaders() as Record<string, string | string[]>
            reply.raw.setHeaders(new Map(Object.entries(headers)))
          },
        },
      })
      return reply
    }
    for (const mounted of core.mounted) {
      const handler = (request: FastifyRequest, reply: FastifyReply) =>
        serve(mounted, request, reply, request.params as Record<string, string>)
      instance.route({ method: mounted.method, url: mounted.path, handler })
    }
    // Fastify's router answers ids longer than its `maxParamLength` with its own 414, and its
    // request handling refuses malformed content types with its own 415, both before any
    // handler: such requests go to the core, which authenticates first and answers in the envelope.
    const fallback = (request: FastifyRequest, reply: FastifyReply, otherwise: () => unknown) => {
      const found = core.match(request.method, request.url.slice(basePath.length).split('?')[0])
      return found ? serve(found.route, request, reply, found.params) : otherwise()
    }
    instance.all('/*', (request, reply) => fallback(request, reply, () => reply.callNotFound()))
    instance.setErrorHandler((error: { code?: string }, request, reply) => {
      if (!error.code?.startsWith('FST_ERR_CTP_')) throw error
      return fallback(request, reply, () => { throw error })
    })
  }
}
