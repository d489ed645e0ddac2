// An app's OpenTelemetry set-up, for the tracing scenarios: the AsyncLocalStorage context
// manager, a tracer provider exporting every span to memory (emptied each second, so a long run
// keeps its memory flat), and a server span around each HTTP request, made active the way the
// HTTP instrumentation does it. Called in the server process of the side that traces.
import { Server, type IncomingMessage, type ServerResponse } from 'node:http'
import { context, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

let installed = false

export function installTracing(): void {
  if (installed) return
  installed = true
  const exporter = new InMemorySpanExporter()
  setInterval(() => exporter.reset(), 1000).unref()
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
  const tracer = trace.getTracer('bench-http')
  const emit = Server.prototype.emit
  Server.prototype.emit = function (this: Server, event: string, ...args: unknown[]) {
    if (event !== 'request') return emit.apply(this, [event, ...args] as unknown as Parameters<typeof emit>)
    const [req, res] = args as [IncomingMessage, ServerResponse]
    const span = tracer.startSpan(`${req.method} server`, { kind: SpanKind.SERVER, attributes: { 'url.path': req.url ?? '' } })
    res.once('close', () => span.end())
    return context.with(trace.setSpan(context.active(), span), () => emit.apply(this, [event, ...args] as unknown as Parameters<typeof emit>))
  } as typeof Server.prototype.emit
}
