import type { IncomingMessage } from 'node:http'
import { HttpError } from '../core/errors.js'
import { checkJsonValue } from '../core/limits.js'

export const DEFAULT_BODY_LIMIT = 1024 * 1024

function isJsonType(contentType: string): boolean {
  const semi = contentType.indexOf(';')
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase()
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds the ${limit} byte limit`)
}

/** True when the request announces a body (RFC 9112 §6.3). */
function hasBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length']
  if (length !== undefined) return length !== '0'
  return raw.headers['transfer-encoding'] !== undefined
}

/**
 * Reads the JSON body of a request. A body a host parser already consumed is used
 * as is; otherwise the raw stream is read up to `limit` bytes.
 */
export async function readBody(raw: IncomingMessage, parsedBody: unknown, limit: number): Promise<unknown> {
  if (raw.readableEnded) {
    // A host parser ran; still only JSON is acceptable on a JSON route.
    const type = raw.headers['content-type']
    if (type !== undefined && !isJsonType(type)) throw unsupportedType(type)
    checkJsonValue(parsedBody)
    return parsedBody
  }
  if (!hasBody(raw)) return undefined
  const type = raw.headers['content-type']
  if (type === undefined || !isJsonType(type)) throw unsupportedType(type)
  const declared = raw.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
  const text = await readText(raw, limit)
  if (text.length === 0) return undefined
  return parseJson(text)
}

function unsupportedType(type: string | undefined): HttpError {
  return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Expected a JSON body (application/json), got ${type ?? 'no content type'}`)
}

function readText(raw: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const cleanup = () => {
      raw.off('data', onData)
      raw.off('end', onEnd)
      raw.off('error', onError)
      raw.off('close', onClose)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        reject(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8'))
    }
    const onError = () => {
      cleanup()
      reject(new HttpError(400, 'BAD_JSON', 'Request body could not be read'))
    }
    const onClose = () => {
      if (raw.readableEnded) return
      cleanup()
      reject(new HttpError(400, 'BAD_JSON', 'Request body was cut short'))
    }
    raw.on('data', onData)
    raw.on('end', onEnd)
    raw.on('error', onError)
    raw.on('close', onClose)
  })
}

/** JSON.parse that refuses prototype-poisoning keys and over-deep nesting instead of carrying them along. */
export function parseJson(text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new HttpError(400, 'BAD_JSON', `Malformed JSON in request body: ${(err as Error).message}`)
  }
  checkJsonValue(value)
  return value
}
