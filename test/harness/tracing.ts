import { Server, type IncomingMessage, type ServerResponse } from 'node:http'
import { context, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'

/**
 * An app's OpenTelemetry set-up for tests: a tracer provider exporting to memory, the
 * AsyncLocalStorage context manager, and a server span around every HTTP request made active the
 * way the HTTP instrumentation does it (by wrapping the server's `request` event).
 */
export function installTracing() {
  const exporter = new InMemorySpanExporter()
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
  const tracer = trace.getTracer('host-http')
  const emit = Server.prototype.emit
  Server.prototype.emit = function (this: Server, event: string, ...args: unknown[]) {
    if (event !== 'request') return emit.apply(this, [event, ...args] as unknown as Parameters<typeof emit>)
    const [req, res] = args as [IncomingMessage, ServerResponse]
    const span = tracer.startSpan(`${req.method} server`, { kind: SpanKind.SERVER, attributes: { 'url.path': req.url ?? '' } })
    res.once('close', () => span.end())
    return context.with(trace.setSpan(context.active(), span), () => emit.apply(this, [event, ...args] as unknown as Parameters<typeof emit>))
  } as typeof Server.prototype.emit

  const spans = (): ReadableSpan[] => exporter.getFinishedSpans()
  return {
    spans,
    reset: () => exporter.reset(),
    /** The finished span named `name`; fails the test naming the spans there are. */
    span(name: string, where: (span: ReadableSpan) => boolean = () => true): ReadableSpan {
      const found = spans().find((s) => s.name === name && where(s))
      if (!found) throw new Error(`No span "${name}"; finished: ${spans().map((s) => s.name).join(', ')}`)
      return found
    },
    /** The finished server span of the request whose path starts with `path`, if there is one yet. */
    server(path: string): ReadableSpan | undefined {
      return spans().find((s) => s.kind === SpanKind.SERVER && String(s.attributes['url.path']).startsWith(path))
    },
    children(parent: ReadableSpan): ReadableSpan[] {
      return spans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
    },
    uninstall() {
      Server.prototype.emit = emit
      trace.disable()
      context.disable()
    },
  }
}
