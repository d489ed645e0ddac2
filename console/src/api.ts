// The console's only way to the server: the mount's public routes, with the signed-in token.

const TOKEN_KEY = 'agentmount.console.token'

/** The mount prefix: the page lives at `<prefix>/_console/` (its `<base>`). */
export const apiBase = new URL('..', document.baseURI)

export function apiUrl(path: string): string {
  return new URL(path.replace(/^\//, ''), apiBase).toString()
}

export function getToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

export function setToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token)
  else sessionStorage.removeItem(TOKEN_KEY)
}

export function authHeaders(): Record<string, string> {
  const token = getToken()
  return token ? { authorization: `Bearer ${token}` } : {}
}

/** The mount's error envelope, thrown for every non-2xx answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text()
  try {
    const body = JSON.parse(text) as { error?: string; code?: string }
    return new ApiError(res.status, body.code ?? `HTTP_${res.status}`, body.error ?? res.statusText)
  } catch {
    return new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText)
  }
}

export interface RequestOptions {
  method?: string
  body?: unknown
  signal?: AbortSignal
}

/** Sends a request to the mount; `body` goes as JSON. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...authHeaders() }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(apiUrl(path), {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
    credentials: 'same-origin',
  })
  if (!res.ok) throw await failure(res)
  return res
}

export async function getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await request(path, options)
  return (await res.json()) as T
}

export const postJson = <T>(path: string, body: unknown = {}, signal?: AbortSignal) =>
  getJson<T>(path, { method: 'POST', body, signal })

/** Reads a `\x1e`-separated record stream (the workflow stream's framing). */
export async function* readRecords(res: Response): AsyncGenerator<any> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffered = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    buffered += value
    let at: number
    while ((at = buffered.indexOf('\x1e')) !== -1) {
      const record = buffered.slice(0, at)
      buffered = buffered.slice(at + 1)
      if (record.trim()) yield JSON.parse(record)
    }
  }
}

export const enc = encodeURIComponent

/** A JSON schema as `GET /workflows` sends it: a string of `{ json: <schema> }`. */
export function parseSchema(value: string | undefined): JsonSchema | undefined {
  if (!value) return undefined
  const parsed = JSON.parse(value) as { json?: JsonSchema }
  return parsed.json ?? (parsed as JsonSchema)
}

export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  enum?: unknown[]
  default?: unknown
  description?: string
  items?: JsonSchema
  anyOf?: JsonSchema[]
}

export function newId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`
}
