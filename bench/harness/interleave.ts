// The throughput comparison's load generator: keep-alive connections to both servers, opened
// once, and load that switches from one server to the other many times a second (A B A B …).
// The machine this runs on changes speed by up to 1.5× within seconds; two runs of several
// seconds each, one after the other, measure two different machines. Slices of a fraction of a
// second on connections that stay open put both sides on the same machine, within the same
// second, with no connection set-up in the measured time.
import { connect, type Socket } from 'node:net'
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import type { BenchRequest } from '../scenarios/types.js'

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
}

const CRLF = Buffer.from('\r\n')
const HEAD_END = Buffer.from('\r\n\r\n')

/** The request as bytes, sent as is on every turn. */
export function requestBytes(request: BenchRequest): Buffer {
  const body = request.body === undefined ? undefined : JSON.stringify(request.body)
  let head = `${request.method} ${request.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n`
  for (const [name, value] of Object.entries(request.headers ?? {})) head += `${name}: ${value}\r\n`
  if (body !== undefined) {
    if (!request.headers?.['content-type']) head += 'content-type: application/json\r\n'
    head += `content-length: ${Buffer.byteLength(body)}\r\n`
  }
  return Buffer.from(`${head}\r\n${body ?? ''}`)
}

/**
 * One keep-alive connection, one request at a time. Reads HTTP/1.1 responses framed by
 * content-length or chunked encoding (the only two these servers send) and resolves with the
 * status once the whole body is in; reconnects on the next request when the server closed it.
 */
class Connection {
  readonly #port: number
  readonly #request: Buffer
  #socket: Socket | undefined
  #connecting: Promise<void> | undefined
  #buffer: Buffer | undefined
  #state = State.Head
  #remaining = 0
  #status = 0
  #resolve: ((status: number) => void) | undefined
  #reject: ((err: Error) => void) | undefined

  constructor(port: number, request: Buffer) {
    this.#port = port
    this.#request = request
  }

  async send(): Promise<number> {
    if (!this.#socket) await (this.#connecting ??= this.#connect())
    return new Promise<number>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
      this.#socket!.write(this.#request)
    })
  }

  close(): void {
    this.#socket?.destroy()
    this.#socket = undefined
  }

  #connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = connect(this.#port, '127.0.0.1')
      socket.setNoDelay(true)
      socket.once('connect', () => {
        this.#socket = socket
        this.#connecting = undefined
        this.#buffer = undefined
        this.#state = State.Head
        resolve()
      })
      socket.on('data', (data: Buffer) => this.#onData(data))
      socket.on('error', () => {})
      socket.once('close', () => {
        if (this.#socket === socket) this.#socket = undefined
        this.#connecting = undefined
        // A request in flight fails; a connection that never opened fails its connect.
        const failInFlight = this.#reject
        this.#resolve = this.#reject = undefined
        failInFlight?.(new Error('connection closed'))
        reject(new Error('could not connect'))
      })
    })
  }

  #onData(data: Buffer): void {
    this.#buffer = this.#buffer ? Buffer.concat([this.#buffer, data]) : data
    for (;;) {
      const buffer = this.#buffer
      if (!buffer || buffer.length === 0) return
      if (this.#state === State.Head) {
        const end = buffer.indexOf(HEAD_END)
        if (end < 0) return
        const head = buffer.toString('latin1', 0, end).toLowerCase()
        this.#status = Number(head.slice(9, 12))
        const length = /\r\ncontent-length: *(\d+)/.exec(head)
        if (length) {
          this.#state = State.Body
          this.#remaining = Number(length[1])
        } else if (/\r\ntransfer-encoding: *chunked/.test(head)) {
          this.#state = State.ChunkSize
        } else {
          // No body (204, 304): the response ends with its head.
          this.#state = State.Body
          this.#remaining = 0
        }
        this.#take(end + HEAD_END.length)
        if (this.#state === State.Body && this.#remaining === 0) this.#done()
      } else if (this.#state === State.ChunkSize) {
        const eol = buffer.indexOf(CRLF)
        if (eol < 0) return
        const size = parseInt(buffer.toString('latin1', 0, eol), 16)
        this.#take(eol + 2)
        // The last chunk is followed by an empty line (these servers send no trailers).
        this.#remaining = size + 2
        this.#state = size === 0 ? State.Body : State.ChunkData
      } else {
        const taken = Math.min(this.#remaining, buffer.length)
        this.#take(taken)
        this.#remaining -= taken
        if (this.#remaining > 0) return
        if (this.#state === State.ChunkData) this.#state = State.ChunkSize
        else this.#done()
      }
    }
  }

  #take(bytes: number): void {
    const buffer = this.#buffer!
    this.#buffer = bytes >= buffer.length ? undefined : buffer.subarray(bytes)
  }

  #done(): void {
    this.#state = State.Head
    const resolve = this.#resolve
    this.#resolve = this.#reject = undefined
    resolve?.(this.#status)
  }
}

/** What one side did over the slices of one repetition. */
export interface SideTally {
  requests: number
  errors: number
  /** Sum of every request's latency, ms. */
  latencyMs: number
  /** Time the side was loaded, ms (the slices, without the wait for their last answers). */
  loadedMs: number
  histogram: RecordableHistogram
}

export function newTally(): SideTally {
  return { requests: 0, errors: 0, latencyMs: 0, loadedMs: 0, histogram: createHistogram() }
}

/** The connections to one server. */
export class LoadSide {
  readonly #connections: Connection[]

  constructor(port: number, request: BenchRequest, connections: number) {
    const bytes = requestBytes(request)
    this.#connections = Array.from({ length: connections }, () => new Connection(port, bytes))
  }

  /**
   * Every connection sends requests back to back for `ms`, then finishes the one it has in
   * flight; resolves once all have. A request that fails or answers 4xx/5xx counts as an error.
   */
  async slice(ms: number, tally: SideTally): Promise<void> {
    const started = performance.now()
    const until = started + ms
    await Promise.all(
      this.#connections.map(async (connection) => {
        while (performance.now() < until) {
          const sent = performance.now()
          let status = 0
          try {
            status = await connection.send()
          } catch {
            status = 0
          }
          const latency = performance.now() - sent
          tally.requests++
          tally.latencyMs += latency
          tally.histogram.record(Math.max(1, Math.round(latency * 1000)))
          if (status < 200 || status >= 400) tally.errors++
        }
      }),
    )
    tally.loadedMs += ms
  }

  close(): void {
    for (const connection of this.#connections) connection.close()
  }
}
