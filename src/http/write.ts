import type { ServerResponse } from 'node:http'
import { ABORTED, AbortRaces } from '../core/abort.js'
import { HttpError, toHttpError } from '../core/errors.js'
import { resultKind, type BytesResult, type EventStreamResult, type JsonResult, type StreamResult, type UiMessageResult } from './route.js'

/**
 * The host's own send path (Fastify `reply.send`, Koa `ctx.body`), so its response middleware
 * (compression, `onSend` hooks, security headers, loggers) sees whole responses. Without it the
 * Node response is written directly, which Express middleware already wraps.
 */
export interface HostSend {
  /** Sends a complete response through the host; it sets the length. */
  body(status: number, headers: Record<string, string>, body: string | Buffer): void
  /** Hands the Node response to the writer before a stream starts. */
  stream(): void
}

export interface WriteOptions {
  send?: HostSend
  /** Its `signal` is only read by streams. */
  request: { readonly signal: AbortSignal }
  heartbeatMs: number
  onError: (err: unknown) => void
}

const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

const RECORD_HEADERS: Record<string, string> = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

/** The AI SDK's UI message stream headers (`UI_MESSAGE_STREAM_HEADERS`). */
const UI_MESSAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream',
  // As /stream: no proxy or compression middleware may buffer the frames.
  'cache-control': 'no-cache, no-transform',
  'x-vercel-ai-ui-message-stream': 'v1',
  'x-accel-buffering': 'no',
}

/** Writes a JSON body with its length; the one place JSON responses are produced. */
export function writeJson(res: ServerResponse, status: number, value: unknown, headers?: Record<string, string>, send?: HostSend): void {
  const body = value === undefined ? '' : JSON.stringify(value)
  if (send) {
    const head: Record<string, string> = body === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }
    send.body(status, headers ? Object.assign(head, headers) : head, body)
    return
  }
  // One writeHead call: cheaper than a setHeader per header on the hot path.
  const head: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) }
  if (body !== '') head['content-type'] = 'application/json; charset=utf-8'
  if (headers) for (const name in headers) head[name] = headers[name]
  res.writeHead(status, head)
  res.end(body)
}

/** Writes an error as the envelope. Once a stream has begun, only the frame is possible. */
export function writeError(res: ServerResponse, err: HttpError, send?: HostSend): void {
  if (res.headersSent) {
    res.end()
    return
  }
  // The client may still be sending a body we refused; don't keep the socket for it.
  writeJson(res, err.status, err.toJSON(), err.status === 413 ? { connection: 'close' } : undefined, send)
}

/** Writes any handler result to a Node response. */
export function writeResult(res: ServerResponse, result: unknown, options: WriteOptions): Promise<void> | void {
  const kind = resultKind(result)
  if (kind === undefined) return writeJson(res, 200, result, undefined, options.send)
  switch (kind) {
    case 'json': {
      const r = result as JsonResult
      return writeJson(res, r.status, r.value, r.headers, options.send)
    }
    case 'sse':
    case 'records':
      options.send?.stream()
      return writeFrames(res, kind === 'sse', result as StreamResult, options)
    case 'ui-message':
      options.send?.stream()
      return writeEncoded(res, UI_MESSAGE_HEADERS, result as UiMessageResult, options, uiErrorFrame)
    case 'event-stream':
      options.send?.stream()
      return writeEncoded(res, SSE_HEADERS, result as EventStreamResult, options, sseErrorFrame)
    case 'bytes': {
      const r = result as BytesResult
      if (options.send) return options.send.body(r.status, r.headers, r.body)
      res.writeHead(r.status, { ...r.headers, 'content-length': r.body.length })
      res.end(r.body)
      return
    }
  }
}

function startStream(res: ServerResponse, base: Record<string, string>, extra?: Record<string, string>): void {
  res.statusCode = 200
  for (const name in base) res.setHeader(name, base[name])
  if (extra) for (const name in extra) res.setHeader(name, extra[name])
  res.flushHeaders()
}

/** Resolves once the socket can take more, or the client is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}

/** Writes a chunk; resolves once the socket can take more (at once, unless the client reads slowly). */
function send(res: ServerResponse, chunk: string): Promise<void> | undefined {
  const ok = res.write(chunk)
  ;(res as ServerResponse & { flush?: () => void }).flush?.()
  return ok || res.destroyed ? undefined : drained(res)
}

/** A source that can also hand over, without waiting, the items it already holds (a run's event log). */
interface ReadySource<T> extends AsyncIterator<T> {
  takeReady?(): T | undefined
}

/** How much text held items may add to one write, so a reader catching up on a long log still gets it in pieces. */
const MAX_BATCH_CHARS = 64 * 1024

/**
 * A comment every `ms` keeps an idle stream open through proxies. A reader that stopped
 * reading gets none: its socket is busy, not idle, so a stalled stream costs no bytes
 * and no listeners for as long as it stays connected.
 */
function heartbeat(res: ServerResponse, ms: number): NodeJS.Timeout | undefined {
  if (!(ms > 0)) return undefined
  const timer = setInterval(() => {
    if (res.destroyed || res.writableNeedDrain) return
    res.write(': ping\n\n')
    ;(res as ServerResponse & { flush?: () => void }).flush?.()
  }, ms)
  timer.unref()
  return timer
}

async function writeFrames(res: ServerResponse, isSse: boolean, result: StreamResult, options: WriteOptions): Promise<void> {
  const frame = !isSse
    ? (v: unknown) => `${JSON.stringify(v)}\x1e`
    : result.ids
      ? // The id goes in a block of its own: EventSource still gives the next event that id (and
        // sends it back as Last-Event-ID), while @mastra/client-js, which reads only blocks that
        // begin with `data: `, keeps working.
        // The item may carry its data already serialized (`json`), and keeps it for whoever writes it next.
        (v: unknown) => {
          const entry = v as { seq: number; data: unknown; json?: string }
          return `id: ${entry.seq}\n\ndata: ${(entry.json ??= JSON.stringify(entry.data))}\n\n`
        }
      : (v: unknown) => `data: ${JSON.stringify(v)}\n\n`
  startStream(res, isSse ? SSE_HEADERS : RECORD_HEADERS, result.headers)
  const timer = isSse ? heartbeat(res, options.heartbeatMs) : undefined
  const iterator: ReadySource<unknown> = result.source[Symbol.asyncIterator]()
  const races = new AbortRaces(options.request.signal)
  const next = () => iterator.next()
  try {
    for (;;) {
      const step = await races.race(next)
      if (step === ABORTED) {
        // Ask the producer to stop; it also sees the same signal.
        iterator.return?.().catch(() => {})
        return
      }
      if (step.done) break
      let text = frame(step.value)
      // What the source already holds goes in the same write: fewer writes when the model is fast.
      if (iterator.takeReady) {
        for (let held = iterator.takeReady(); held !== undefined; held = text.length < MAX_BATCH_CHARS ? iterator.takeReady() : undefined) {
          text += frame(held)
        }
      }
      const full = send(res, text)
      if (full) await full
    }
  } catch (err) {
    const message = streamErrorMessage(err, options)
    const error = { type: 'error', payload: { message } }
    if (!res.destroyed) await send(res, isSse ? `data: ${JSON.stringify(error)}\n\n` : frame(error))
  } finally {
    races.dispose()
    if (timer) clearInterval(timer)
  }
  if (!res.destroyed) res.end()
}

const uiErrorFrame = (message: string) => `data: ${JSON.stringify({ type: 'error', errorText: message })}\n\n`
const sseErrorFrame = (message: string) => `data: ${JSON.stringify({ type: 'error', payload: { message } })}\n\n`

/** Writes a stream whose chunks are already SSE text; only the headers and the error frame differ. */
async function writeEncoded(
  res: ServerResponse,
  base: Record<string, string>,
  result: UiMessageResult | EventStreamResult,
  options: WriteOptions,
  errorFrame: (message: string) => string,
): Promise<void> {
  startStream(res, base, result.headers)
  const timer = heartbeat(res, options.heartbeatMs)
  const reader = result.stream.getReader()
  const races = new AbortRaces(options.request.signal)
  const read = () => reader.read()
  try {
    for (;;) {
      const step = await races.race(read)
      if (step === ABORTED) {
        reader.cancel().catch(() => {})
        return
      }
      if (step.done) break
      const chunk = step.value
      const full = send(res, typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))
      if (full) await full
    }
  } catch (err) {
    const message = streamErrorMessage(err, options)
    if (!res.destroyed) await send(res, errorFrame(message))
  } finally {
    races.dispose()
    if (timer) clearInterval(timer)
    reader.releaseLock()
  }
  if (!res.destroyed) res.end()
}

function streamErrorMessage(err: unknown, options: WriteOptions): string {
  const httpError = toHttpError(err)
  if (httpError.status >= 500 && !(err instanceof HttpError)) options.onError(err)
  return httpError.message
}
