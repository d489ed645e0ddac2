import { parseOrThrow } from '../../../src/core/validate.js'
import type { HttpMethod } from '../../../src/http/route.js'
import { memoryRoutes } from '../../../src/routes/memory.js'
import type { Runtime } from '../../../src/runtime.js'

export interface CallInput {
  params?: Record<string, string>
  query?: Record<string, string | string[] | undefined>
  body?: unknown
  /** The caller's auth scope; undefined = unscoped. */
  resourceId?: string
}

/**
 * Calls a memory route's handler the way the pipeline does (schemas first), then
 * round-trips the result through JSON so assertions see what a client would.
 */
export async function callMemoryRoute(runtime: Runtime, method: HttpMethod, path: string, input: CallInput = {}): Promise<any> {
  const route = memoryRoutes.find((r) => r.method === method && r.path === path)
  if (!route) throw new Error(`No memory route ${method} ${path}`)
  const result = await route.handler({
    params: route.params ? parseOrThrow(route.params, input.params ?? {}, 'path parameters') : (input.params ?? {}),
    query: route.query ? parseOrThrow(route.query, input.query ?? {}, 'query parameters') : (input.query ?? {}),
    body: route.body ? parseOrThrow(route.body, input.body, 'request body') : undefined,
    context: {},
    principal: null,
    resourceId: input.resourceId,
    signal: new AbortController().signal,
    runtime: runtime.services,
    request: {} as never,
  } as never)
  return JSON.parse(JSON.stringify(result))
}

/** The thrown error's status and code, or undefined when the call succeeded. */
export async function failure(call: Promise<unknown>): Promise<{ status: number; code: string; issues?: { field: string }[] } | undefined> {
  return call.then(
    () => undefined,
    (err: { status: number; code: string; issues?: { field: string }[] }) => err,
  )
}
