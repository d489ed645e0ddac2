import type { WorkflowRunStatus } from '../storage/workflow-runs.js'

/** How a workflow run ended. */
export type WorkflowRunEnd = 'success' | 'failed' | 'canceled'

/**
 * A workflow run as `observability.onRunFinish` receives it, once it ended: `kind` tells it
 * from an agent run's record (`'generate'`, `'stream'` or `'chat'`).
 */
export interface WorkflowRunFinish {
  kind: 'workflow'
  workflowId: string
  runId: string
  resourceId: string | null
  status: WorkflowRunEnd
  createdAt: Date
  finishedAt: Date
  /** From `createdAt` to `finishedAt`, time spent suspended included. */
  durationMs: number
  /** Why a failed run failed. */
  error?: { message: string }
}

/** Told once per run, by whichever instance stored its end. */
export type AnnounceWorkflowRun = (run: WorkflowRunFinish) => void

export function isRunEnd(status: WorkflowRunStatus): status is WorkflowRunEnd {
  return status === 'success' || status === 'failed' || status === 'canceled'
}

/** What the hook receives for a run that just ended with `status`. */
export function finishedWorkflowRun(
  run: { workflowId: string; runId: string; resourceId: string | null; createdAt: Date },
  status: WorkflowRunEnd,
  error: string | undefined,
  finishedAt = new Date(),
): WorkflowRunFinish {
  const durationMs = Math.max(0, finishedAt.getTime() - run.createdAt.getTime())
  const { workflowId, runId, resourceId, createdAt } = run
  const finished: WorkflowRunFinish = { kind: 'workflow', workflowId, runId, resourceId, status, createdAt, finishedAt, durationMs }
  if (status === 'failed') finished.error = { message: error ?? 'The workflow run failed' }
  return finished
}
