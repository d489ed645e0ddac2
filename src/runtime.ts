import type { Agent } from './agents/agent.js'
import type { Tool } from './agents/tool.js'
import { WorkflowRuns } from './workflows/runs.js'
import type { Workflow } from './workflows/workflow.js'
import type { Store } from './storage/types.js'
import type { AuthHooks, ContextHook, DisconnectPolicy, MountSource } from './http/hooks.js'
import type { Route } from './http/route.js'
import { createServices, type Services } from './services/services.js'
import { SqliteStore } from './storage/sqlite.js'
import { ErrorChannel, type ErrorReporter } from './core/report.js'
import { DEFAULT_MESSAGES_PER_CALL, type RuntimeLimits } from './core/limits.js'
import { systemRoutes } from './routes/system.js'
import { agentRoutes } from './routes/agents.js'
import { toolRoutes } from './routes/tools.js'
import { memoryRoutes } from './routes/memory.js'
import { workflowRoutes } from './routes/workflows.js'
import { agentRunRoutes } from './routes/agent-runs.js'
import { approvalRoutes } from './routes/agent-approvals.js'
import { usageRoutes } from './routes/usage.js'
import type { AgentRunsOptions } from './agents/runs/ledger.js'
import { announceRunFinish, type RunObservability } from './agents/runs/observer.js'
import type { AnnounceWorkflowRun } from './workflows/run-finish.js'
import { mcpEndpoint } from './routes/mcp/endpoint.js'
import type { McpOptions } from './routes/mcp/catalog.js'
import { RunLeases } from './workflows/run-leases.js'
import { DEFAULT_SWEEP_MS, RunSweeper } from './workflows/run-sweeper.js'

export interface RuntimeConfig {
  agents?: Record<string, Agent>
  workflows?: Record<string, Workflow<any, any>>
  tools?: Record<string, Tool<any, any>>
  /** Defaults to `new SqliteStore()` (file `.agentmount/data.db`), opened on first use. */
  store?: Store
  routes?: Route[]
  auth?: AuthHooks
  context?: ContextHook
  /** Keys a client may set through `requestContext` in a body (default none). */
  clientContextKeys?: string[]
  /** Serves `POST/GET/DELETE /mcp` (MCP Streamable HTTP) with the runtime's tools, agents and workflows. */
  mcp?: McpOptions
  /** Request limits beyond the body size; a call over one answers 400. */
  limits?: { messagesPerCall?: number }
  /** How this instance owns the workflow runs it executes (see README "Runs across instances"), and how long finished agent runs are kept. */
  runs?: RunsOptions
  /**
   * What a client going away does to the agent run it started: `'abort'` (default) stops it,
   * `'continue'` lets it finish and be stored, to be rejoined; mounts may override it.
   */
  onDisconnect?: DisconnectPolicy
  /**
   * Failures no request sees (a failed lease heartbeat or sweep, a re-driven run that stopped
   * unexpectedly, a background run or agent call your code started): a listener of
   * `runtime.errors`, beside each mount's `onError`. With no listener at all: standard error.
   */
  onError?: ErrorReporter
  /**
   * Agent runs as the app's OpenTelemetry SDK sees them (spans need no option: they follow the
   * registered tracer provider), their prices, and a hook called once per finished agent or
   * workflow run (README "Observability").
   */
  observability?: RunObservability
}

export interface RunsOptions extends AgentRunsOptions {
  /**
   * How long a running run (workflow or agent) stays this instance's without a heartbeat
   * (ms, default 30 000).
   */
  leaseMs?: number
  /** This instance's name in the store's lease columns (default a random UUID). */
  instanceId?: string
  /**
   * How often this instance looks for runs whose lease expired (ms, default 5 000): it
   * re-drives workflow runs from their last completed step, and closes agent runs as
   * `failed` (their model calls are not replayed). 0 turns automatic recovery off.
   */
  sweepMs?: number
}

/** The agents, workflows, tools and routes one or more mounts serve. */
export class Runtime implements MountSource {
  readonly agents: Record<string, Agent>
  readonly workflows: Record<string, Workflow<any, any>>
  readonly tools: Record<string, Tool<any, any>>
  readonly routes: Route[]
  readonly auth: AuthHooks | undefined
  readonly context: ContextHook | undefined
  readonly clientContextKeys: string[]
  readonly limits: RuntimeLimits
  readonly onDisconnect: DisconnectPolicy
  /** What route handlers get as `runtime`. */
  readonly services: Services
  /**
   * Failures no request is waiting on: a tool or model failure of an agent called outside a
   * route, a background workflow run app code started. Each mount's `onError` listens; with
   * none, they are written to standard error. `errors.listen(fn)` adds a listener of your own.
   */
  readonly errors = new ErrorChannel()
  #store: Store | undefined
  /** The workflow runs this instance executes, and the heartbeat keeping their leases. */
  readonly #leases: RunLeases
  readonly #sweeper: RunSweeper
  readonly #runs = new Map<Workflow, WorkflowRuns>()
  readonly #mcp: ReturnType<typeof mcpEndpoint> | undefined
  /** Hands each ended workflow run to `observability.onRunFinish`, when there is one. */
  readonly #announce: AnnounceWorkflowRun | undefined
  #closing: Promise<void> | undefined
  #closed = false

  constructor(config: RuntimeConfig = {}) {
    this.agents = { ...config.agents }
    this.workflows = { ...config.workflows }
    this.tools = { ...config.tools }
    this.auth = config.auth
    this.context = config.context
    this.clientContextKeys = config.clientContextKeys ?? []
    this.limits = { messagesPerCall: config.limits?.messagesPerCall ?? DEFAULT_MESSAGES_PER_CALL }
    this.#store = config.store
    this.onDisconnect = config.onDisconnect ?? 'abort'
    if (this.onDisconnect !== 'abort' && this.onDisconnect !== 'continue') throw new TypeError("onDisconnect must be 'abort' or 'continue'")
    this.#mcp = config.mcp ? mcpEndpoint(config.mcp) : undefined
    this.routes = [
      ...systemRoutes,
      ...agentRoutes,
      ...agentRunRoutes,
      ...approvalRoutes,
      ...toolRoutes,
      ...memoryRoutes,
      ...workflowRoutes,
      ...usageRoutes,
      ...(this.#mcp?.routes ?? []),
      ...(config.routes ?? []),
    ]
    if (config.onError) this.errors.listen(config.onError)
    const observability = config.observability
    this.#announce = observability?.onRunFinish
      ? (run) => announceRunFinish(observability, run, (err) => this.errors.report(err, { kind: 'workflow-run', workflowId: run.workflowId, runId: run.runId }))
      : undefined
    const onError = (error: unknown, ids?: { workflowId: string; runId: string }) => this.errors.report(error, { kind: 'workflow-run', ...ids })
    const { leaseMs, instanceId, sweepMs = DEFAULT_SWEEP_MS } = config.runs ?? {}
    this.#leases = new RunLeases(() => this.store.workflowRuns, { leaseMs, instanceId, onError })
    // The runtime owns the wiring: the definitions it was given are not changed.
    this.services = createServices({
      agents: this.agents,
      workflows: this.workflows,
      tools: this.tools,
      limits: this.limits,
      store: () => this.store,
      agentRuns: {
        retentionMs: config.runs?.retentionMs,
        logFlushMs: config.runs?.logFlushMs,
        leaseMs,
        // A runtime without agents leaves agent runs to the instances that serve them.
        sweepMs: Object.keys(this.agents).length === 0 ? 0 : sweepMs,
        observability: config.observability,
        onError: (err: unknown) => this.errors.report(err, { kind: 'agent' }),
      },
      workflowRuns: (workflow) => this.#runsOf(workflow),
      onError: this.errors.report,
    })
    const runs = Object.values(this.workflows).map((workflow) => this.#runsOf(workflow))
    this.#sweeper = new RunSweeper({ runs, leases: this.#leases, store: () => this.store.workflowRuns, sweepMs, onError })
  }

  /**
   * Takes over the workflow runs whose lease expired now, instead of at the next sweep, and
   * starts re-driving them; resolves to how many it took.
   */
  recoverRuns(): Promise<number> {
    return this.#sweeper.sweep()
  }

  /** This instance's name in the lease of each workflow run it executes. */
  get instanceId(): string {
    return this.#leases.instanceId
  }

  /** The runtime's store; the default SQLite file is created on first use. */
  get store(): Store {
    this.#store ??= new SqliteStore()
    return this.#store
  }

  /** The agent, or a 404 naming it. */
  getAgent(id: string): Agent {
    return this.services.agents.get(id)
  }

  /** The workflow, or a 404 naming it. */
  getWorkflow(id: string): Workflow<any, any> {
    return this.services.workflows.get(id)
  }

  /** The runs of a registered workflow in this runtime: create, start, list and restart them from code. */
  runs(workflowId: string): WorkflowRuns {
    return this.#runsOf(this.getWorkflow(workflowId))
  }

  /** One set of runs per definition, even when it is registered under two keys. */
  #runsOf(workflow: Workflow): WorkflowRuns {
    let runs = this.#runs.get(workflow)
    if (!runs) {
      runs = new WorkflowRuns(workflow, () => this.store.workflowRuns, this.#leases, this.errors.report, this.#announce)
      this.#runs.set(workflow, runs)
    }
    return runs
  }

  /**
   * Shuts down: stops sweeping and taking new runs (a workflow start or resume, an agent call
   * or approval answers 503), lets the runs executing here finish for up to `drainMs` (default
   * 0), then ends the leases of the workflow runs left so another instance re-drives them at
   * once, and ends the agent runs left as `failed` (model calls are not replayed elsewhere).
   * Suspended runs stay. Closes the store; nothing is written after it resolves. A second call
   * gets the first one's promise.
   *
   * @example process.on('SIGTERM', () => runtime.close({ drainMs: 10_000 }))
   */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    const drainMs = options.drainMs ?? 0
    if (!Number.isFinite(drainMs) || drainMs < 0) throw new TypeError(`drainMs must be a non-negative number, got ${drainMs}`)
    this.#closing ??= this.#shutDown(drainMs)
    return this.#closing
  }

  async #shutDown(drainMs: number): Promise<void> {
    // Agent runs are refused from now on; both kinds of run drain at the same time.
    const agentRuns = this.services.agentRuns.drain(drainMs)
    await this.#sweeper.stop()
    await Promise.all([this.#leases.drain(drainMs), agentRuns])
    this.#mcp?.close()
    this.#closed = true
    await this.#store?.close()
  }

  /** True once `close()` has drained the runs and closes the store: mounts answer every request 503. */
  get closed(): boolean {
    return this.#closed
  }
}

/**
 * Builds the runtime every adapter mounts.
 *
 * @example
 * const runtime = createRuntime({ agents: { support }, workflows: { refund } })
 * app.use('/api', mount(runtime, { auth }))
 */
export function createRuntime(config: RuntimeConfig = {}): Runtime {
  return new Runtime(config)
}

export type { AuthHooks, ContextHook }
