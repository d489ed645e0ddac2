/** Error codes of the envelope, each with its HTTP status. */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  BAD_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOOL_ERROR: 422,
  INTERNAL: 500,
  UPSTREAM_ERROR: 502,
  UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS | (string & {})

export interface FieldIssue {
  field: string
  message: string
}

export interface ErrorEnvelope {
  error: string
  code: ErrorCode
  issues?: FieldIssue[]
}

/**
 * The one error type of the kit: thrown anywhere in the pipeline or a handler,
 * written as the JSON envelope `{ error, code, issues? }`.
 *
 * @example throw new HttpError(404, 'NOT_FOUND', `Agent ${id} not found`)
 */
export class HttpError extends Error {
  readonly status: number
  readonly code: ErrorCode
  readonly issues?: FieldIssue[]

  constructor(status: number, code: ErrorCode, message: string, issues?: FieldIssue[]) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.code = code
    if (issues) this.issues = issues
  }

  toJSON(): ErrorEnvelope {
    const body: ErrorEnvelope = { error: this.message, code: this.code }
    if (this.issues) body.issues = this.issues
    return body
  }
}

/**
 * An error a tool throws on purpose, whose message is safe to show: the model reads it (and can
 * correct itself), a client of `POST /tools/:toolId/execute` gets it as `422 TOOL_ERROR`. Any
 * other error a tool throws reaches the model as `Tool <id> failed` and `onError` whole.
 *
 * @example throw new ToolError(`No order ${orderId} for this customer`)
 */
export class ToolError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(422, 'TOOL_ERROR', message)
    this.name = 'ToolError'
    if (options && 'cause' in options) this.cause = options.cause
  }
}

/** Shorthand for the common 404. */
export function notFound(message: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', message)
}

/** Shorthand for a 409 (e.g. a run that is no longer suspended). */
/** A 503 for work an instance refuses because it is shutting down: the client retries, another instance takes it. */
export function shuttingDown(message: string): HttpError {
  return new HttpError(503, 'UNAVAILABLE', message)
}

export function conflict(message: string): HttpError {
  return new HttpError(409, 'CONFLICT', message)
}

/** Shorthand for a 400 with one field named. */
export function invalid(field: string, message: string): HttpError {
  return new HttpError(400, 'VALIDATION_ERROR', `Invalid ${field}: ${message}`, [{ field, message }])
}

/**
 * Turns anything thrown into an HttpError. Unknown errors become a bare 500
 * whose message says nothing about internals; the caller logs the original.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err
  return new HttpError(500, 'INTERNAL', 'Internal server error')
}
