import { createRequire } from 'node:module'
import type * as OtelApi from '@opentelemetry/api'

/**
 * Spans through `@opentelemetry/api`, an optional peer dependency: the app's SDK (NodeSDK, a
 * tracer provider it registered) receives them. Without the package, or without a registered
 * SDK, every function here is a no-op and no span object is kept.
 */
type Api = typeof OtelApi
export type Span = OtelApi.Span
export type SpanContext = OtelApi.SpanContext
/** A point in a trace to start child spans from (an OpenTelemetry context). */
export type TraceParent = OtelApi.Context
export type Attributes = OtelApi.Attributes

let api: Api | null | undefined

function otel(): Api | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as Api
    } catch {
      api = null
    }
  }
  return api
}

const TRACER = 'agentmount'

export const SpanKind = { INTERNAL: 0, SERVER: 1, CLIENT: 2 } as const

export interface SpanOptions {
  kind?: (typeof SpanKind)[keyof typeof SpanKind]
  attributes?: Attributes
  /** Where the span hangs; default: the active context (the host's server span, when it has one). */
  parent?: TraceParent
  /** Spans of an earlier trace this one continues (a workflow run resumed later). */
  links?: SpanContext[]
}

/**
 * Starts a span, or returns undefined when nothing records it (no package, no SDK, or a sampler
 * that dropped it), so callers skip all attribute work.
 */
export function startSpan(name: string, options: SpanOptions = {}): Span | undefined {
  const otelApi = otel()
  if (!otelApi) return undefined
  const parent = options.parent ?? otelApi.context.active()
  const span = otelApi.trace.getTracer(TRACER).startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: options.attributes,
      links: options.links?.map((context) => ({ context })),
    },
    parent,
  )
  if (span.isRecording()) return span
  span.end()
  return undefined
}

/** The context in which `span` is the parent: pass it as `parent` to start its children. */
export function childOf(span: Span | undefined, parent?: TraceParent): TraceParent | undefined {
  const otelApi = otel()
  if (!otelApi || !span) return parent
  return otelApi.trace.setSpan(parent ?? otelApi.context.active(), span)
}

/** The active context now (the host's server span, when the app traces requests), to parent later spans. */
export function activeParent(): TraceParent | undefined {
  return otel()?.context.active()
}

/** Runs `fn` with `parent` as the active context, so spans others start inside it hang there too. */
export function withParent<T>(parent: TraceParent | undefined, fn: () => T): T {
  const otelApi = otel()
  return otelApi && parent ? otelApi.context.with(parent, fn) : fn()
}

/** The span active now (the host's server span) when one records, else undefined. */
export function activeSpan(): Span | undefined {
  const span = otel()?.trace.getActiveSpan()
  return span?.isRecording() ? span : undefined
}

/** Ends `span` as failed: error status, the exception recorded, `error.type` set. */
export function failSpan(span: Span | undefined, err: unknown, type?: string): void {
  if (!span) return
  const error = err instanceof Error ? err : new Error(String(err))
  span.recordException(error)
  span.setAttribute('error.type', type ?? error.name ?? 'Error')
  span.setStatus({ code: 2, message: error.message })
  span.end()
}

/** The trace and span ids of `span`, for storing with a run that later spans link back to. */
export function spanReference(span: Span | undefined): { traceId: string; spanId: string } | undefined {
  if (!span) return undefined
  const { traceId, spanId } = span.spanContext()
  return { traceId, spanId }
}

/** A stored reference turned back into a link target. */
export function linkTo(reference: { traceId: string; spanId: string } | undefined): SpanContext[] | undefined {
  return reference ? [{ traceId: reference.traceId, spanId: reference.spanId, traceFlags: 1, isRemote: true }] : undefined
}
