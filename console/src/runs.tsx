import { enc, getJson } from './api'
import { missingRoute, useMount } from './mount-info'
import { formatMs, formatTime, useLoad } from './use-load'
import { RunTable, type RunState, type WorkflowInfo } from './workflows'

/** An agent run record as `GET /agents/:agentId/runs` lists it. */
interface AgentRun {
  runId: string
  agentId: string
  threadId?: string | null
  status: string
  model?: { provider: string; modelId: string } | null
  usage?: { inputTokens?: number; outputTokens?: number; totalTokens?: number }
  cost?: number | null
  createdAt: string
  finishedAt?: string | null
  error?: { message: string } | null
}

interface UsageGroup {
  key: string
  runs: number
  errors: number
  inputTokens: number
  outputTokens: number
  totalTokens: number
  cost: number
  p50Ms: number
  p95Ms: number
}

const AGENT_RUNS = '/agents/{agentId}/runs'

function money(cost: number | null | undefined): string {
  return typeof cost === 'number' ? `$${cost.toFixed(4)}` : '—'
}

export function RunsPage() {
  const { hasRoute } = useMount()
  return (
    <div className="stack">
      <section>
        <h2>Agent runs</h2>
        {hasRoute('get', AGENT_RUNS) ? <AgentRuns /> : <p className="muted">{missingRoute('GET', AGENT_RUNS)}</p>}
      </section>
      <section>
        <h2>Workflow runs</h2>
        <WorkflowRuns />
      </section>
      <section>
        <h2>Usage</h2>
        {hasRoute('get', '/usage') ? <Usage /> : <p className="muted">{missingRoute('GET', '/usage')}</p>}
      </section>
    </div>
  )
}

function AgentRuns() {
  const runs = useLoad(async () => {
    const agents = Object.keys(await getJson<Record<string, unknown>>('agents'))
    const lists = await Promise.all(agents.map((id) => getJson<{ runs: AgentRun[] }>(`agents/${enc(id)}/runs?perPage=50`)))
    return lists.flatMap((l) => l.runs).sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)))
  }, 'agent-runs')
  if (runs.error) return <p className="error">{runs.error}</p>
  if (!runs.data) return <p>Loading…</p>
  if (runs.data.length === 0) return <p className="muted">No agent runs yet.</p>
  return (
    <table className="runs">
      <thead>
        <tr>
          <th>agent</th>
          <th>run</th>
          <th>status</th>
          <th>model</th>
          <th>started</th>
          <th>duration</th>
          <th>tokens</th>
          <th>cost</th>
        </tr>
      </thead>
      <tbody>
        {runs.data.map((r) => (
          <tr key={r.runId} data-run={r.runId}>
            <td>{r.agentId}</td>
            <td>
              <code>{r.runId}</code>
            </td>
            <td>
              <span className={`badge ${r.status}`} title={r.error?.message}>
                {r.status}
              </span>
            </td>
            <td>{r.model ? `${r.model.provider}/${r.model.modelId}` : '—'}</td>
            <td>{formatTime(r.createdAt)}</td>
            <td>{r.finishedAt ? formatMs(Date.parse(r.finishedAt) - Date.parse(r.createdAt)) : '—'}</td>
            <td>{r.usage?.totalTokens ?? '—'}</td>
            <td>{money(r.cost)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function WorkflowRuns() {
  const runs = useLoad(async () => {
    const workflows = Object.keys(await getJson<Record<string, WorkflowInfo>>('workflows'))
    const lists = await Promise.all(
      workflows.map((id) => getJson<{ runs: (RunState & { workflowName: string })[] }>(`workflows/${enc(id)}/runs?perPage=50`)),
    )
    return lists.flatMap((l) => l.runs).sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)))
  }, 'workflow-runs')
  if (runs.error) return <p className="error">{runs.error}</p>
  if (!runs.data) return <p>Loading…</p>
  return <RunTable runs={runs.data} workflow />
}

function Usage() {
  const usage = useLoad(() => getJson<{ groups: UsageGroup[] }>('usage?groupBy=day').then((r) => r.groups), 'usage')
  if (usage.error) return <p className="error">{usage.error}</p>
  if (!usage.data) return <p>Loading…</p>
  if (usage.data.length === 0) return <p className="muted">No usage recorded yet.</p>
  const max = Math.max(1, ...usage.data.map((g) => g.totalTokens))
  const width = 32
  return (
    <div className="usage">
      <svg role="img" aria-label="Tokens per day" viewBox={`0 0 ${usage.data.length * width + 8} 130`} className="chart">
        {usage.data.map((g, i) => {
          const h = Math.round((g.totalTokens / max) * 100)
          return (
            <g key={g.key}>
              <rect x={i * width + 8} y={110 - h} width={width - 8} height={h}>
                <title>{`${g.key}: ${g.totalTokens} tokens`}</title>
              </rect>
              <text x={i * width + 8} y={125} fontSize="8">
                {g.key.slice(5)}
              </text>
            </g>
          )
        })}
      </svg>
      <table className="runs">
        <thead>
          <tr>
            <th>day</th>
            <th>runs</th>
            <th>errors</th>
            <th>input</th>
            <th>output</th>
            <th>total</th>
            <th>cost</th>
            <th>p50</th>
            <th>p95</th>
          </tr>
        </thead>
        <tbody>
          {usage.data.map((g) => (
            <tr key={g.key}>
              <td>{g.key}</td>
              <td>{g.runs}</td>
              <td>{g.errors}</td>
              <td>{g.inputTokens}</td>
              <td>{g.outputTokens}</td>
              <td>{g.totalTokens}</td>
              <td>{money(g.cost)}</td>
              <td>{formatMs(g.p50Ms)}</td>
              <td>{formatMs(g.p95Ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
