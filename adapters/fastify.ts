import type { FastifyPluginAsync } from 'fastify'
import type { MountOptions } from '../src/http/dispatch.js'
import { createMount } from '../src/mount.js'
import type { Runtime } from '../src/runtime.js'

export type { MountOptions }

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
    for (const mounted of core.mounted) {
      instance.route({
        method: mounted.method,
        url: mounted.path,
        handler: async (request, reply) => {
          await core.handle(mounted, {
            host: { framework: 'fastify', request, reply },
            raw: request.raw,
            res: reply.raw,
            params: request.params as Record<string, string>,
            parsedBody: undefined,
            basePath,
            send: {
              // Through reply.send, so onSend hooks and plugins (compression, helmet) see it.
              body: (status, headers, body) => void reply.code(status).headers(headers).send(body),
              stream: () => {
                // Keep headers that hooks and plugins (CORS, request ids) already set.
                const headers = reply.getHeaders()
                reply.hijack()
                for (const name in headers) {
                  const value = headers[name]
                  if (value !== undefined) reply.raw.setHeader(name, value as string | string[])
                }
              },
            },
          })
          return reply
        },
      })
    }
  }
}
