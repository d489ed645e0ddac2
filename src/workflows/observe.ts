import { ABORTED, sleep } from '../core/abort.js'
import type { WorkflowRunRecord } from '../storage/workflow-runs.js'
import type { StepResult } from '../storage/workflow-snapshot.js'
import type { WorkflowEvent, WorkflowEventType } from './events.js'
import { toRunResult, type WorkflowRunResult } from './snapshot.js'

/** Between two reads of a run someone observes. */
export const OBSERVE_POLL_MS = 100

/** The `workflow-finish` payload for a result, as the run's own stream sends it. */
export function finishPayload(result: WorkflowRunResult): Record<string, unknown> {
  const payload: Record<string, unknown> = { workflowStatus: result.status }
  if (result.status === 'success') payload.finalWorkflowResult = result.result
  if (result.error !== undefined) payload.error = result.error
  if (result.suspended) payload.suspended = result.suspended
  return payload
}

/**
 * A run's events as its stored snapshot tells them, wherever it executes: what happened so
 * far, then each change as it is stored (every step transition), until the run stops
 * running. `read` returns the stored run; the first read is the caller's (already checked).
 */
export async function* tailRun(
  first: WorkflowRunRecord,
  read: () => Promise<WorkflowRunRecord | null>,
  signal?: AbortSignal,
): AsyncGenerator<WorkflowEvent> {
  const { runId, workflowId } = first
  const event = (type: WorkflowEventType, payload: Record<string, unknown>): WorkflowEvent => ({ type, runId, from: 'WORKFLOW', payload })
  /** What was last told of each step: its status and when that execution started. */
  const told = new Map<string, { status: StepResult['status']; startedAt: number }>()
  yield event('workflow-start', { workflowId })
  let record: WorkflowRunRecord | null = first
  while (record) {
    for (const [id, step] of Object.entries(record.snapshot.steps)) {
      for (const [type, payload] of stepEvents(id, step, told.get(id))) yield event(type, payload)
      told.set(id, { status: step.status, startedAt: step.startedAt })
    }
    if (record.status !== 'running' && record.status !== 'pending') {
      yield event('workflow-finish', finishPayload(toRunResult(runId, record.status, record.snapshot)))
      return
    }
    if ((await sleep(OBSERVE_POLL_MS, signal)) === ABORTED) return
    record = await read()
  }
}

/** What changed in one step since it was last told. */
function stepEvents(
  id: string,
  step: StepResult,
  before: { status: StepResult['status']; startedAt: number } | undefined,
): Array<[WorkflowEventType, Record<string, unknown>]> {
  const events: Array<[WorkflowEventType, Record<string, unknown>]> = []
  const { status, startedAt } = step
  // A step that was never told, that started over, or that a resume set running again.
  const restarted = !before || before.startedAt !== startedAt || (before.status !== 'running' && status === 'running')
  if (restarted) {
    const start: Record<string, unknown> = { id, stepName: id, startedAt, status: 'running' }
    if (step.resumePayload !== undefined) start.resumePayload = step.resumePayload
    events.push(['workflow-step-start', start])
  }
  if (status === 'running' || (!restarted && before?.status === status)) return events
  if (status === 'suspended') {
    events.push(['workflow-step-suspended', { id, stepName: id, status, suspendPayload: step.suspendPayload, startedAt, suspendedAt: step.suspendedAt }])
  } else {
    const result: Record<string, unknown> = { id, stepName: id, status }
    if (status === 'success') result.output = step.output
    if (step.error !== undefined) result.error = step.error
    events.push(['workflow-step-result', { ...result, startedAt, endedAt: step.endedAt }])
  }
  return events
}
