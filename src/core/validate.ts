import type { z } from 'zod'
import { HttpError, type FieldIssue } from './errors.js'

/** Maps zod issues to `{ field: 'a.b', message }`, the envelope's issue shape. */
export function fieldIssues(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String)
    if (prefix) path.unshift(prefix)
    return { field: path.join('.'), message: issue.message }
  })
}

/**
 * Parses `value` with `schema` or throws a 400 VALIDATION_ERROR naming each bad field.
 * `what` names the input in the message ("request body", "tool input", "step add input").
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix?: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issues = fieldIssues(result.error, prefix)
  const detail = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ')
  throw new HttpError(400, 'VALIDATION_ERROR', `Invalid ${what}: ${detail}`, issues)
}
