import type { JSONSchema7 } from 'ai'
import { invalid } from '../core/errors.js'
import type { AiSdk } from './ai-sdk.js'
import { isRecord } from '../core/is-record.js'

const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'])
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions'] as const


/**
 * Checks the keywords providers rely on, recursively, so a malformed schema is the
 * caller's 400 here rather than a provider rejection later. Unknown keywords pass.
 */
function checkSchema(schema: unknown, field: string, depth: number): void {
  if (typeof schema === 'boolean') return
  if (!isRecord(schema)) throw invalid(field, 'must be a JSON schema object')
  if (depth > 32) throw invalid(field, 'is nested too deeply')
  const type = schema.type
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type]
    if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) {
      throw invalid(`${field}.type`, `must be one of ${[...TYPES].join(', ')}`)
    }
  }
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((r) => typeof r === 'string'))) {
    throw invalid(`${field}.required`, 'must be an array of property names')
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) throw invalid(`${field}.enum`, 'must be an array')
  for (const key of SUBSCHEMA_MAPS) {
    const map = schema[key]
    if (map === undefined) continue
    if (!isRecord(map)) throw invalid(`${field}.${key}`, 'must be an object of schemas')
    for (const name of Object.keys(map)) checkSchema(map[name], `${field}.${key}.${name}`, depth + 1)
  }
  for (const key of SUBSCHEMA_LISTS) {
    const list = schema[key]
    if (list === undefined) continue
    if (!Array.isArray(list)) throw invalid(`${field}.${key}`, 'must be an array of schemas')
    list.forEach((item, i) => checkSchema(item, `${field}.${key}.${i}`, depth + 1))
  }
  for (const key of ['items', 'additionalProperties', 'not'] as const) {
    const sub = schema[key]
    if (sub === undefined) continue
    if (key === 'items' && Array.isArray(sub)) sub.forEach((item, i) => checkSchema(item, `${field}.items.${i}`, depth + 1))
    else checkSchema(sub, `${field}.${key}`, depth + 1)
  }
}

/**
 * The request's `output` JSON schema as an AI SDK structured output; the model's answer
 * arrives parsed as the result's `object`. Throws a 400 naming the bad keyword.
 */
export function structuredOutput(ai: AiSdk, schema: unknown) {
  if (!isRecord(schema)) throw invalid('output', 'must be a JSON schema object')
  checkSchema(schema, 'output', 0)
  return ai.Output.object({ schema: ai.jsonSchema(schema as JSONSchema7) })
}
