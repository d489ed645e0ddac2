import { useState } from 'react'
import { useChat } from '@ai-sdk/react'
import { DefaultChatTransport, lastAssistantMessageIsCompleteWithApprovalResponses, type UIMessage } from 'ai'
import { ApiError, apiUrl, authHeaders, enc, getJson, newId, postJson } from './api'
import { missingRoute, useMount } from './mount-info'
import { formatJson, formatTime, useLoad } from './use-load'

interface AgentInfo {
  id: string
  name: string
  description?: string
  tools: Record<string, { id: string; description?: string }>
  provider?: string
  modelId?: string
}

interface ThreadInfo {
  id: string
  title?: string
  updatedAt: string
}

export function AgentsPage() {
  const agents = useLoad(() => getJson<Record<string, AgentInfo>>('agents'), 'agents')
  const [agentId, setAgentId] = useState<string>()
  const list = Object.values(agents.data ?? {})
  const agent = list.find((a) => a.id === agentId) ?? list[0]
  if (agents.error) return <p className="error">{agents.error}</p>
  if (!agent) return <p>{agents.loading ? 'Loading agents…' : 'This runtime has no agents.'}</p>
  return (
    <div className="columns">
      <aside>
        <h2>Agents</h2>
        <ul className="picker">
          {list.map((a) => (
            <li key={a.id}>
              <button aria-pressed={a.id === agent.id} onClick={() => setAgentId(a.id)}>
                <strong>{a.name}</strong>
                <small>{a.modelId ? `${a.provider}/${a.modelId}` : a.id}</small>
              </button>
            </li>
          ))}
        </ul>
        <p className="muted">{agent.description}</p>
        <p className="muted">Tools: {Object.keys(agent.tools).join(', ') || 'none'}</p>
      </aside>
      <Threads key={agent.id} agent={agent} />
    </div>
  )
}

function Threads({ agent }: { agent: AgentInfo }) {
  const threads = useLoad(
    () => getJson<{ threads: ThreadInfo[] }>(`memory/threads?agentId=${enc(agent.id)}&perPage=50`).then((r) => r.threads),
    agent.id,
  )
  const [threadId, setThreadId] = useState(() => newId('chat'))
  const known = threads.data ?? []
  return (
    <>
      <section className="threads">
        <h2>Threads</h2>
        <button onClick={() => setThreadId(newId('chat'))}>New chat</button>
        {threads.error && <p className="error">{threads.error}</p>}
        <ul className="picker">
          {known.map((t) => (
            <li key={t.id}>
              <button aria-pressed={t.id === threadId} onClick={() => setThreadId(t.id)}>
                <span>{t.title || t.id}</span>
                <small>{formatTime(t.updatedAt)}</small>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <ChatLoader key={threadId} agent={agent} threadId={threadId} onTurn={threads.reload} />
    </>
  )
}

/** Loads a thread's stored messages before the chat starts, so history shows as it was. */
function ChatLoader({ agent, threadId, onTurn }: { agent: AgentInfo; threadId: string; onTurn: () => void }) {
  const history = useLoad(
    () =>
      getJson<{ uiMessages: UIMessage[] }>(`memory/threads/${enc(threadId)}/messages?agentId=${enc(agent.id)}&perPage=200`)
        .then((r) => r.uiMessages)
        .catch((err: unknown) => {
          // A new chat has no thread yet.
          if (err instanceof ApiError && err.status === 404) return []
          throw err
        }),
    threadId,
  )
  if (history.error) return <p className="error">{history.error}</p>
  if (!history.data) return <p>Loading thread…</p>
  return <Chat agent={agent} threadId={threadId} initial={history.data} onTurn={onTurn} />
}

function Chat({ agent, threadId, initial, onTurn }: { agent: AgentInfo; threadId: string; initial: UIMessage[]; onTurn: () => void }) {
  const { hasRoute } = useMount()
  const canStop = hasRoute('post', '/agents/{agentId}/chat/{chatId}/stop')
  const canRejoin = hasRoute('get', '/agents/{agentId}/chat/{chatId}/stream')
  const [input, setInput] = useState('')
  const { messages, sendMessage, status, stop, error, addToolApprovalResponse } = useChat({
    id: threadId,
    messages: initial,
    // Rejoins a reply still streaming when the page was reloaded (needs the rejoin route).
    resume: canRejoin,
    transport: new DefaultChatTransport({ api: apiUrl(`agents/${enc(agent.id)}/chat`), headers: () => authHeaders() }),
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
    onFinish: onTurn,
  })
  const busy = status === 'submitted' || status === 'streaming'
  const stopRun = () => {
    void stop()
    // The client's abort ends this request; the stop route also ends the run on the server.
    if (canStop) postJson(`agents/${enc(agent.id)}/chat/${enc(threadId)}/stop`).catch(() => {})
  }
  return (
    <section className="chat" aria-label="Chat">
      <h2>
        Chat <small className="muted">{threadId}</small>
      </h2>
      <ol className="messages">
        {messages.map((m) => (
          <li key={m.id} className={`message ${m.role}`} data-role={m.role}>
            {m.parts.map((part, i) => (
              <Part key={i} part={part} onApprove={(id, approved) => void addToolApprovalResponse({ id, approved })} />
            ))}
          </li>
        ))}
      </ol>
      {error && <p className="error" role="alert">{error.message}</p>}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault()
          if (!input.trim() || busy) return
          void sendMessage({ text: input })
          setInput('')
        }}
      >
        <input name="message" placeholder={`Message ${agent.name}`} value={input} onChange={(e) => setInput(e.target.value)} />
        {busy ? (
          <button type="button" onClick={stopRun}>
            Stop
          </button>
        ) : (
          <button type="submit">Send</button>
        )}
      </form>
      {!canRejoin && <p className="muted small">{missingRoute('GET', '/agents/{agentId}/chat/{chatId}/stream')} A reload does not rejoin a reply in flight.</p>}
    </section>
  )
}

type AnyPart = UIMessage['parts'][number]

function Part({ part, onApprove }: { part: AnyPart; onApprove: (id: string, approved: boolean) => void }) {
  if (part.type === 'text') return <p className="text">{part.text}</p>
  if (part.type === 'reasoning') return <p className="reasoning">{part.text}</p>
  if (part.type !== 'dynamic-tool' && !part.type.startsWith('tool-')) return null
  const tool = part as AnyPart & {
    toolName?: string
    toolCallId: string
    state: string
    input?: unknown
    output?: unknown
    errorText?: string
    approval?: { id: string; approved?: boolean; reason?: string }
  }
  const name = tool.type === 'dynamic-tool' ? tool.toolName : tool.type.slice('tool-'.length)
  return (
    <div className="tool" data-tool={name} data-state={tool.state}>
      <div>
        <strong>{name}</strong> <span className="badge">{tool.state}</span>
      </div>
      {tool.input !== undefined && <pre aria-label="input">{formatJson(tool.input)}</pre>}
      {tool.state === 'approval-requested' && tool.approval && (
        <div className="actions">
          <button onClick={() => onApprove(tool.approval!.id, true)}>Approve</button>
          <button className="secondary" onClick={() => onApprove(tool.approval!.id, false)}>
            Decline
          </button>
        </div>
      )}
      {tool.state === 'output-available' && <pre aria-label="result">{formatJson(tool.output)}</pre>}
      {tool.state === 'output-error' && <p className="error">{tool.errorText}</p>}
      {tool.state === 'output-denied' && <p className="muted">Declined</p>}
    </div>
  )
}
