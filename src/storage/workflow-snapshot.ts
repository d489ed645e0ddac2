// The persisted state of a workflow run: what the engine writes and a store keeps as JSON.

export type StepStatus = 'running' | 'success' | 'failed' | 'suspended' | 'canceled'

/** One step's outcome as stored and as returned in `steps` (Mastra's shape). Times are epoch ms. */
export interface StepResult {
  status: StepStatus
  output?: unknown
  error?: string
  suspendPayload?: unknown
  resumePayload?: unknown
  startedAt: number
  endedAt?: number
  suspendedAt?: number
  resumedAt?: number
}

/**
 * Where one graph (a workflow, or a workflow nested as a step) stands. A step entry
 * that is `running` with a `resumePayload` is a resume in progress: running it again
 * after a crash hands it the same resume data.
 */
export interface ExecutionState {
  /** Index of the node that runs next, or that is running or suspended. */
  position: number
  /** Input of the node at `position`; absent at position 0, where the graph's own input applies. */
  carry?: unknown
  steps: Record<string, StepResult>
  /** States of nested workflow steps that are running or suspended, by step id. */
  nested?: Record<string, ExecutionState>
}

/** What is persisted per run. The status is stored beside it, never inside. */
export interface WorkflowSnapshot extends ExecutionState {
  input: unknown
  result?: unknown
  error?: string
  /** The span of the run's first execution, which later executions (resume, restart) link to. */
  trace?: { traceId: string; spanId: string }
}
