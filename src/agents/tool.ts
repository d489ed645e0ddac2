import { randomUUID } from 'node:crypto'
import type { JSONSchema7, Schema, Tool as AiTool, ToolExecutionOptions } from 'ai'
import { z } from 'zod'
import { HttpError, invalid } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import { parseOrThrow } from '../core/validate.js'
import { loadAiSdk, toolContext, toolExecutionContext, type AiSdk } from './ai-sdk.js'

/** What a tool's `execute` receives beside its input. */
export interface ToolExecutionContext {
  /** The request context the host built (tenant, user, locale…). */
  context: RequestContext
  /** Fires when the client goes away; pass it to fetch calls and other slow work. */
  signal: AbortSignal
  /** Reports how far a long tool has got; MCP clients that asked for progress receive it, others nothing. */
  progress: (update: ToolProgress) => void
}

/** One progress report: `progress` grows with each call; `total` when the end is known. */
export interface ToolProgress {
  progress: number
  total?: number
  message?: string
}

export interface ToolConfig<I, O> {
  id: string
  description: string
  inputSchema: z.ZodType<I>
  outputSchema?: z.ZodType<O>
  /**
   * The call waits for a person before it runs (the run suspends): always, or when the
   * function says so for this input and request context.
   */
  requireApproval?: boolean | ((input: I, ctx: { context: RequestContext }) => boolean | Promise<boolean>)
  execute: (input: I, ctx: ToolExecutionContext) => O | Promise<O>
}

/** The listing shape of `GET /tools` and of an agent's `tools`. */
export interface ToolDescription {
  id: string
  description: string
  inputSchema: JSONSchema7
}

/** Anything an agent accepts in `tools`: our tools or AI SDK `tool()` objects. */
export type AnyTool = Tool<any, any> | AiTool<any, any>

const NEVER_ABORTED = new AbortController().signal
const NO_PROGRESS = () => {}

/** A zod schema is recognised by its internals so field paths come out of zod itself. */
function isZod(schema: unknown): schema is z.ZodType {
  return typeof schema === 'object' && schema !== null && '_zod' in schema
}

async function lastOf<T>(value: T | AsyncIterable<T> | PromiseLike<T>): Promise<T> {
  const settled = await value
  if (settled === null || typeof settled !== 'object' || !(Symbol.asyncIterator in settled)) return settled as T
  // Streaming AI SDK tools yield preliminary outputs; the last one is the result.
  let last: T | undefined
  for await (const item of settled as AsyncIterable<T>) last = item
  return last as T
}

/**
 * A tool an agent can call and a client can run through `POST /tools/:toolId/execute`.
 * Built by `createTool`, or wrapping an AI SDK `tool()` an agent was given.
 */
export class Tool<I = unknown, O = unknown> {
  readonly id: string
  readonly description: string
  /**
   * The AI SDK `tool()` form, input schema as given. Built without the SDK so tools can be
   * declared before it loads; model calls get `modelTool(ai)` instead.
   */
  readonly aiTool: AiTool<any, any>
  readonly #inputSchema: unknown
  readonly #outputSchema: z.ZodType<O> | undefined
  readonly #execute: ((input: I, ctx: ToolExecutionContext) => Promise<O>) | undefined
  #sdkSchema: Schema<I> | undefined
  #modelTool: AiTool<any, any> | undefined
  #description: Promise<ToolDescription> | undefined

  private constructor(args: {
    id: string
    description: string
    inputSchema: unknown
    outputSchema?: z.ZodType<O>
    execute: ((input: I, ctx: ToolExecutionContext) => Promise<O>) | undefined
    aiTool: (self: Tool<I, O>) => AiTool<any, any>
  }) {
    this.id = args.id
    this.description = args.description
    this.#inputSchema = args.inputSchema
    this.#outputSchema = args.outputSchema
    this.#execute = args.execute
    this.aiTool = args.aiTool(this)
  }

  /** @internal Use `createTool`. */
  static create<I, O>(config: ToolConfig<I, O>): Tool<I, O> {
    if (!config.id) throw new TypeError('createTool needs an id')
    const userExecute = config.execute
    const approval = config.requireApproval
    const needsApproval =
      typeof approval === 'function'
        ? (input: I, options: object) => approval(input, { context: (toolContext(options) ?? {}) as RequestContext })
        : approval === true
          ? true
          : undefined
    return new Tool<I, O>({
      id: config.id,
      description: config.description,
      inputSchema: config.inputSchema,
      outputSchema: config.outputSchema,
      execute: async (input, ctx) => userExecute(input, ctx),
      aiTool: (self) => ({
        description: config.description,
        inputSchema: config.inputSchema,
        ...(needsApproval !== undefined ? { needsApproval } : {}),
        execute: (input: I, options: ToolExecutionOptions) =>
          self.#executeChecked(input, {
            context: (toolContext(options) ?? {}) as RequestContext,
            signal: options.abortSignal ?? NEVER_ABORTED,
            progress: NO_PROGRESS,
          }),
      }),
    })
  }

  /** Wraps an AI SDK tool so it can be listed and run directly; the model still gets the original. */
  static fromAiTool(id: string, aiTool: AiTool<any, any>): Tool<unknown, unknown> {
    const execute = aiTool.execute
    return new Tool<unknown, unknown>({
      id,
      description: aiTool.description ?? '',
      inputSchema: aiTool.inputSchema,
      execute: execute
        ? (input, ctx) =>
            lastOf(
              execute(input, {
                toolCallId: randomUUID(),
                messages: [],
                abortSignal: ctx.signal,
                ...toolExecutionContext(ctx.context),
              }),
            )
        : undefined,
      aiTool: () => aiTool,
    })
  }

  /**
   * @internal The form handed to model calls: `aiTool` with its input schema in the SDK's own
   * form, made once and kept, which spares a zod→JSON conversion per model call.
   */
  modelTool(ai: AiSdk): AiTool<any, any> {
    this.#modelTool ??= { ...this.aiTool, inputSchema: this.#schema(ai) }
    return this.#modelTool
  }

  /** The input schema as the SDK wraps it; the same object model calls, listings and validation share. */
  #schema(ai: AiSdk): Schema<I> {
    this.#sdkSchema ??= ai.asSchema(this.aiTool.inputSchema) as Schema<I>
    return this.#sdkSchema
  }

  /** JSON schema of the input, converted on first use and then kept. */
  describe(): Promise<ToolDescription> {
    this.#description ??= loadAiSdk().then(async (ai) => ({
      id: this.id,
      description: this.description,
      inputSchema: await this.#schema(ai).jsonSchema,
    }))
    return this.#description
  }

  /** JSON schema of the output when the tool declares an `outputSchema`. */
  outputJsonSchema(): JSONSchema7 | undefined {
    if (!this.#outputSchema) return undefined
    return z.toJSONSchema(this.#outputSchema, { target: 'draft-7', io: 'output', unrepresentable: 'any' }) as JSONSchema7
  }

  /**
   * Runs the tool for a client: validates `data` (400 naming `data.<field>`), executes,
   * and checks the result against `outputSchema` when there is one.
   */
  async run(data: unknown, ctx: Partial<ToolExecutionContext> = {}): Promise<O> {
    if (!this.#execute) {
      throw new HttpError(400, 'VALIDATION_ERROR', `Tool ${this.id} has no server-side execute; the client runs it`)
    }
    const input = await this.#parseInput(data)
    // Run directly, a tool that waits for a person would skip the person.
    if (await this.#needsApproval(input, ctx.context ?? {})) {
      throw new HttpError(403, 'FORBIDDEN', `Tool ${this.id} needs a person's approval: it runs only inside an agent run, once approved`)
    }
    return this.#executeChecked(input, {
      context: ctx.context ?? {},
      signal: ctx.signal ?? NEVER_ABORTED,
      progress: ctx.progress ?? NO_PROGRESS,
    })
  }

  async #needsApproval(input: I, context: RequestContext): Promise<boolean> {
    const { needsApproval } = this.aiTool as { needsApproval?: boolean | ((input: I, options: object) => boolean | PromiseLike<boolean>) }
    if (typeof needsApproval !== 'function') return needsApproval === true
    return (await needsApproval(input, { toolCallId: randomUUID(), messages: [], ...toolExecutionContext(context) })) === true
  }

  async #parseInput(data: unknown): Promise<I> {
    const schema = this.#inputSchema
    if (isZod(schema)) return parseOrThrow(schema, data, 'tool input', 'data') as I
    const validate = this.#schema(await loadAiSdk()).validate
    if (!validate) return data as I
    const result = await validate(data)
    if (result.success) return result.value
    throw invalid('data', 'does not match the tool input schema')
  }

  async #executeChecked(input: I, ctx: ToolExecutionContext): Promise<O> {
    const output = await this.#execute!(input, ctx)
    if (!this.#outputSchema) return output
    const checked = this.#outputSchema.safeParse(output)
    // A wrong output is the tool author's bug, so the client gets a 500 without the details;
    // they stay in `cause`, for `onError`.
    if (!checked.success) {
      const error = new HttpError(500, 'INTERNAL', `Tool ${this.id} returned output that does not match its outputSchema`)
      error.cause = checked.error
      throw error
    }
    return checked.data
  }
}

/**
 * Declares a tool with a zod input schema; `execute` gets the request context and abort signal.
 *
 * @example
 * const weather = createTool({ id: 'weather', description: 'Weather for a city',
 *   inputSchema: z.object({ city: z.string() }),
 *   execute: async ({ city }, { context, signal }) => fetchWeather(city, context.locale, signal) })
 */
export function createTool<IS extends z.ZodType, O>(
  config: Omit<ToolConfig<z.output<IS>, O>, 'inputSchema'> & { inputSchema: IS },
): Tool<z.output<IS>, O> {
  return Tool.create<z.output<IS>, O>(config as ToolConfig<z.output<IS>, O>)
}

/** Our tool for anything an agent was given, wrapping AI SDK tools. */
export function toTool(id: string, tool: AnyTool): Tool<any, any> {
  return tool instanceof Tool ? tool : Tool.fromAiTool(id, tool)
}
