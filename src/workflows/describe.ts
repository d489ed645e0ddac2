import { z } from 'zod'
import { isNestedWorkflow, stepsOf, type GraphStep, type NestedWorkflow } from './graph.js'

export interface StepDescription {
  id: string
  description?: string
  inputSchema: string
  outputSchema: string
  resumeSchema?: string
  suspendSchema?: string
}

/** The `GET /workflows/:workflowId` shape. */
export interface WorkflowDescription {
  name: string
  description?: string
  steps: Record<string, StepDescription>
  inputSchema: string
  outputSchema: string
}

/**
 * A schema as Mastra sends it: a JSON string of `{ json: <draft-07 JSON schema> }`
 * (superjson's envelope, which Mastra's clients unwrap).
 */
export function schemaString(schema: z.ZodType, io: 'input' | 'output'): string {
  return JSON.stringify({ json: z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) })
}

function describeStep(step: GraphStep): StepDescription {
  const description: StepDescription = {
    id: step.id,
    inputSchema: schemaString(step.inputSchema, 'input'),
    outputSchema: schemaString(step.outputSchema, 'output'),
  }
  if (step.description !== undefined) description.description = step.description
  if (!isNestedWorkflow(step)) {
    if (step.resumeSchema) description.resumeSchema = schemaString(step.resumeSchema, 'input')
    if (step.suspendSchema) description.suspendSchema = schemaString(step.suspendSchema, 'output')
  }
  return description
}

export function describeWorkflow(workflow: NestedWorkflow): WorkflowDescription {
  const steps: Record<string, StepDescription> = {}
  for (const node of workflow.nodes) for (const step of stepsOf(node)) steps[step.id] = describeStep(step)
  const description: WorkflowDescription = {
    name: workflow.id,
    steps,
    inputSchema: schemaString(workflow.inputSchema, 'input'),
    outputSchema: schemaString(workflow.outputSchema, 'output'),
  }
  if (workflow.description !== undefined) description.description = workflow.description
  return description
}
