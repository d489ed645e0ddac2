import type { Agent } from '../agents/agent.js'
import type { AnyTool } from '../agents/tool.js'
import type { AgentRunOptions } from '../agents/agent-types.js'
import type { RuntimeLimits } from '../core/limits.js'
import { WorkingMemory } from '../memory/working-memory.js'
import type { Store } from '../storage/types.js'
import type { WorkflowRuns } from '../workflows/runs.js'
import type { Workflow } from '../workflows/workflow.js'
import { AgentRunLedger, type AgentRunLedgerOptions } from '../agents/runs/ledger.js'
import { AgentService } from './agents.js'
import { AgentRunService } from './agent-runs.js'
import { ThreadService, type ThreadSpace } from './threads.js'
import { ToolService } from './tools.js'
import { UsageService } from './usage.js'
import { WorkflowRunService } from './workflow-runs.js'
import { WorkflowService } from './workflows.js'
import type { ErrorReporter } from '../core/report.js'

/** Working memory of a request without an agent's memory: template mode, one per resource. */
const DEFAULT_WORKING_MEMORY = new WorkingMemory({})

/** Everything a route may touch; `createRuntime` builds it, handlers get it as `runtime`. */
export interface Services {
  readonly agents: AgentService
  readonly tools: ToolService
  readonly workflows: WorkflowService
  /** Memory threads, messages and working memory, scoped to the caller. */
  readonly threads: ThreadService
  /** Workflow runs, scoped to the caller. */
  readonly workflowRuns: WorkflowRunService
  /** Agent runs (records, event logs, cancel, approvals), scoped to the caller. */
  readonly agentRuns: AgentRunService
  /** Usage and cost aggregated from the agent run records, scoped to the caller. */
  readonly usage: UsageService
  /** Request limits beyond the body size (messages per call). */
  readonly limits: RuntimeLimits
}

/** What the services are built from: the runtime's definitions and its store. */
export interface ServicesConfig {
  agents: Readonly<Record<string, Agent>>
  workflows: Readonly<Record<string, Workflow>>
  tools: Readonly<Record<string, AnyTool>>
  limits: RuntimeLimits
  /** The runtime's store, opened on first use. */
  store: () => Store
  /** The agent-run ledger's options (retention, leases, sweeps). */
  agentRuns?: AgentRunLedgerOptions
  /** The runtime's runs of a workflow it serves. */
  workflowRuns: (workflow: Workflow) => WorkflowRuns
  /** Where an agent call's failures go when the caller gave no `onError`: the runtime's error channel. */
  onError?: ErrorReporter
}

/** Builds the services of one runtime; the definitions stay untouched, so several runtimes may share them. */
export function createServices(config: ServicesConfig): Services {
  const ledger = new AgentRunLedger(() => config.store().agentRuns, config.agentRuns)
  // Every agent call is recorded in the runtime's ledger; a memory built without a store uses the runtime's.
  // Failures a call only shows safely go to the caller's `onError`, else the runtime's channel.
  const lend = <O extends AgentRunOptions>(agent: Agent, options: O): O => ({
    ...options,
    runs: ledger,
    memoryStore: agent.memory && !agent.memory.store ? config.store() : undefined,
    onError: options.onError ?? config.onError,
  })
  const agents = new AgentService(config.agents, config.limits, lend)
  const workflows = new WorkflowService(config.workflows)
  /** `?agentId` picks that agent's memory; without one, or for an agent without memory, the runtime's store. */
  const spaceOf = (agentId: string | undefined): ThreadSpace => {
    const memory = agentId === undefined ? undefined : agents.get(agentId).memory
    if (memory) return { store: memory.store ?? config.store(), workingMemory: memory.workingMemory }
    return { store: config.store(), workingMemory: DEFAULT_WORKING_MEMORY }
  }
  return {
    agents,
    tools: new ToolService(config.tools, Object.values(config.agents)),
    workflows,
    threads: new ThreadService(spaceOf, config.limits),
    workflowRuns: new WorkflowRunService({
      runs: (id) => config.workflowRuns(workflows.get(id)),
      all: () => workflows.all(),
      runStore: () => config.store().workflowRuns,
    }),
    agentRuns: new AgentRunService(ledger, (id) => agents.get(id), lend),
    usage: new UsageService(() => ledger.store),
    limits: config.limits,
  }
}
