import { z } from 'zod'
import { HttpError } from './errors.js'

/** Deepest nesting of arrays and objects a request body may have; the top-level value is level 1. */
export const MAX_JSON_DEPTH = 128

/** Longest thread, message, run or resource id (and agent, tool, workflow id) the mount accepts. */
export const MAX_ID_LENGTH = 400

/** Default for `createRuntime({ limits: { messagesPerCall } })`. */
export const DEFAULT_MESSAGES_PER_CALL = 1000

/** The limits a runtime enforces, defaults resolved. */
export interface RuntimeLimits {
  /** Most messages one generate, stream, chat or save-messages call may carry (1000). */
  messagesPerCall: number
}

/** An id in a path, query or body: 1 to MAX_ID_LENGTH characters. */
export function idSchema() {
  return z.string().min(1).max(MAX_ID_LENGTH, `at most ${MAX_ID_LENGTH} characters`)
}

/** 400 when one call carries more messages than the runtime allows. */
export function assertMessageCount(count: number, limit: number, field = 'messages'): void {
  if (count <= limit) return
  const message = `at most ${limit} messages per call`
  throw new HttpError(400, 'VALIDATION_ERROR', `Invalid ${field}: ${message}`, [{ field, message }])
}

function forbiddenKey(key: string): HttpError {
  return new HttpError(400, 'BAD_JSON', `Request body contains the forbidden key "${key}"`)
}

/**
 * Walks a parsed body once, with an explicit stack so no input can overflow ours: refuses
 * nesting deeper than MAX_JSON_DEPTH and the keys that poison prototypes (`__proto__`, and
 * `constructor` holding a `prototype`). Keys are checked parsed, so escapes change nothing.
 */
export function checkJsonValue(root: unknown): void {
  if (root === null || typeof root !== 'object') return
  const values: object[] = [root]
  const depths: number[] = [1]
  while (values.length > 0) {
    const value = values.pop()!
    const depth = depths.pop()!
    if (depth > MAX_JSON_DEPTH) {
      throw new HttpError(400, 'BAD_JSON', `Request body nests deeper than ${MAX_JSON_DEPTH} levels`)
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i]
        if (item !== null && typeof item === 'object') {
          values.push(item)
          depths.push(depth + 1)
        }
      }
      continue
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue
      const child = (value as Record<string, unknown>)[key]
      if (key === '__proto__') throw forbiddenKey(key)
      if (child === null || typeof child !== 'object') continue
      if (key === 'constructor' && Object.hasOwn(child, 'prototype')) throw forbiddenKey(key)
      values.push(child)
      depths.push(depth + 1)
    }
  }
}
