import { inspect } from 'node:util'

/** What kind of work failed. */
export type FailureKind = 'request' | 'stream' | 'agent' | 'tool' | 'workflow-run'

/** What failed, beside the error itself: the kind of work and the ids it had. */
export interface FailureInfo {
  kind: FailureKind
  /** The route serving the request, as `METHOD /path/:param`; absent without a request. */
  route?: string
  agentId?: string
  /** The tool's name in the agent's tool set (or the MCP tool name). */
  toolId?: string
  runId?: string
  workflowId?: string
}

/** Receives a failure nobody awaits or whose answer hides it: a tool's, a stream's, a background run's. */
export type ErrorReporter = (err: unknown, info: FailureInfo) => void

/** The reporter of last resort: one block on standard error, with the stack and the `cause` chain. */
export function reportToStderr(err: unknown, info: FailureInfo): void {
  const ids = (['route', 'agentId', 'toolId', 'workflowId', 'runId'] as const)
    .filter((key) => info[key] !== undefined)
    .map((key) => `${key}=${info[key]}`)
  process.stderr.write(`agentmount: ${info.kind} failed${ids.length > 0 ? ` (${ids.join(' ')})` : ''}\n${inspect(err, { depth: 4 })}\n`)
}

/** Calls `report`, and falls back to standard error when the app's reporter itself throws. */
export function reportSafely(report: ErrorReporter, err: unknown, info: FailureInfo): void {
  try {
    report(err, info)
  } catch (reporterError) {
    reportToStderr(err, info)
    reportToStderr(reporterError, { kind: info.kind })
  }
}

const described = new WeakMap<object, Omit<FailureInfo, 'route'>>()

/**
 * Records what failed on an error that is thrown on rather than reported where it happened,
 * so whoever reports it (the mount, answering the request) can say. Returns the error.
 */
export function markFailure<E>(err: E, info: Omit<FailureInfo, 'route'>): E {
  if (typeof err === 'object' && err !== null) described.set(err, info)
  return err
}

/** What `markFailure` recorded on this error, if anything. */
export function failureOf(err: unknown): Omit<FailureInfo, 'route'> | undefined {
  return typeof err === 'object' && err !== null ? described.get(err) : undefined
}

/**
 * Where failures with no request go (a background run app code started, a tool of an agent
 * called outside any route): every listener, which is each mount's `onError`, or standard
 * error while there is none.
 */
export class ErrorChannel {
  readonly #listeners = new Set<ErrorReporter>()

  /** Delivers one failure; bound, so it can be handed around as a reporter. */
  readonly report: ErrorReporter = (err, info) => {
    if (this.#listeners.size === 0) return reportToStderr(err, info)
    for (const listener of this.#listeners) reportSafely(listener, err, info)
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: ErrorReporter): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
