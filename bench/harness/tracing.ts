// An app's OpenTelemetry set-up for the tracing scenarios, called in the server process of the
// side that traces: the test suite's (context manager, tracer provider into the in-memory
// exporter, a server span per request), with the exporter emptied each second so a long run
// keeps its memory flat.
import { installTracing as installTestTracing } from '../../test/harness/tracing.js'

let installed = false

export function installTracing(): void {
  if (installed) return
  installed = true
  const tracing = installTestTracing()
  setInterval(() => tracing.reset(), 1000).unref()
}
