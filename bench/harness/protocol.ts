/** What the harness asks a benchmark server over IPC, and what it answers. */
export type ServerRequest = { id: number; cmd: 'usage' | 'gc' } | { id: number; cmd: 'snapshot'; file: string }

export interface ServerReply {
  id: number
  cpu: NodeJS.CpuUsage
  memory: NodeJS.MemoryUsage
  /** Event-loop delay since the previous question, in ms: how long callbacks waited for the loop. */
  loopDelay: { p50: number; p99: number; max: number }
  /** Time from the request event to the response's end, inside the server, in ms. */
  handling: { p50: number; p99: number; max: number }
  /** Requests received whose response has not closed yet. */
  inFlight: number
  /** The heap snapshot written, for `snapshot`. */
  file?: string
}
