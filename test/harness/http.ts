import { request as httpRequest, type IncomingMessage } from 'node:http'

export interface JsonResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

/** fetch + JSON decode, keeping the raw text for assertions on what was not sent. */
export async function call<T = any>(url: string, init: RequestInit & { json?: unknown; token?: string } = {}): Promise<JsonResponse<T>> {
  const headers = new Headers(init.headers)
  if (init.token) headers.set('authorization', `Bearer ${init.token}`)
  let body = init.body
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json')
    body = JSON.stringify(init.json)
  }
  const res = await fetch(url, { ...init, headers, body })
  const text = await res.text()
  let parsed: unknown = undefined
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = text
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text }
}

/** A raw Node request, for chunked uploads and disconnects that fetch can't express. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string> },
): { req: ReturnType<typeof httpRequest>; response: Promise<IncomingMessage> } {
  const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers })
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve)
    req.on('error', reject)
  })
  // A test that destroys the request on purpose never awaits the response.
  response.catch(() => {})
  return { req, response }
}

export function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    res.setEncoding('utf8')
    res.on('data', (c: string) => (text += c))
    res.on('end', () => resolve(text))
    res.on('error', reject)
  })
}

/** Polls until `check` returns a truthy value; fails after `ms` (a deadline, not a timing assertion). */
export async function eventually<T>(check: () => T | Promise<T>, ms = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error('condition not met before the deadline')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Splits an SSE body into its JSON data frames (comments and [DONE] skipped). */
export function sseFrames(text: string): any[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'))
    .filter((data) => data !== '' && data !== '[DONE]')
    .map((data) => JSON.parse(data))
}

/** Splits a records body (`<json>\x1e` each). */
export function recordFrames(text: string): any[] {
  return text.split('\x1e').filter(Boolean).map((r) => JSON.parse(r))
}
