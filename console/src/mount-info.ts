import { createContext, useContext } from 'react'

export interface OpenApiDoc {
  paths: Record<string, Record<string, unknown>>
  components?: { securitySchemes?: Record<string, unknown> }
}

/** What the console knows of the mount it runs on, learned from its OpenAPI document. */
export interface MountInfo {
  doc: OpenApiDoc
  /** Whether the mount serves `method path` (OpenAPI style: `/agents/{agentId}/runs`). */
  hasRoute(method: string, path: string): boolean
  secured: boolean
}

export function routeChecker(doc: OpenApiDoc): MountInfo['hasRoute'] {
  return (method, path) => doc.paths[path]?.[method.toLowerCase()] !== undefined
}

export const MountContext = createContext<MountInfo | null>(null)

export function useMount(): MountInfo {
  const info = useContext(MountContext)
  if (!info) throw new Error('useMount outside the signed-in console')
  return info
}

/** Shown where a view needs a route this mount does not serve: never stand-in data. */
export function missingRoute(method: string, path: string): string {
  return `This mount does not serve ${method} ${path.replace(/\{(\w+)\}/g, ':$1')}.`
}
