/** A request path matched against a route pattern: the route and its decoded parameters. */
export interface PathMatch<T> {
  route: T
  params: Record<string, string>
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '')
}

/** Parameters of `pattern` taken from `segments`, or undefined when they do not fit. */
function fit(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(segments[i])
      } catch {
        return undefined
      }
    } else if (part !== segments[i]) return undefined
  }
  return params
}

/** True when `a` is the more specific pattern: a static segment wins over a parameter, left first. */
function moreSpecific(a: string[], b: string[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const aParam = a[i].startsWith(':')
    if (aParam !== b[i].startsWith(':')) return !aParam
  }
  return false
}

/**
 * Orders routes so that, of any two patterns one path can match, the more specific comes first
 * (a static segment before a parameter, left first); others keep their order. Hosts whose router
 * tries routes in registration order (Express, Koa) then agree with `matchPath`.
 */
export function bySpecificity<T extends { path: string }>(routes: readonly T[]): T[] {
  const keyed = routes.map((route, index) => ({ route, index, kinds: split(route.path).map((s) => (s.startsWith(':') ? 1 : 0)) }))
  keyed.sort((a, b) => {
    const n = Math.min(a.kinds.length, b.kinds.length)
    for (let i = 0; i < n; i++) if (a.kinds[i] !== b.kinds[i]) return a.kinds[i] - b.kinds[i]
    return a.index - b.index
  })
  return keyed.map((k) => k.route)
}

/**
 * Finds the route serving `method` and `path` (below the mount prefix), for hosts whose own
 * router cannot: a static segment wins over a parameter, as on every host's router.
 */
export function matchPath<T extends { method: string; path: string }>(
  routes: readonly T[],
  method: string,
  path: string,
): PathMatch<T> | undefined {
  const segments = split(path)
  let best: { route: T; pattern: string[]; params: Record<string, string> } | undefined
  for (const route of routes) {
    if (route.method !== method) continue
    const pattern = split(route.path)
    const params = fit(pattern, segments)
    if (params && (!best || moreSpecific(pattern, best.pattern))) best = { route, pattern, params }
  }
  return best && { route: best.route, params: best.params }
}
