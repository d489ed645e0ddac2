import { Mount, type MountOptions } from './http/dispatch.js'
import type { Runtime } from './runtime.js'
import { consoleRoutes } from './console/routes.js'

/** The neutral mount every adapter wraps: the runtime's routes plus the console when asked. */
export function createMount(runtime: Runtime, options: MountOptions<any> = {}): Mount {
  const extra = options.console ? consoleRoutes(options.console) : []
  return new Mount(runtime, options, extra)
}
