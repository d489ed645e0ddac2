import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A small OpenAI-compatible chat completions server on loopback, so a real provider
 * package's HTTP, SSE and abort code runs in tests. Behaviour follows the last message:
 * - a user message containing "slow" streams tokens until the client goes away;
 * - when tools are offered and the last message is the user's, it calls the first tool
 *   with `toolArgs`;
 * - after a tool result it answers "Tool said: <result>";
 * - otherwise it answers "Echo: <user text>".
 */
export interface FakeOpenAI {
  /** Base URL to give the provider, ending in `/v1`. */
  baseURL: string
  requests: any[]
  /** Responses the client closed before they finished. */
  closedEarly: number
  close(): Promise<void>
}

function lastMessage(body: any): any {
  return body.messages[body.messages.length - 1]
}

function textOf(message: any): string {
  if (typeof message.content === 'string') return message.content
  return (message.content ?? []).map((p: any) => p.text ?? '').join('')
}

function chunk(id: string, delta: Record<string, unknown>, finish: string | null = null, usage?: unknown) {
  return `data: ${JSON.stringify({
    id,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'fake-model',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`
}

const USAGE = { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 }

export async function startFakeOpenAI(options: { toolArgs?: Record<string, unknown> } = {}): Promise<FakeOpenAI> {
  const state = { requests: [] as any[], closedEarly: 0 }

  const handle = (req: IncomingMessage, res: ServerResponse, body: any) => {
    state.requests.push(body)
    const last = lastMessage(body)
    const id = `chatcmpl-${state.requests.length}`
    res.on('close', () => {
      if (!res.writableFinished) state.closedEarly++
    })
    const callTool = Array.isArray(body.tools) && body.tools.length > 0 && last.role === 'user'
    const toolCall = callTool
      ? { id: `call_${state.requests.length}`, name: body.tools[0].function.name, args: JSON.stringify(options.toolArgs ?? {}) }
      : undefined
    const text = last.role === 'tool' ? `Tool said: ${textOf(last)}` : `Echo: ${textOf(last)}`

    if (!body.stream) {
      res.setHeader('content-type', 'application/json')
      const message = toolCall
        ? { role: 'assistant', content: null, tool_calls: [{ id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: toolCall.args } }] }
        : { role: 'assistant', content: text }
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created: 1_700_000_000,
          model: 'fake-model',
          choices: [{ index: 0, message, finish_reason: toolCall ? 'tool_calls' : 'stop' }],
          usage: USAGE,
        }),
      )
      return
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    if (textOf(last).includes('slow')) {
      let n = 0
      const timer = setInterval(() => res.write(chunk(id, { content: `tok${n++} ` })), 20)
      res.on('close', () => clearInterval(timer))
      return
    }
    if (toolCall) {
      res.write(chunk(id, { role: 'assistant', tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: '' } }] }))
      const half = Math.ceil(toolCall.args.length / 2)
      for (const piece of [toolCall.args.slice(0, half), toolCall.args.slice(half)]) {
        res.write(chunk(id, { tool_calls: [{ index: 0, function: { arguments: piece } }] }))
      }
      res.write(chunk(id, {}, 'tool_calls', USAGE))
    } else {
      res.write(chunk(id, { role: 'assistant', content: '' }))
      for (const word of text.split(/(?<= )/)) res.write(chunk(id, { content: word }))
      res.write(chunk(id, {}, 'stop', USAGE))
    }
    res.end('data: [DONE]\n\n')
  }

  const server = createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.statusCode = 404
      res.end()
      return
    }
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => (raw += c))
    req.on('end', () => handle(req, res, JSON.parse(raw)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests
    },
    get closedEarly() {
      return state.closedEarly
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
