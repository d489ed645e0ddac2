import { HttpError } from '../core/errors.js'
import { loadedAiSdk } from './ai-sdk.js'

/** True for the errors `fetch`, the AI SDK and our own code raise when a signal aborts. */
export function isAbortError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    ((err as { name?: unknown }).name === 'AbortError' || (err as { name?: unknown }).name === 'ResponseAborted')
  )
}

/**
 * A message about a failed model or tool call that is safe to show a client: provider
 * messages may echo keys, prompts or internal URLs, so only the status code survives.
 */
export function safeErrorMessage(err: unknown, fallback = 'The model call failed'): string {
  if (err instanceof HttpError) return err.message
  // SDK errors only come out of model calls, and those load the SDK first: before that there
  // is no SDK error to recognise, so nothing is lost by skipping these checks.
  const ai = loadedAiSdk()
  if (ai) {
    if (ai.RetryError.isInstance(err)) return safeErrorMessage(err.lastError, fallback)
    if (ai.APICallError.isInstance(err)) {
      return err.statusCode ? `The model provider returned an error (status ${err.statusCode})` : 'The model provider could not be reached'
    }
    if (ai.NoObjectGeneratedError.isInstance(err)) return 'The model did not return an object matching the output schema'
    if (ai.NoOutputGeneratedError.isInstance(err)) return 'The model finished without producing the requested output'
    if (ai.NoSuchToolError.isInstance(err)) return `The model called an unknown tool: ${err.toolName}`
  }
  if (isAbortError(err)) return 'The request was aborted'
  return fallback
}

/** A failed tool's message for clients: only errors marked safe to show (4xx HttpErrors, ToolErrors) keep their text. */
export function toolErrorMessage(err: unknown): string {
  return err instanceof HttpError && err.status < 500 ? err.message : 'The tool failed'
}

/**
 * Maps what a model call threw to what the route answers: aborts stay aborts (the client is
 * gone), prompt problems are the caller's 400, everything else is the provider's 502.
 */
export function toAgentError(err: unknown, signal: { readonly aborted: boolean } | undefined): unknown {
  if (err instanceof HttpError) return err
  if (signal?.aborted || isAbortError(err)) return err
  const ai = loadedAiSdk()
  // This error class has no `isInstance` of its own: the inherited one matches every SDK error.
  if (ai && err instanceof ai.UnsupportedModelVersionError) return unsupportedModel(err)
  if (ai?.InvalidPromptError.isInstance(err)) {
    return new HttpError(400, 'VALIDATION_ERROR', `Invalid messages: ${err.message}`, [{ field: 'messages', message: err.message }])
  }
  const error = new HttpError(502, 'UPSTREAM_ERROR', safeErrorMessage(err))
  // Kept for whoever reports it; the response shows only the message above.
  error.cause = err
  return error
}

/**
 * A model built for another AI SDK major than the installed `ai` (e.g. an `@ai-sdk/openai@4`
 * model, specification v4, under AI SDK 6): the app's setup is wrong, not the provider.
 */
function unsupportedModel(err: Error): HttpError {
  const { version, provider, modelId } = err as Error & { version?: string; provider?: string; modelId?: string }
  const error = new HttpError(
    500,
    'INTERNAL',
    `The model ${provider}/${modelId} implements model specification ${version}, which the installed ai package cannot run: ` +
      'install provider packages of the same AI SDK major as ai',
  )
  error.cause = err
  return error
}
