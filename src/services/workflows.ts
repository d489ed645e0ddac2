import { notFound } from '../core/errors.js'
import type { WorkflowDescription } from '../workflows/describe.js'
import type { Workflow } from '../workflows/workflow.js'

/** The runtime's workflow definitions, by the key they were registered under. */
export class WorkflowService {
  readonly #workflows: Readonly<Record<string, Workflow>>

  constructor(workflows: Readonly<Record<string, Workflow>>) {
    this.#workflows = workflows
  }

  /** The workflow, or a 404 naming it. */
  get(workflowId: string): Workflow {
    const workflow = Object.hasOwn(this.#workflows, workflowId) ? this.#workflows[workflowId] : undefined
    if (!workflow) throw notFound(`Workflow with id ${workflowId} not found`)
    return workflow
  }

  /** Every workflow by the key it was registered under. */
  all(): Readonly<Record<string, Workflow>> {
    return this.#workflows
  }

  describeAll(): Record<string, WorkflowDescription> {
    const out: Record<string, WorkflowDescription> = {}
    for (const key of Object.keys(this.#workflows)) out[key] = this.#workflows[key].describe()
    return out
  }
}
