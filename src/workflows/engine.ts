import type { RequestContext } from '../core/context.js'
import type { ErrorReporter } from '../core/report.js'
import { backoff, orCanceled } from './abortable.js'
import type { EmitEvent } from './events.js'
import { RunCanceled, StepFailure, checkSchema, errorMessage } from './failures.js'
import { isNestedWorkflow, type BranchCondition, type GraphNode, type GraphStep, type NestedWorkflow } from './graph.js'
import type { ExecutionState, StepResult } from '../storage/workflow-snapshot.js'
import { suspendedPaths } from './snapshot.js'
import { failSpan, startSpan, type Span, type TraceParent } from '../core/tracing.js'
import type { GetStepResult, Step } from './step.js'

export interface ExecutionEnv {
  runId: string
  context: RequestContext
  signal: AbortSignal
  /** Persists the run as it stands. Called after each completed node and parallel branch. */
  checkpoint: () => Promise<void>
  emit?: EmitEvent
  /** Where step spans hang (the run's span), when the app traces. */
  trace?: TraceParent
  /** Where a step reports what fails without failing it; adds the run's ids. */
  report: ErrorReporter
}

/** How a graph stopped. Errors other than step failures (a store going down) are thrown instead. */
export type GraphOutcome =
  | { status: 'success'; output: unknown }
  | { status: 'suspended' }
  | { status: 'failed'; error: string }
  | { status: 'canceled' }

type NodeOutcome = { completed: true; output: unknown } | { completed: false }
type StepRun = { suspended: false; output: unknown } | { suspended: true; payload: unknown }

interface Scope {
  state: ExecutionState
  env: ExecutionEnv
  getStepResult: GetStepResult
  /** The path of nested workflows down to this graph, as it prefixes step ids in idempotency keys (`outer.`). */
  path: string
}

const SUSPENDED: NodeOutcome = { completed: false }

/**
 * Runs `nodes` from `state.position`, mutating `state` as steps start and end. The same
 * function starts, resumes and restarts a run: steps that already succeeded are skipped,
 * suspended ones stay suspended, and `running` ones run (with their resume payload, if any).
 */
export async function runGraph(
  nodes: readonly GraphNode[],
  state: ExecutionState,
  input: unknown,
  env: ExecutionEnv,
  path = '',
): Promise<GraphOutcome> {
  const scope: Scope = { state, env, getStepResult: stepResultReader(state), path }
  try {
    while (state.position < nodes.length) {
      if (env.signal.aborted) throw new RunCanceled()
      const node = nodes[state.position]
      const outcome = await runNode(node, state.position === 0 ? input : state.carry, scope)
      if (!outcome.completed) return { status: 'suspended' }
      state.position += 1
      state.carry = outcome.output
      // A map is cheap and pure, so re-running it after a crash is fine: no write for it.
      if (state.position < nodes.length && node.type !== 'map') await env.checkpoint()
    }
  } catch (err) {
    if (err instanceof RunCanceled) return { status: 'canceled' }
    if (err instanceof StepFailure) return { status: 'failed', error: err.message }
    throw err
  }
  return { status: 'success', output: nodes.length === 0 ? input : state.carry }
}

function stepResultReader(state: ExecutionState): GetStepResult {
  return ((step: string | { id: string }) => {
    const entry = state.steps[typeof step === 'string' ? step : step.id]
    return entry?.status === 'success' ? entry.output : undefined
  }) as GetStepResult
}

async function runNode(node: GraphNode, input: unknown, scope: Scope): Promise<NodeOutcome> {
  switch (node.type) {
    case 'step':
      return runStep(node.step, input, scope)
    case 'parallel':
      return runParallel(node.steps, input, scope)
    case 'branch':
      return runBranch(node.branches, input, scope)
    case 'map': {
      const label = `Map at node ${scope.state.position}`
      return { completed: true, output: await callUser(label, () => node.fn(dataArgs(input, scope)), scope.env.signal) }
    }
  }
}

function dataArgs(inputData: unknown, { env, getStepResult }: Scope) {
  return { inputData, getStepResult, context: env.context, runId: env.runId }
}

/** Runs a condition or map, turning what it throws into a failure that names it. */
async function callUser<T>(label: string, fn: () => T | Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return await orCanceled(async () => fn(), signal)
  } catch (err) {
    if (err instanceof RunCanceled || signal.aborted) throw new RunCanceled()
    throw new StepFailure(`${label} failed: ${errorMessage(err)}`)
  }
}

async function runParallel(steps: readonly GraphStep[], input: unknown, scope: Scope): Promise<NodeOutcome> {
  let unfinished = steps.length
  const settled = await Promise.allSettled(
    steps.map(async (step) => {
      const alreadyDone = scope.state.steps[step.id]?.status === 'success'
      let outcome: NodeOutcome
      try {
        outcome = await runStep(step, input, scope)
      } finally {
        unfinished -= 1
      }
      // Persist each branch as it ends so a crash does not re-run it; the last one is
      // persisted with the node's completion.
      if (outcome.completed && !alreadyDone && unfinished > 0 && !scope.env.signal.aborted) await scope.env.checkpoint()
      return outcome
    }),
  )
  const errors = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
  const unexpected = errors.find((e) => !(e instanceof StepFailure) && !(e instanceof RunCanceled))
  if (unexpected !== undefined) throw unexpected
  if (scope.env.signal.aborted) throw new RunCanceled()
  if (errors.length > 0) throw errors.find((e) => e instanceof StepFailure) ?? errors[0]
  const output: Record<string, unknown> = {}
  for (let i = 0; i < steps.length; i += 1) {
    const outcome = (settled[i] as PromiseFulfilledResult<NodeOutcome>).value
    if (!outcome.completed) return SUSPENDED
    output[steps[i].id] = outcome.output
  }
  return { completed: true, output }
}

/** No condition matching is not an error: the branch outputs `{}` and the run goes on. */
async function runBranch(branches: ReadonlyArray<[BranchCondition, GraphStep]>, input: unknown, scope: Scope): Promise<NodeOutcome> {
  // On resume or restart the branch already chose: the step with an entry is the one that ran.
  let chosen = branches.find(([, step]) => scope.state.steps[step.id] !== undefined)?.[1]
  for (const [condition, step] of chosen ? [] : branches) {
    const label = `Branch condition for step ${step.id}`
    if (await callUser(label, () => condition(dataArgs(input, scope)), scope.env.signal)) {
      chosen = step
      break
    }
  }
  if (!chosen) return { completed: true, output: {} }
  const outcome = await runStep(chosen, input, scope)
  return outcome.completed ? { completed: true, output: { [chosen.id]: outcome.output } } : outcome
}

async function runStep(step: GraphStep, input: unknown, scope: Scope): Promise<NodeOutcome> {
  const { state, env } = scope
  const id = step.id
  const prior = state.steps[id]
  if (prior?.status === 'success') return { completed: true, output: prior.output }
  if (prior?.status === 'suspended') return SUSPENDED
  const entry: StepResult = prior ?? { startedAt: Date.now(), status: 'running' }
  const span = env.trace && startStepSpan(id, entry, env.trace)
  entry.status = 'running'
  state.steps[id] = entry
  env.emit?.('workflow-step-start', { id, stepName: id, payload: input, startedAt: entry.startedAt, status: 'running' })
  try {
    const inputData = checkSchema(step.inputSchema, input, `Step ${id} input`)
    const run = isNestedWorkflow(step) ? await runNested(step, inputData, scope) : await runAttempts(step, inputData, entry, scope, span)
    if (run.suspended) {
      span?.setAttribute('agentmount.workflow.step.status', 'suspended')
      span?.end()
      entry.status = 'suspended'
      entry.suspendPayload = run.payload
      entry.suspendedAt = Date.now()
      delete entry.resumePayload
      delete entry.resumedAt
      const { startedAt, suspendedAt } = entry
      env.emit?.('workflow-step-suspended', { id, stepName: id, status: 'suspended', suspendPayload: run.payload, startedAt, suspendedAt })
      return SUSPENDED
    }
    const output = checkSchema(step.outputSchema, run.output, `Step ${id} output`)
    entry.status = 'success'
    entry.output = output
    entry.endedAt = Date.now()
    span?.setAttribute('agentmount.workflow.step.status', 'success')
    span?.end()
    env.emit?.('workflow-step-result', { id, stepName: id, status: 'success', output, startedAt: entry.startedAt, endedAt: entry.endedAt })
    return { completed: true, output }
  } catch (err) {
    const canceled = err instanceof RunCanceled || env.signal.aborted
    span?.setAttribute('agentmount.workflow.step.status', canceled ? 'canceled' : 'failed')
    failSpan(span, err, canceled ? 'canceled' : undefined)
    if (!canceled && !(err instanceof StepFailure)) throw err
    entry.status = canceled ? 'canceled' : 'failed'
    entry.endedAt = Date.now()
    if (!canceled) entry.error = (err as StepFailure).message
    const { status, error, startedAt, endedAt } = entry
    env.emit?.('workflow-step-result', { id, stepName: id, status, ...(error ? { error } : {}), startedAt, endedAt })
    throw canceled ? new RunCanceled() : err
  }
}

/** Runs a plain step, retrying thrown errors with backoff; a resumed entry hands over its resume data. */
async function runAttempts(step: Step, inputData: unknown, entry: StepResult, scope: Scope, span?: Span): Promise<StepRun> {
  const { env, getStepResult } = scope
  const resumeData = entry.resumePayload
  for (let attempt = 0; ; attempt += 1) {
    span?.setAttribute('agentmount.workflow.step.attempt', attempt + 1)
    let suspension: { payload: unknown } | undefined
    let announceSuspend!: () => void
    const suspended = new Promise<void>((resolve) => (announceSuspend = resolve))
    const suspend = (payload: unknown): Promise<never> => {
      const checked = step.suspendSchema ? checkSchema(step.suspendSchema, payload, `Step ${step.id} suspend payload`) : payload
      suspension = { payload: checked }
      announceSuspend()
      // Never settles: the engine stops awaiting the step instead, so nothing after `await suspend()` runs.
      return new Promise<never>(() => {})
    }
    try {
      const execution = step.execute({
        inputData,
        resumeData,
        suspend,
        context: env.context,
        signal: env.signal,
        getStepResult,
        runId: env.runId,
        // The same for every execution of this step in this run, after a crash or on another instance.
        idempotencyKey: `${env.runId}:${scope.path}${step.id}`,
        attempt: attempt + 1,
        onError: env.report,
      })
      const output = await orCanceled(() => Promise.race([execution, suspended]), env.signal)
      return suspension ? { suspended: true, payload: suspension.payload } : { suspended: false, output }
    } catch (err) {
      if (suspension) return { suspended: true, payload: suspension.payload }
      if (err instanceof RunCanceled || env.signal.aborted) throw new RunCanceled()
      if (err instanceof StepFailure) throw err
      if (attempt >= step.retries) throw new StepFailure(errorMessage(err))
      span?.addEvent('retry', { 'agentmount.workflow.step.attempt': attempt + 1, 'error.message': errorMessage(err) })
      await backoff(attempt, env.signal)
    }
  }
}

async function runNested(workflow: NestedWorkflow, inputData: unknown, { state, env, path }: Scope): Promise<StepRun> {
  const nested = (state.nested ??= {})
  const inner = (nested[workflow.id] ??= { position: 0, steps: {} })
  const outcome = await runGraph(workflow.nodes, inner, inputData, { ...env, emit: undefined }, `${path}${workflow.id}.`)
  switch (outcome.status) {
    case 'success':
      delete nested[workflow.id]
      if (Object.keys(nested).length === 0) delete state.nested
      return { suspended: false, output: outcome.output }
    case 'suspended':
      return { suspended: true, payload: innermostSuspendPayload(inner) }
    case 'failed':
      throw new StepFailure(outcome.error)
    case 'canceled':
      throw new RunCanceled()
  }
}

function innermostSuspendPayload(state: ExecutionState): unknown {
  const [path] = suspendedPaths(state)
  let current = state
  for (let i = 0; i < path.length - 1; i += 1) current = current.nested![path[i]]
  return current.steps[path[path.length - 1]].suspendPayload
}

/** A step's span: resumed steps say so, so a suspend and its later resume read as one story. */
function startStepSpan(id: string, entry: StepResult, parent: TraceParent): Span | undefined {
  const attributes: Record<string, string | boolean> = { 'agentmount.workflow.step.id': id }
  if (entry.resumePayload !== undefined) attributes['agentmount.workflow.step.resumed'] = true
  return startSpan(`execute_step ${id}`, { parent, attributes })
}
