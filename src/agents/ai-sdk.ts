/**
 * The AI SDK, loaded on first use. Importing `ai` costs tens of milliseconds and several MiB
 * (it pulls in the gateway provider), which hosts would otherwise pay at startup even when no
 * agent is ever called. Only type imports from 'ai' may stay static; values come from here.
 */
export type AiSdk = typeof import('ai')

let loaded: AiSdk | undefined
let loading: Promise<AiSdk> | undefined

/** The SDK module; the first call starts the import, later calls share the same promise. */
export function loadAiSdk(): Promise<AiSdk> {
  loading ??= import('ai').then(
    (sdk) => (loaded = sdk),
    (err: unknown) => {
      // Let a later call try again rather than caching a failure that may have been transient.
      loading = undefined
      throw err
    },
  )
  return loading
}

/**
 * The SDK if a load has finished, else undefined. For code that is synchronous and only meets
 * SDK values (errors, results) after a model call, which always loads the SDK first.
 */
export function loadedAiSdk(): AiSdk | undefined {
  return loaded
}

/**
 * The request context as each tool receives it under AI SDK 7: every tool its entry of
 * `toolsContext`. AI SDK 6 hands `experimental_context` to every tool instead; a call passes
 * both, and each major ignores the other's key.
 */
export function toolsContextOf(tools: Record<string, unknown> | undefined, context: unknown): Record<string, unknown> {
  const toolsContext: Record<string, unknown> = {}
  for (const name in tools) toolsContext[name] = context
  return toolsContext
}

/** Execution options for calling an AI SDK tool directly, readable by tools of either major. */
export function toolExecutionContext(context: unknown): { experimental_context: unknown } {
  return { experimental_context: context, context } as { experimental_context: unknown }
}

/** The request context a tool execution received, under either major's option name. */
export function toolContext(options: object): unknown {
  const { experimental_context, context } = options as { experimental_context?: unknown; context?: unknown }
  return experimental_context ?? context
}
