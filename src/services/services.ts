import type { Agent } from '../agents/agent.js'
import type { Tool } from '../agents/tool.js'
import type { RuntimeLimits } from '../core/limits.js'
import type { Store } from '../storage/types.js'
import type { Workflow } from '../workflows/workflow.js'

/** Everything a route may touch; `createRuntime` builds it, handlers get it as `runtime`. */
export interface Services {
  readonly agents: Readonly<Record<string, Agent>>
  readonly workflows: Readonly<Record<string, Workflow<any, any>>>
  readonly tools: Readonly<Record<string, Tool<any, any>>>
  /** The runtime's store; the default SQLite file is created on first use. */
  readonly store: Store
  /** Request limits beyond the body size (messages per call). */
  readonly limits: RuntimeLimits
  /** The agent, or a 404 naming it. */
  getAgent(id: string): Agent
  /** The workflow, or a 404 naming it. */
  getWorkflow(id: string): Workflow<any, any>
}
