import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_SESSIONS_PER_OWNER, McpSessions, SESSION_IDLE_MS } from '../../../src/routes/mcp/sessions.js'

function open(sessions: McpSessions, id: string, owner: string) {
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: () => id })
  const server = new Server({ name: 'test', version: '1' }, { capabilities: {} })
  sessions.add(id, owner, transport, server)
  return transport
}

describe('MCP sessions', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('hands a session only to the owner that opened it', () => {
    const sessions = new McpSessions()
    const transport = open(sessions, 's1', 'alice')
    expect(sessions.get('s1', 'alice')).toBe(transport)
    expect(sessions.get('s1', 'bob')).toBeUndefined()
    expect(sessions.get('s2', 'alice')).toBeUndefined()
  })

  it('closes an owner’s least recently used session past the limit, leaving other owners alone', () => {
    vi.useFakeTimers()
    const sessions = new McpSessions()
    open(sessions, 'bob-1', 'bob')
    for (let i = 0; i < MAX_SESSIONS_PER_OWNER; i++) {
      vi.advanceTimersByTime(1)
      open(sessions, `a${i}`, 'alice')
    }
    vi.advanceTimersByTime(1)
    sessions.get('a0', 'alice') // a0 is now the most recently used; a1 the least
    vi.advanceTimersByTime(1)
    open(sessions, 'a-new', 'alice')
    expect(sessions.get('a1', 'alice')).toBeUndefined()
    expect(sessions.get('a0', 'alice')).toBeDefined()
    expect(sessions.get('a-new', 'alice')).toBeDefined()
    expect(sessions.get('bob-1', 'bob')).toBeDefined()
  })

  it('closes sessions idle for longer than the limit when another opens', () => {
    vi.useFakeTimers()
    const sessions = new McpSessions()
    open(sessions, 'old', 'alice')
    vi.advanceTimersByTime(SESSION_IDLE_MS + 1)
    open(sessions, 'new', 'bob')
    expect(sessions.get('old', 'alice')).toBeUndefined()
    expect(sessions.get('new', 'bob')).toBeDefined()
  })
})
