import { useEffect, useState } from 'react'
import { enc, getJson, newId, parseSchema, postJson, readRecords, request } from './api'
import { useMount } from './mount-info'
import { SchemaForm } from './schema-form'
import { formatJson, formatMs, formatTime, useLoad } from './use-load'

export interface WorkflowInfo {
  name: string
  description?: string
  steps: Record<string, { id: string; description?: string; inputSchema: string; resumeSchema?: string; suspendSchema?: string }>
  inputSchema: string
}

interface StepState {
  status: string
  output?: unknown
  suspendPayload?: unknown
  error?: string
  startedAt?: number
  endedAt?: number
}

export interface RunState {
  runId: string
  status: string
  createdAt: string
  updatedAt: string
  payload?: unknown
  steps: Record<string, StepState>
  result?: unknown
  error?: string
}

export function WorkflowsPage() {
  const workflows = useLoad(() => getJson<Record<string, WorkflowInfo>>('workflows'), 'workflows')
  const [picked, setPicked] = useState<string>()
  const ids = Object.keys(workflows.data ?? {})
  const id = picked && ids.includes(picked) ? picked : ids[0]
  if (workflows.error) return <p className="error">{workflows.error}</p>
  if (!id) return <p>{workflows.loading ? 'Loading workflows…' : 'This runtime has no workflows.'}</p>
  return (
    <div className="columns">
      <aside>
        <h2>Workflows</h2>
        <ul className="picker">
          {ids.map((w) => (
            <li key={w}>
              <button aria-pressed={w === id} onClick={() => setPicked(w)}>
                <strong>{w}</strong>
                <small>{Object.keys(workflows.data![w].steps).length} steps</small>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <Workflow key={id} id={id} info={workflows.data![id]} />
    </div>
  )
}

/** The steps in the order the workflow declares them, each lit by its status in the run. */
function StepGraph({ info, run }: { info: WorkflowInfo; run?: RunState }) {
  return (
    <ol className="graph" aria-label="Step graph">
      {Object.values(info.steps).map((step) => {
        const status = run?.steps[step.id]?.status ?? 'idle'
        return (
          <li key={step.id} className={`step ${status}`} data-step={step.id} data-status={status}>
            <strong>{step.id}</strong>
            <small>{step.description}</small>
            <span className="badge">{status}</span>
          </li>
        )
      })}
    </ol>
  )
}

function Workflow({ id, info }: { id: string; info: WorkflowInfo }) {
  const { hasRoute } = useMount()
  const runs = useLoad(() => getJson<{ runs: RunState[]; total: number }>(`workflows/${enc(id)}/runs?perPage=20`), id)
  const [run, setRun] = useState<RunState>()
  const [error, setError] = useState<string>()
  const [busy, setBusy] = useState(false)

  const refresh = async (runId: string) => {
    setRun(await getJson<RunState>(`workflows/${enc(id)}/runs/${enc(runId)}`))
    runs.reload()
  }

  // Poll while a run is running elsewhere (started in the background, resumed, restarted).
  useEffect(() => {
    if (busy || run?.status !== 'running') return
    const timer = setTimeout(() => void refresh(run.runId).catch((e: Error) => setError(e.message)), 1000)
    return () => clearTimeout(timer)
  })

  const act = async (work: () => Promise<void>) => {
    setError(undefined)
    setBusy(true)
    try {
      await work()
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }

  /** Lights the steps up as the run's records arrive, then loads the stored run. */
  const follow = async (res: Response, live: RunState) => {
    for await (const event of readRecords(res)) {
      const payload = event.payload ?? {}
      if (typeof payload.id === 'string') {
        live.steps = { ...live.steps, [payload.id]: { ...live.steps[payload.id], ...payload } }
      }
      if (event.type === 'workflow-finish') live.status = payload.workflowStatus ?? live.status
      setRun({ ...live })
    }
    await refresh(live.runId)
  }

  const start = (inputData: unknown) =>
    act(async () => {
      const runId = newId(id)
      const live: RunState = { runId, status: 'running', createdAt: new Date().toISOString(), updatedAt: '', steps: {} }
      setRun(live)
      await follow(await request(`workflows/${enc(id)}/stream?runId=${enc(runId)}`, { body: { inputData } }), live)
    })

  const resume = (current: RunState, step: string, resumeData: unknown) =>
    act(async () => {
      const query = `runId=${enc(current.runId)}`
      if (hasRoute('post', '/workflows/{workflowId}/resume-stream')) {
        const live = { ...current, status: 'running' }
        setRun(live)
        await follow(await request(`workflows/${enc(id)}/resume-stream?${query}`, { body: { step, resumeData } }), live)
      } else {
        await postJson(`workflows/${enc(id)}/resume-async?${query}`, { step, resumeData })
        await refresh(current.runId)
      }
    })

  const suspended = run ? Object.entries(run.steps).find(([, s]) => s.status === 'suspended') : undefined
  const resumeSchema = suspended ? parseSchema(info.steps[suspended[0]]?.resumeSchema) : undefined

  return (
    <section className="workflow">
      <h2>{info.name}</h2>
      <p className="muted">{info.description}</p>
      <StepGraph info={info} run={run} />
      <div className="columns two">
        <div>
          <h3>Start a run</h3>
          <SchemaForm schema={parseSchema(info.inputSchema)} submitLabel="Start" busy={busy} onSubmit={(v) => void start(v)} />
        </div>
        <div aria-label="Run">
          <h3>Run</h3>
          {error && <p className="error" role="alert">{error}</p>}
          {!run && <p className="muted">Start a run or pick one from the history.</p>}
          {run && (
            <>
              <p>
                <code>{run.runId}</code> <span className={`badge ${run.status}`} data-run-status={run.status}>{run.status}</span>
              </p>
              {suspended && (
                <div className="suspend-panel">
                  <h4>Waiting at {suspended[0]}</h4>
                  <pre>{formatJson(suspended[1].suspendPayload)}</pre>
                  <SchemaForm
                    key={run.runId}
                    schema={resumeSchema}
                    submitLabel="Resume"
                    busy={busy}
                    onSubmit={(resumeData) => void resume(run, suspended[0], resumeData)}
                  />
                </div>
              )}
              {(run.status === 'running' || run.status === 'suspended' || run.status === 'pending') && (
                <button
                  className="secondary"
                  disabled={busy && run.status !== 'running'}
                  onClick={() =>
                    void postJson(`workflows/${enc(id)}/runs/${enc(run.runId)}/cancel`)
                      .then(() => refresh(run.runId))
                      .catch((e: Error) => setError(e.message))
                  }
                >
                  Cancel run
                </button>
              )}
              {run.result !== undefined && (
                <>
                  <h4>Result</h4>
                  <pre aria-label="result">{formatJson(run.result)}</pre>
                </>
              )}
              {run.error && <p className="error">{run.error}</p>}
            </>
          )}
        </div>
      </div>
      <h3>History</h3>
      {runs.error && <p className="error">{runs.error}</p>}
      <RunTable runs={runs.data?.runs ?? []} onPick={(r) => void refresh(r.runId).catch((e: Error) => setError(e.message))} />
    </section>
  )
}

export function runDuration(run: RunState): number | undefined {
  const times = Object.values(run.steps).flatMap((s) => [s.startedAt, s.endedAt]).filter((t): t is number => typeof t === 'number')
  if (times.length === 0) return undefined
  return Math.max(...times) - Math.min(...times)
}

export function RunTable({ runs, onPick, workflow }: { runs: RunState[]; onPick?: (run: RunState) => void; workflow?: boolean }) {
  if (runs.length === 0) return <p className="muted">No runs yet.</p>
  return (
    <table className="runs">
      <thead>
        <tr>
          {workflow && <th>workflow</th>}
          <th>run</th>
          <th>status</th>
          <th>created</th>
          <th>duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId} data-run={r.runId}>
            {workflow && <td>{(r as RunState & { workflowName?: string }).workflowName}</td>}
            <td>{onPick ? <button className="link" onClick={() => onPick(r)}>{r.runId}</button> : <code>{r.runId}</code>}</td>
            <td>
              <span className={`badge ${r.status}`}>{r.status}</span>
            </td>
            <td>{formatTime(r.createdAt)}</td>
            <td>{formatMs(runDuration(r))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
