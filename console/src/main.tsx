import { StrictMode, useCallback, useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { ApiError, getJson, getToken, setToken } from './api'
import { MountContext, routeChecker, type MountInfo, type OpenApiDoc } from './mount-info'
import { AgentsPage } from './agents'
import { WorkflowsPage } from './workflows'
import { RunsPage } from './runs'
import { ApiPage } from './api-docs'
import './styles.css'

const PAGES = [
  { id: 'agents', title: 'Agents', Page: AgentsPage },
  { id: 'workflows', title: 'Workflows', Page: WorkflowsPage },
  { id: 'runs', title: 'Runs and usage', Page: RunsPage },
  { id: 'api', title: 'API', Page: ApiPage },
] as const

function currentPage(): string {
  const id = location.hash.replace(/^#\/?/, '').split('/')[0]
  return PAGES.some((p) => p.id === id) ? id : 'agents'
}

type Session = { state: 'loading' } | { state: 'signed-out'; error?: string } | { state: 'signed-in'; info: MountInfo }

function SignIn({ error, onSubmit }: { error?: string; onSubmit: (token: string) => void }) {
  const [token, setValue] = useState('')
  return (
    <form
      className="sign-in"
      onSubmit={(e) => {
        e.preventDefault()
        onSubmit(token.trim())
      }}
    >
      <h1>agentmount console</h1>
      <p>This mount asks who you are. Paste the bearer token your app gives you.</p>
      <label>
        Token
        <input name="token" type="password" autoComplete="off" value={token} onChange={(e) => setValue(e.target.value)} autoFocus />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit" disabled={!token.trim()}>
        Sign in
      </button>
    </form>
  )
}

function App() {
  const [session, setSession] = useState<Session>({ state: 'loading' })
  const [page, setPage] = useState(currentPage)

  const connect = useCallback(async () => {
    try {
      const doc = await getJson<OpenApiDoc>('openapi.json')
      // Any protected read tells whether the app's `authenticate` accepts this browser.
      await getJson('agents')
      setSession({ state: 'signed-in', info: { doc, hasRoute: routeChecker(doc), secured: doc.components?.securitySchemes !== undefined } })
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setSession({ state: 'signed-out', error: getToken() ? 'The server did not accept this token.' : undefined })
      } else {
        setSession({ state: 'signed-out', error: err instanceof Error ? err.message : String(err) })
      }
    }
  }, [])

  useEffect(() => {
    void connect()
    const onHash = () => setPage(currentPage())
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [connect])

  if (session.state === 'loading') return <p className="loading">Connecting…</p>
  if (session.state === 'signed-out') {
    return (
      <SignIn
        error={session.error}
        onSubmit={(token) => {
          setToken(token)
          setSession({ state: 'loading' })
          void connect()
        }}
      />
    )
  }
  const active = PAGES.find((p) => p.id === page) ?? PAGES[0]
  return (
    <MountContext.Provider value={session.info}>
      <header className="top">
        <strong>agentmount</strong>
        <nav>
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} aria-current={p.id === active.id ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        {getToken() && (
          <button
            className="link"
            onClick={() => {
              setToken('')
              setSession({ state: 'signed-out' })
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <main>
        <active.Page />
      </main>
    </MountContext.Provider>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
