import { invalid } from '../core/errors.js'
import type { WorkflowRunStatus } from '../storage/workflow-runs.js'
import type { ExecutionState, StepResult, WorkflowSnapshot } from '../storage/workflow-snapshot.js'

/** What start, resume and restart return. */
export interface WorkflowRunResult<TOutput = unknown> {
  status: WorkflowRunStatus
  steps: Record<string, StepResult>
  input: unknown
  result?: TOutput
  error?: string
  /** Paths of suspended steps; a nested step's path goes through its workflow step. */
  suspended?: string[][]
  /** Suspend payloads by top-level step id. */
  suspendPayload?: Record<string, unknown>
  runId: string
}

export function initialSnapshot(input: unknown): WorkflowSnapshot {
  return { input, position: 0, steps: {} }
}

/** Every suspended step, as a path from the top-level step down through nested workflows. */
export function suspendedPaths(state: ExecutionState): string[][] {
  const paths: string[][] = []
  for (const id of Object.keys(state.steps)) {
    if (state.steps[id].status !== 'suspended') continue
    const inner = state.nested?.[id]
    const innerPaths = inner ? suspendedPaths(inner) : []
    if (innerPaths.length === 0) paths.push([id])
    else for (const path of innerPaths) paths.push([id, ...path])
  }
  return paths
}

/** Resolves which suspended path a resume targets: exact path, top-level step, or leaf step id. */
export function pickSuspendedPath(paths: string[][], step: string | readonly string[] | { id: string } | undefined): string[] {
  const listed = paths.map((p) => p.join('.')).join(', ')
  if (step === undefined) {
    if (paths.length === 1) return paths[0]
    throw invalid('step', `several steps are suspended (${listed}); name one`)
  }
  const wanted = typeof step === 'string' ? [step] : Array.isArray(step) ? [...step] : [(step as { id: string }).id]
  const same = (p: string[]) => p.length === wanted.length && p.every((id, i) => id === wanted[i])
  const found =
    paths.find(same) ??
    (wanted.length === 1 ? paths.find((p) => p[0] === wanted[0]) ?? paths.find((p) => p[p.length - 1] === wanted[0]) : undefined)
  if (!found) throw invalid('step', `step ${wanted.join('.')} is not suspended; suspended: ${listed}`)
  return found
}

/**
 * Marks the suspended step at `path` (and the workflow steps above it) as running again
 * with its resume data, so the marked snapshot alone is enough to carry the resume out.
 */
export function markResumed(state: ExecutionState, path: readonly string[], resumeData: unknown, now: number): void {
  const [id, ...rest] = path
  const entry = state.steps[id]
  entry.status = 'running'
  delete entry.suspendPayload
  delete entry.suspendedAt
  if (rest.length === 0) {
    entry.resumePayload = resumeData
    entry.resumedAt = now
  } else {
    markResumed(state.nested![id], rest, resumeData, now)
  }
}

export function toRunResult<TOutput>(runId: string, status: WorkflowRunStatus, snapshot: WorkflowSnapshot): WorkflowRunResult<TOutput> {
  const result = { status, steps: snapshot.steps, input: snapshot.input } as WorkflowRunResult<TOutput>
  if (status === 'success') result.result = snapshot.result as TOutput
  if (snapshot.error !== undefined) result.error = snapshot.error
  if (status === 'suspended') {
    const paths = suspendedPaths(snapshot)
    result.suspended = paths
    const payloads: Record<string, unknown> = {}
    for (const [id] of paths) payloads[id] = snapshot.steps[id].suspendPayload
    result.suspendPayload = payloads
  }
  result.runId = runId
  return result
}
