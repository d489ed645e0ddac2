import { z } from 'zod'
import type { MountedRoute } from './route.js'

export type OpenApiDocument = Record<string, unknown>

type JsonSchema = Record<string, unknown>

function toJsonSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  delete json.$schema
  return json
}

/** `/threads/:threadId` → `/threads/{threadId}` */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
}

function parameters(mounted: MountedRoute): unknown[] {
  const { route } = mounted
  const list: unknown[] = []
  const pathProps = route.params ? ((toJsonSchema(route.params).properties ?? {}) as Record<string, JsonSchema>) : {}
  for (const match of route.path.matchAll(/:([A-Za-z0-9_]+)/g)) {
    list.push({ name: match[1], in: 'path', required: true, schema: pathProps[match[1]] ?? { type: 'string' } })
  }
  if (route.query) {
    const query = toJsonSchema(route.query)
    const required = new Set((query.required as string[] | undefined) ?? [])
    for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, JsonSchema>)) {
      list.push({ name, in: 'query', required: required.has(name), schema })
    }
  }
  return list
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error', 'code'],
  properties: {
    error: { type: 'string' },
    code: { type: 'string' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
}

/** Builds the OpenAPI 3.1 document for a mount's routes from their zod schemas. */
export function buildOpenApi(routes: readonly MountedRoute[], options: { basePath: string; secured: boolean }): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const mounted of routes) {
    const { route } = mounted
    if (route.hidden) continue
    const operation: Record<string, unknown> = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: route.summary ?? `${route.method} ${route.path}`,
      tags: route.tags ?? ['custom'],
      'x-permission': mounted.permission,
      responses: {
        '200': {
          description: 'Success',
          content: { 'application/json': { schema: route.response ? toJsonSchema(route.response) : {} } },
        },
        default: {
          description: 'Error envelope',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    }
    if (route.description) operation.description = route.description
    const params = parameters(mounted)
    if (params.length > 0) operation.parameters = params
    if (route.body) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: toJsonSchema(route.body) } } }
    }
    if (options.secured && mounted.isPublic) operation.security = []
    const path = openApiPath(route.path)
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operation
  }
  const components: Record<string, unknown> = { schemas: { Error: ERROR_SCHEMA } }
  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: { title: 'agentmount', version: '1.0.0' },
    servers: [{ url: options.basePath || '/' }],
    paths,
    components,
  }
  if (options.secured) {
    components.securitySchemes = { bearerAuth: { type: 'http', scheme: 'bearer' } }
    doc.security = [{ bearerAuth: [] }]
  }
  return doc
}
