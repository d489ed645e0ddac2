import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Agent } from '../../../src/agents/agent.js'
import { HttpError } from '../../../src/core/errors.js'
import { InMemoryWorkflowRuns } from '../../harness/memory-workflow-runs.js'
import { createStep, createWorkflow } from '../../../src/workflows/workflow.js'
import { generatingModel } from '../agents/fixtures.js'
import { add, runsIn, double, mathWorkflow } from './fixtures/workflows.js'

const num = z.object({ n: z.number() })

function counter(id: string, delta: number, seen: unknown[] = []) {
  return createStep({
    id,
    inputSchema: num,
    outputSchema: num,
    execute: ({ inputData }) => {
      seen.push(inputData)
      return { n: inputData.n + delta }
    },
  })
}

async function start<W extends ReturnType<typeof createWorkflow>>(workflow: W, inputData: unknown, context = {}) {
  const run = await runsIn(workflow, new InMemoryWorkflowRuns()).createRun()
  return run.start({ inputData, context })
}

describe('workflow graph', () => {
  it('runs steps in sequence, each receiving the previous output', async () => {
    const result = await start(mathWorkflow(), { a: 2, b: 3 })
    expect(result.status).toBe('success')
    expect(result.result).toEqual({ result: 10 })
    expect(result.input).toEqual({ a: 2, b: 3 })
    expect(Object.keys(result.steps)).toEqual(['add', 'double'])
    expect(result.steps.add).toMatchObject({ status: 'success', output: { sum: 5 } })
    expect(result.steps.double.endedAt).toBeGreaterThanOrEqual(result.steps.double.startedAt)
    expect(typeof result.runId).toBe('string')
  })

  it('runs parallel steps and keys their outputs by step id', async () => {
    const workflow = createWorkflow({ id: 'fan', inputSchema: num, outputSchema: z.object({ total: z.number() }) })
      .parallel([counter('plusOne', 1), counter('plusTen', 10)])
      .map(({ inputData }) => ({ total: inputData.plusOne.n + inputData.plusTen.n }))
      .commit()
    const result = await start(workflow, { n: 1 })
    expect(result.result).toEqual({ total: 13 })
    expect(result.steps.plusOne.output).toEqual({ n: 2 })
    expect(result.steps.plusTen.output).toEqual({ n: 11 })
  })

  it('runs only the step of the first condition that holds, keyed by its id', async () => {
    const small = counter('small', 1)
    const large = counter('large', 100)
    const also = counter('alsoLarge', 1000)
    const workflow = createWorkflow({ id: 'pick', inputSchema: num, outputSchema: z.record(z.string(), num) })
      .branch([
        [({ inputData }) => inputData.n < 10, small],
        [({ inputData }) => inputData.n >= 10, large],
        [async () => true, also],
      ])
      .commit()
    const result = await start(workflow, { n: 50 })
    expect(result.result).toEqual({ large: { n: 150 } })
    expect(Object.keys(result.steps)).toEqual(['large'])
  })

  it('passes {} on from a branch where no condition holds, and the workflow goes on', async () => {
    const seen: unknown[] = []
    const after = createStep({
      id: 'after',
      inputSchema: z.object({}).passthrough(),
      outputSchema: z.object({ received: z.array(z.string()) }),
      execute: ({ inputData }) => {
        seen.push(inputData)
        return { received: Object.keys(inputData) }
      },
    })
    const workflow = createWorkflow({ id: 'none', inputSchema: num, outputSchema: z.object({ received: z.array(z.string()) }) })
      .branch([[() => false, counter('never', 1)]])
      .then(after)
      .commit()
    const result = await start(workflow, { n: 1 })
    expect(result.status).toBe('success')
    expect(seen).toEqual([{}])
    expect(result.steps.never).toBeUndefined()
  })

  it('reshapes data with map, which sees earlier results and the context', async () => {
    const workflow = createWorkflow({ id: 'mapper', inputSchema: z.object({ a: z.number(), b: z.number() }), outputSchema: z.object({ result: z.number() }) })
      .then(add)
      .map(({ inputData, getStepResult, context }) => ({ sum: inputData.sum + (getStepResult(add)?.sum ?? 0) + Number(context.bonus) }))
      .then(double)
      .commit()
    const result = await start(workflow, { a: 1, b: 2 }, { bonus: 4 })
    expect(result.result).toEqual({ result: (3 + 3 + 4) * 2 })
  })

  it('hands steps the context, the run id and earlier step results', async () => {
    const seen: Record<string, unknown> = {}
    const inspect = createStep({
      id: 'inspect',
      inputSchema: z.object({ sum: z.number() }),
      outputSchema: z.object({ ok: z.boolean() }),
      execute: ({ context, runId, getStepResult, signal }) => {
        Object.assign(seen, { tenant: context.tenant, runId, add: getStepResult('add'), aborted: signal.aborted })
        return { ok: true }
      },
    })
    const workflow = createWorkflow({ id: 'ctx', inputSchema: add.inputSchema, outputSchema: z.object({ ok: z.boolean() }) })
      .then(add)
      .then(inspect)
      .commit()
    const result = await start(workflow, { a: 1, b: 1 }, { tenant: 'acme' })
    expect(seen).toEqual({ tenant: 'acme', runId: result.runId, add: { sum: 2 }, aborted: false })
  })

  it('retries a step that fails twice, then succeeds', async () => {
    let attempts = 0
    const flaky = createStep({
      id: 'flaky',
      inputSchema: num,
      outputSchema: num,
      retries: 2,
      execute: ({ inputData }) => {
        attempts += 1
        if (attempts < 3) throw new Error(`attempt ${attempts} failed`)
        return inputData
      },
    })
    const workflow = createWorkflow({ id: 'retry', inputSchema: num, outputSchema: num }).then(flaky).commit()
    const result = await start(workflow, { n: 7 })
    expect(attempts).toBe(3)
    expect(result.status).toBe('success')
    expect(result.result).toEqual({ n: 7 })
  })

  it('gives a step the same idempotency key on every attempt, with the attempt number', async () => {
    const calls: Array<[string, number]> = []
    const flaky = createStep({
      id: 'flaky',
      inputSchema: num,
      outputSchema: num,
      retries: 2,
      execute: ({ inputData, idempotencyKey, attempt }) => {
        calls.push([idempotencyKey, attempt])
        if (attempt < 3) throw new Error(`attempt ${attempt} failed`)
        return inputData
      },
    })
    const inner = createWorkflow({ id: 'inner', inputSchema: num, outputSchema: num }).then(flaky).commit()
    const keyed = createStep({
      id: 'keyed',
      inputSchema: num,
      outputSchema: num,
      execute: ({ inputData, idempotencyKey, attempt }) => (calls.push([idempotencyKey, attempt]), inputData),
    })
    const workflow = createWorkflow({ id: 'keys', inputSchema: num, outputSchema: num }).then(keyed).then(inner).commit()
    const result = await (await runsIn(workflow, new InMemoryWorkflowRuns()).createRun({ runId: 'k1' })).start({ inputData: { n: 1 } })
    expect(result.status).toBe('success')
    // A nested workflow's steps are keyed by their path, so they never collide with the outer steps.
    expect(calls).toEqual([['k1:keyed', 1], ['k1:inner.flaky', 1], ['k1:inner.flaky', 2], ['k1:inner.flaky', 3]])
  })

  it('fails the run with the last error once retries are used up', async () => {
    let attempts = 0
    const broken = createStep({
      id: 'broken',
      inputSchema: num,
      outputSchema: num,
      retries: 1,
      execute: () => {
        attempts += 1
        throw new Error('card declined')
      },
    })
    const workflow = createWorkflow({ id: 'fail', inputSchema: num, outputSchema: num }).then(broken).then(counter('never', 1)).commit()
    const result = await start(workflow, { n: 1 })
    expect(attempts).toBe(2)
    expect(result).toMatchObject({ status: 'failed', error: 'card declined' })
    expect(result.steps.broken).toMatchObject({ status: 'failed', error: 'card declined' })
    expect(result.steps.never).toBeUndefined()
    expect(result.result).toBeUndefined()
  })

  it('fails the run naming the step whose input does not match its schema, without running it', async () => {
    let ran = false
    const produce = createStep({ id: 'produce', inputSchema: num, outputSchema: z.object({ a: z.string() }), execute: () => ({ a: 'x' }) })
    const addSpy = createStep({ ...add, id: 'add', execute: (args) => ((ran = true), add.execute(args)) })
    const workflow = createWorkflow({ id: 'mismatch', inputSchema: num, outputSchema: z.any() }).then(produce).then(addSpy).commit()
    const result = await start(workflow, { n: 1 })
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(/^Step add input invalid: a: .*expected number/)
    expect(result.error).toContain('b: ')
    expect(ran).toBe(false)
  })

  it('fails the run naming the step whose output does not match its schema, even with retries', async () => {
    let attempts = 0
    const liar = createStep({
      id: 'liar',
      inputSchema: num,
      outputSchema: num,
      retries: 3,
      execute: () => {
        attempts += 1
        return { n: 'one' } as unknown as { n: number }
      },
    })
    const workflow = createWorkflow({ id: 'out', inputSchema: num, outputSchema: num }).then(liar).commit()
    const result = await start(workflow, { n: 1 })
    expect(result.error).toMatch(/^Step liar output invalid: n: /)
    expect(attempts).toBe(1)
  })

  it('fails the run when the final data does not match the workflow outputSchema', async () => {
    const workflow = createWorkflow({ id: 'wout', inputSchema: num, outputSchema: z.object({ total: z.number() }) }).then(counter('c', 1)).commit()
    const result = await start(workflow, { n: 1 })
    expect(result.status).toBe('failed')
    expect(result.error).toMatch(/^Workflow wout output invalid: total: /)
  })

  it('rejects invalid workflow input with a 400 naming inputData fields, storing no run', async () => {
    const runs = new InMemoryWorkflowRuns()
    const workflow = runsIn(mathWorkflow(), runs)
    const run = await workflow.createRun()
    const error = await run.start({ inputData: { a: 'x' } as never }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).status).toBe(400)
    expect((error as HttpError).issues?.map((i) => i.field)).toEqual(['inputData.a', 'inputData.b'])
    expect(await runs.get('math', run.runId)).toBeNull()
  })

  it('runs a committed workflow as a step of another', async () => {
    const inner = createWorkflow({ id: 'inner', inputSchema: num, outputSchema: num }).then(counter('i1', 1)).then(counter('i2', 10)).commit()
    const outer = createWorkflow({ id: 'outer', inputSchema: num, outputSchema: num })
      .then(counter('before', 100))
      .then(inner)
      .then(counter('after', 1000))
      .commit()
    const result = await start(outer, { n: 0 })
    expect(result.result).toEqual({ n: 1111 })
    expect(result.steps.inner).toMatchObject({ status: 'success', output: { n: 111 } })
  })

  it('runs an agent as a step: { prompt } in, { text } out, with the context and signal', async () => {
    const calls: unknown[] = []
    const agent = {
      id: 'writer',
      generate: async (args: { messages: string; context: Record<string, unknown>; signal: AbortSignal }) => {
        calls.push({ messages: args.messages, tenant: args.context.tenant, hasSignal: args.signal instanceof AbortSignal })
        return { text: `echo: ${args.messages}` }
      },
    }
    const workflow = createWorkflow({ id: 'agentic', inputSchema: z.object({ topic: z.string() }), outputSchema: z.object({ text: z.string() }) })
      .map(({ inputData }) => ({ prompt: `write about ${inputData.topic}` }))
      .then(agent)
      .commit()
    const result = await start(workflow, { topic: 'otters' }, { tenant: 't1' })
    expect(result.result).toEqual({ text: 'echo: write about otters' })
    expect(calls).toEqual([{ messages: 'write about otters', tenant: 't1', hasSignal: true }])
  })

  it('runs a real Agent as a step', async () => {
    const model = generatingModel('Otters hold hands while they sleep.')
    const agent = new Agent({ id: 'facts', instructions: 'Answer briefly.', model })
    const workflow = createWorkflow({ id: 'real-agent', inputSchema: z.object({ prompt: z.string() }), outputSchema: z.object({ text: z.string() }) })
      .then(agent)
      .commit()
    const result = await start(workflow, { prompt: 'Tell me about otters' })
    expect(result.result).toEqual({ text: 'Otters hold hands while they sleep.' })
    expect(JSON.stringify(model.doGenerateCalls[0].prompt)).toContain('Tell me about otters')
  })

  it('describes itself with schemas as JSON strings in Mastra’s envelope', () => {
    const description = mathWorkflow().describe()
    expect(description.name).toBe('math')
    expect(description.description).toBe('Adds then doubles')
    expect(Object.keys(description.steps)).toEqual(['add', 'double'])
    expect(JSON.parse(description.steps.add.inputSchema).json).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    })
    expect(JSON.parse(description.outputSchema).json.$schema).toBe('http://json-schema.org/draft-07/schema#')
  })

  it('refuses duplicate step ids, steps after commit and runs before commit', async () => {
    const draft = createWorkflow({ id: 'draft', inputSchema: num, outputSchema: num }).then(counter('x', 1))
    expect(() => draft.then(counter('x', 2))).toThrow(/already has a step with id x/)
    await expect(runsIn(draft, new InMemoryWorkflowRuns()).createRun()).rejects.toThrow(/not committed/)
    draft.commit()
    expect(() => draft.then(counter('y', 1))).toThrow(/committed/)
  })
})
