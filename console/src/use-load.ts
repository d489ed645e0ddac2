import { useCallback, useEffect, useState } from 'react'

export interface Loaded<T> {
  data?: T
  error?: string
  loading: boolean
  reload(): void
}

/** Runs `load` when `key` changes (and on `reload()`), keeping the last answer or error. */
export function useLoad<T>(load: (() => Promise<T>) | undefined, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: load !== undefined })
  const [round, setRound] = useState(0)
  useEffect(() => {
    if (!load) {
      setState({ loading: false })
      return
    }
    let live = true
    setState((s) => ({ ...s, loading: true }))
    load().then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) => live && setState({ error: err instanceof Error ? err.message : String(err), loading: false }),
    )
    return () => {
      live = false
    }
    // `load` is re-created each render; `key` says when its inputs changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, round])
  const reload = useCallback(() => setRound((r) => r + 1), [])
  return { ...state, reload }
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value)
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '—'
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

export function formatTime(value: string | number | Date | undefined): string {
  if (value === undefined) return '—'
  return new Date(value).toLocaleString()
}
