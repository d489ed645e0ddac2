import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { Agent, createStep, createWorkflow, type RequestContext, type Workflow } from 'agentmount'
import { OfflineEchoModel } from 'agentmount/testing'

/** What the next step of a workflow under construction receives. */
type CurrentOf<W> = W extends Workflow<any, any, infer C, any> ? C : never
type InputOf<W> = W extends Workflow<infer I, any, any, any> ? I : never
type OutputOf<W> = W extends Workflow<any, infer O, any, any> ? O : never

const pair = z.object({ a: z.number(), b: z.number().default(1) })
const sum = z.object({ sum: z.number() })

const add = createStep({
  id: 'add',
  inputSchema: pair,
  outputSchema: sum,
  execute: ({ inputData }) => ({ sum: inputData.a + inputData.b }),
})
const double = createStep({
  id: 'double',
  inputSchema: sum,
  outputSchema: z.object({ doubled: z.number() }),
  execute: ({ inputData }) => ({ doubled: inputData.sum * 2 }),
})
const label = createStep({
  id: 'label',
  inputSchema: sum,
  outputSchema: z.object({ label: z.string() }),
  execute: ({ inputData }) => ({ label: `sum ${inputData.sum}` }),
})
const math = () => createWorkflow({ id: 'math', inputSchema: pair, outputSchema: z.object({ label: z.string() }) })

describe('createStep', () => {
  it('types execute’s input, resume data and suspend payload from the schemas', () => {
    createStep({
      id: 'approve',
      inputSchema: pair,
      outputSchema: z.object({ approved: z.boolean() }),
      resumeSchema: z.object({ approved: z.boolean() }),
      suspendSchema: z.object({ reason: z.string() }),
      execute: async ({ inputData, resumeData, suspend, context, getStepResult }) => {
        expectTypeOf(inputData).toEqualTypeOf<{ a: number; b: number }>()
        expectTypeOf(resumeData).toEqualTypeOf<{ approved: boolean } | undefined>()
        expectTypeOf(suspend).parameter(0).toEqualTypeOf<{ reason: string }>()
        expectTypeOf(context).toEqualTypeOf<RequestContext>()
        expectTypeOf(getStepResult(add)).toEqualTypeOf<{ sum: number } | undefined>()
        if (!resumeData) return suspend({ reason: 'needs a person' })
        return { approved: resumeData.approved }
      },
    })
  })

  it('rejects an execute result its output schema does not accept', () => {
    createStep({
      id: 'bad',
      inputSchema: sum,
      outputSchema: z.object({ doubled: z.number() }),
      // @ts-expect-error `doubled` must be a number
      execute: ({ inputData }) => ({ doubled: String(inputData.sum) }),
    })
  })
})

describe('createWorkflow', () => {
  it('takes the input schema’s input for runs, and its output for the first step', () => {
    const workflow = math()
    expectTypeOf<InputOf<typeof workflow>>().toEqualTypeOf<{ a: number; b?: number | undefined }>()
    expectTypeOf<OutputOf<typeof workflow>>().toEqualTypeOf<{ label: string }>()
    expectTypeOf<CurrentOf<typeof workflow>>().toEqualTypeOf<{ a: number; b: number }>()
    expectTypeOf(workflow.id).toEqualTypeOf<'math'>()
  })

  it('chains .then: the next step receives the previous step’s output', () => {
    const workflow = math().then(add).then(double)
    expectTypeOf<CurrentOf<typeof workflow>>().toEqualTypeOf<{ doubled: number }>()
    expectTypeOf<CurrentOf<ReturnType<typeof workflow.commit>>>().toEqualTypeOf<{ doubled: number }>()
  })

  it('types .map’s input as the data so far, and carries what it returns (awaited)', () => {
    const workflow = math()
      .then(add)
      .map(({ inputData, context, runId }) => {
        expectTypeOf(inputData).toEqualTypeOf<{ sum: number }>()
        expectTypeOf(context).toEqualTypeOf<RequestContext>()
        expectTypeOf(runId).toEqualTypeOf<string>()
        return { total: inputData.sum }
      })
      .map(async ({ inputData }) => {
        expectTypeOf(inputData).toEqualTypeOf<{ total: number }>()
        return { label: `total ${inputData.total}` }
      })
    expectTypeOf<CurrentOf<typeof workflow>>().toEqualTypeOf<{ label: string }>()
  })

  it('keys .parallel’s output by step id', () => {
    const workflow = math().then(add).parallel([double, label])
    expectTypeOf<CurrentOf<typeof workflow>>().toEqualTypeOf<{ double: { doubled: number }; label: { label: string } }>()
  })

  it('keys .branch’s output by step id, each optional, with conditions typed by the data so far', () => {
    const workflow = math()
      .then(add)
      .branch([
        [({ inputData }) => inputData.sum > 10, double],
        [({ inputData }) => inputData.sum <= 10, label],
      ])
    expectTypeOf<CurrentOf<typeof workflow>>().toEqualTypeOf<{ double?: { doubled: number }; label?: { label: string } }>()
    math()
      .then(add)
      // @ts-expect-error the data so far has no `count`
      .branch([[({ inputData }) => inputData.count > 0, double]])
  })

  it('passes on a nested workflow’s output and an agent’s { text }', () => {
    const inner = createWorkflow({ id: 'inner', inputSchema: sum, outputSchema: z.object({ doubled: z.number() }) }).then(double).commit()
    const agent = new Agent({ id: 'writer', instructions: 'Write.', model: new OfflineEchoModel() })
    const nested = math().then(add).then(inner)
    expectTypeOf<CurrentOf<typeof nested>>().toEqualTypeOf<{ doubled: number }>()
    const written = nested.map(({ inputData }) => ({ prompt: `Say ${inputData.doubled}` })).then(agent)
    expectTypeOf<CurrentOf<typeof written>>().toEqualTypeOf<{ text: string }>()
  })
})
