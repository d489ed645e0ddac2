import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'

/** Sessions one principal may hold at once; opening another closes its least recently used. */
export const MAX_SESSIONS_PER_OWNER = 32
/** A session nobody used for this long is closed when the next one opens. */
export const SESSION_IDLE_MS = 60 * 60 * 1000

interface Session {
  owner: string
  transport: WebStandardStreamableHTTPServerTransport
  server: Server
  lastUsed: number
}

/**
 * Live MCP sessions by `Mcp-Session-Id`, each owned by the principal that opened it: a
 * session id presented by anyone else is answered exactly like an unknown one.
 */
export class McpSessions {
  readonly #sessions = new Map<string, Session>()

  add(id: string, owner: string, transport: Session['transport'], server: Server): void {
    const now = Date.now()
    const owned: Array<[string, Session]> = []
    for (const [key, session] of this.#sessions) {
      if (now - session.lastUsed > SESSION_IDLE_MS) this.close(key)
      else if (session.owner === owner) owned.push([key, session])
    }
    owned.sort((a, b) => a[1].lastUsed - b[1].lastUsed)
    for (let i = 0; i <= owned.length - MAX_SESSIONS_PER_OWNER; i++) this.close(owned[i][0])
    this.#sessions.set(id, { owner, transport, server, lastUsed: now })
  }

  /** The session's transport when `owner` opened it, else undefined. */
  get(id: string, owner: string): Session['transport'] | undefined {
    const session = this.#sessions.get(id)
    if (!session || session.owner !== owner) return undefined
    session.lastUsed = Date.now()
    return session.transport
  }

  /** Forgets the session; called once its transport has closed. */
  forget(id: string): void {
    this.#sessions.delete(id)
  }

  close(id: string): void {
    const session = this.#sessions.get(id)
    if (!session) return
    this.#sessions.delete(id)
    // Closing the server closes its transport, ending open streams and aborting running calls.
    void session.server.close()
  }

  closeAll(): void {
    for (const id of [...this.#sessions.keys()]) this.close(id)
  }
}
