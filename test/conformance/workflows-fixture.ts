import type { IncomingMessage } from 'node:http'
import { z } from 'zod'
import type { MountOptions } from '../../src/http/dispatch.js'
import type { RunObservability } from '../../src/agents/runs/observer.js'
import { createRuntime, type Runtime, type RunsOptions } from '../../src/runtime.js'
import { RunLeases } from '../../src/workflows/run-leases.js'
import { openTestStore } from '../harness/stores.js'
import { createStep, createWorkflow, type Workflow } from '../../src/workflows/workflow.js'
import { WorkflowRuns } from '../../src/workflows/runs.js'
import { apiClient, hostUser, PREFIX, type ApiClient, type HostFactory, type TestHost, ALICE, BOB } from '../harness/hosts.js'
import { call, eventually, rawRequest, type JsonResponse } from '../harness/http.js'

export { ALICE, BOB }

/** A point inside a step that waits for the test, with what the step saw of its signals. */
export class Gate {
  readonly started: Promise<void>
  readonly opened: Promise<void>
  /** The run's signal fired (cancel, or a disconnect with cancelOnDisconnect). */
  stepAborted = false
  /** The signal of the HTTP request that started the run, when the host context passed it. */
  requestSignal: AbortSignal | undefined
  #enter!: () => void
  #open!: () => void

  constructor() {
    this.started = new Promise((resolve) => (this.#enter = resolve))
    this.opened = new Promise((resolve) => (this.#open = resolve))
  }

  enter(signal: AbortSignal, requestSignal: unknown): Promise<void> {
    signal.addEventListener('abort', () => (this.stepAborted = true), { once: true })
    if (requestSignal instanceof AbortSignal) this.requestSignal = requestSignal
    this.#enter()
    return this.opened
  }

  open(): void {
    this.#open()
  }
}

/** One gate per run id, made by whichever side asks first. */
export class Gates {
  readonly #byRun = new Map<string, Gate>()

  of(runId: string): Gate {
    let gate = this.#byRun.get(runId)
    if (!gate) {
      gate = new Gate()
      this.#byRun.set(runId, gate)
    }
    return gate
  }

  runIds(): string[] {
    return [...this.#byRun.keys()]
  }

  openAll(): void {
    for (const gate of this.#byRun.values()) gate.open()
  }
}

/** Which step bodies ran, per run, so tests can tell a re-run from a skipped step. */
export class ExecutionLog {
  readonly entries: string[] = []
  /** The idempotency key each execution was given, in the same order (pipeline and held steps). */
  readonly keys: string[] = []

  record(runId: string, step: string, idempotencyKey?: string): void {
    this.entries.push(`${runId}/${step}`)
    if (idempotencyKey !== undefined) this.keys.push(idempotencyKey)
  }

  count(runId: string, step: string): number {
    return this.entries.filter((entry) => entry === `${runId}/${step}`).length
  }
}

const pair = z.object({ a: z.number(), b: z.number() })
const num = z.object({ n: z.number() })

export function mathWorkflow(log: ExecutionLog) {
  const add = createStep({
    id: 'add',
    description: 'Adds a and b',
    inputSchema: pair,
    outputSchema: z.object({ sum: z.number() }),
    execute: ({ inputData, runId }) => (log.record(runId, 'add'), { sum: inputData.a + inputData.b }),
  })
  const multiply = createStep({
    id: 'multiply',
    inputSchema: z.object({ sum: z.number() }),
    outputSchema: z.object({ result: z.number() }),
    execute: ({ inputData, runId }) => (log.record(runId, 'multiply'), { result: inputData.sum * 2 }),
  })
  return createWorkflow({ id: 'math', description: 'Adds, then doubles the sum', inputSchema: pair, outputSchema: z.object({ result: z.number() }) })
    .then(add)
    .then(multiply)
    .commit()
}

/** approval (suspends for a human) → settle, which reports the tenant of the resuming request. */
export function refundWorkflow(log: ExecutionLog) {
  const decision = z.object({ amount: z.number(), approved: z.boolean() })
  const approval = createStep({
    id: 'approval',
    inputSchema: z.object({ amount: z.number().positive() }),
    outputSchema: decision,
    suspendSchema: z.object({ reason: z.string() }),
    resumeSchema: z.object({ approved: z.boolean(), approver: z.object({ name: z.string().min(1) }) }),
    execute: async ({ inputData, resumeData, suspend, runId }) => {
      log.record(runId, resumeData ? 'approval:resumed' : 'approval:first')
      if (!resumeData) return suspend({ reason: `Refund of ${inputData.amount} needs approval` })
      return { amount: inputData.amount, approved: resumeData.approved }
    },
  })
  const settle = createStep({
    id: 'settle',
    inputSchema: decision,
    outputSchema: z.object({ amount: z.number(), status: z.string(), tenant: z.string().nullable() }),
    execute: ({ inputData, context, runId }) => {
      log.record(runId, 'settle')
      const tenant = typeof context.tenant === 'string' ? context.tenant : null
      return { amount: inputData.amount, status: inputData.approved ? 'refunded' : 'declined', tenant }
    },
  })
  return createWorkflow({ id: 'refund', inputSchema: z.object({ amount: z.number().positive() }), outputSchema: settle.outputSchema })
    .then(approval)
    .then(settle)
    .commit()
}

/** Two sign-offs suspended at once, so a resume has to name its step. */
function reviewWorkflow() {
  const signOff = (id: string) =>
    createStep({
      id,
      inputSchema: z.object({ doc: z.string() }),
      outputSchema: z.object({ ok: z.boolean() }),
      resumeSchema: z.object({ ok: z.boolean() }),
      execute: async ({ resumeData, suspend }) => (resumeData ? { ok: resumeData.ok } : suspend({ waitingFor: id })),
    })
  const signed = z.object({ legal: z.object({ ok: z.boolean() }), finance: z.object({ ok: z.boolean() }) })
  return createWorkflow({ id: 'review', inputSchema: z.object({ doc: z.string() }), outputSchema: signed })
    .parallel([signOff('legal'), signOff('finance')])
    .commit()
}

function gateStep(id: string, gates: Gates, log: ExecutionLog, factor: number) {
  return createStep({
    id,
    inputSchema: num,
    outputSchema: num,
    execute: async ({ inputData, signal, context, runId, idempotencyKey }) => {
      log.record(runId, id, idempotencyKey)
      await gates.of(runId).enter(signal, context.requestSignal)
      return { n: inputData.n * factor }
    },
  })
}

function heldWorkflow(gates: Gates, log: ExecutionLog) {
  return createWorkflow({ id: 'held', inputSchema: num, outputSchema: num }).then(gateStep('wait', gates, log, 1)).commit()
}

/** prepare (n + 1) → slow (waits on the gate, n × 10) → finish (n + 5). */
export function pipelineWorkflow(gates: Gates, log: ExecutionLog) {
  const step = (id: string, fn: (n: number) => number) =>
    createStep({ id, inputSchema: num, outputSchema: num, execute: ({ inputData, runId, idempotencyKey }) => (log.record(runId, id, idempotencyKey), { n: fn(inputData.n) }) })
  return createWorkflow({ id: 'pipeline', inputSchema: num, outputSchema: num })
    .then(step('prepare', (n) => n + 1))
    .then(gateStep('slow', gates, log, 10))
    .then(step('finish', (n) => n + 5))
    .commit()
}

export interface WorkflowClient extends ApiClient {
  /** `GET /workflows/:id/runs/:runId`, failing loudly on anything but 200. */
  run(workflowId: string, runId: string): Promise<any>
  /** Polls the run until it has `status` (a deadline, not a timing assertion). */
  waitFor(workflowId: string, runId: string, status: string): Promise<any>
}

export function clientOf(host: TestHost, token?: string): WorkflowClient {
  const client: WorkflowClient = {
    ...apiClient(host, token),
    async run(workflowId, runId) {
      const res = await client.get(`/workflows/${workflowId}/runs/${runId}`)
      if (res.status !== 200) throw new Error(`reading run ${runId} answered ${res.status}: ${res.text}`)
      return res.body
    },
    waitFor: (workflowId, runId, status) =>
      eventually(async () => {
        const state = await client.run(workflowId, runId)
        return state.status === status ? state : undefined
      }),
  }
  return client
}

/** A host app whose runtime holds every workflow above on one SQLite store. */
export interface WorkflowApp {
  runtime: Runtime
  host: TestHost
  gates: Gates
  log: ExecutionLog
  /** Errors the mount answered as 500, and the runtime's background errors; a passing test leaves this empty. */
  unexpected: unknown[]
  as(token?: string): WorkflowClient
  /** Opens a streaming request and resolves once the response headers arrived. */
  openStream(path: string, token: string, json: unknown): Promise<{ response: IncomingMessage; disconnect(): void }>
  close(): Promise<void>
}

export async function startWorkflowApp(
  factory: HostFactory,
  options: { path?: string; parser?: boolean; runs?: RunsOptions; observability?: RunObservability; workflows?: Record<string, Workflow> } = {},
): Promise<WorkflowApp> {
  const store = openTestStore(options.path)
  const gates = new Gates()
  const log = new ExecutionLog()
  const unexpected: unknown[] = []
  const runtime = createRuntime({
    store,
    runs: options.runs,
    observability: options.observability,
    onError: (err) => unexpected.push(err),
    workflows: {
      math: mathWorkflow(log),
      refund: refundWorkflow(log),
      review: reviewWorkflow(),
      held: heldWorkflow(gates, log),
      pipeline: pipelineWorkflow(gates, log),
      ...options.workflows,
    },
  })
  const mount: MountOptions = {
    auth: { authenticate: (req) => hostUser(req.host) ?? null, resourceId: (p) => p.id as string },
    context: (req) => ({
      tenant: hostUser(req.host)?.tenant,
      // Lets a gate step tell the test that the server saw the client of a stream go away.
      ...(req.path.endsWith('/stream') ? { requestSignal: req.signal } : {}),
    }),
    onError: (err) => unexpected.push(err),
  }
  const host = await factory.create({ runtime, mount, parser: options.parser ?? false })
  const isRunning = (runId: string) => Object.keys(runtime.workflows).some((id) => runtime.runs(id).isRunning(runId))
  return {
    runtime,
    host,
    gates,
    log,
    unexpected,
    as: (token) => clientOf(host, token),
    async openStream(path, token, json) {
      const { req, response } = rawRequest(`${host.url}${PREFIX}${path}`, {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      })
      req.end(JSON.stringify(json))
      return { response: await response, disconnect: () => req.destroy() }
    },
    async close() {
      // Let runs parked on a gate finish before their store closes under them.
      gates.openAll()
      await eventually(() => gates.runIds().every((runId) => !isRunning(runId)))
      await host.close()
      await runtime.close()
    },
  }
}

/**
 * Leaves `runId` of the pipeline stored as `running` inside `slow`, as a process killed
 * there would: its own store and workflow objects, a gate never opened, then its heartbeat
 * stopped and its connection closed. Its lease (`leaseMs`) then runs out on its own.
 * Returns what that "process" executed.
 */
export async function abandonPipelineRun(path: string, runId: string, resourceId: string, leaseMs = 20): Promise<ExecutionLog> {
  const store = openTestStore(path)
  const gates = new Gates()
  const log = new ExecutionLog()
  const leases = new RunLeases(() => store.workflowRuns, { leaseMs })
  const pipeline = new WorkflowRuns(pipelineWorkflow(gates, log), store.workflowRuns, leases)
  const run = await pipeline.createRun({ runId, resourceId })
  void run.start({ inputData: { n: 1 } })
  await gates.of(runId).started
  await leases.stop()
  await store.close()
  return log
}

