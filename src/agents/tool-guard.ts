import type { Tool as AiTool, ToolExecutionOptions, ToolSet } from 'ai'
import { HttpError, ToolError } from '../core/errors.js'
import { isAbortError } from './upstream-error.js'

type Execute = NonNullable<AiTool<any, any>['execute']>

/**
 * What the model and clients may see of a tool's failure: the error itself when the tool marked
 * it safe to show (a `ToolError`, an `HttpError` with a 4xx status), else `Tool <id> failed`.
 */
export function safeToolError(toolId: string, err: unknown): HttpError {
  return err instanceof HttpError && err.status < 500 ? err : new ToolError(`Tool ${toolId} failed`)
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
}

async function* guardIterable(source: AsyncIterable<unknown>, fail: (err: unknown) => unknown): AsyncGenerator<unknown> {
  try {
    yield* source
  } catch (err) {
    throw fail(err)
  }
}

function guardExecute(toolId: string, execute: Execute, report: (err: unknown, toolId: string) => void): Execute {
  return (input: unknown, options: ToolExecutionOptions) => {
    const fail = (err: unknown): unknown => {
      // A run that is stopping aborts its tools; that is no failure of theirs.
      if (options.abortSignal?.aborted || isAbortError(err)) return err
      report(err, toolId)
      return safeToolError(toolId, err)
    }
    let result: unknown
    try {
      result = execute(input, options)
    } catch (err) {
      throw fail(err)
    }
    if (isAsyncIterable(result)) return guardIterable(result, fail)
    return Promise.resolve(result).then(undefined, (err: unknown) => {
      throw fail(err)
    })
  }
}

/**
 * The tool set of one model call with each server-side `execute` guarded: what a tool throws
 * goes to `report` whole, and the model (and the stream) get `safeToolError` instead.
 */
export function guardTools(tools: ToolSet | undefined, report: (err: unknown, toolId: string) => void): ToolSet | undefined {
  if (!tools) return undefined
  const guarded: ToolSet = {}
  for (const name of Object.keys(tools)) {
    const tool = tools[name]
    guarded[name] = tool.execute ? { ...tool, execute: guardExecute(name, tool.execute, report) } : tool
  }
  return guarded
}
