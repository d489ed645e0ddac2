import { tool } from 'ai'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createTool, Tool, toTool } from '../../../src/agents/tool.js'
import { HttpError } from '../../../src/core/errors.js'

const weather = createTool({
  id: 'weather',
  description: 'Weather for a city',
  inputSchema: z.object({ city: z.string(), days: z.number().int().optional() }),
  outputSchema: z.object({ city: z.string(), temp: z.number() }),
  execute: async ({ city }, { context }) => ({ city, temp: context.unit === 'F' ? 70 : 21 }),
})

describe('createTool', () => {
  it('runs with validated data and the request context', async () => {
    await expect(weather.run({ city: 'Paris' }, { context: { unit: 'F' } })).resolves.toEqual({ city: 'Paris', temp: 70 })
  })

  it('answers 400 naming data.<field> for bad input', async () => {
    const err = await weather.run({ city: 42 }).catch((e) => e)
    expect(err).toBeInstanceOf(HttpError)
    expect(err.status).toBe(400)
    expect(err.code).toBe('VALIDATION_ERROR')
    expect(err.issues.map((i: { field: string }) => i.field)).toEqual(['data.city'])
  })

  it('asks requireApproval per call, with the input and the request context, and hands it to the model as needsApproval', async () => {
    const seen: unknown[] = []
    const transfer = createTool({
      id: 'transfer',
      description: 'Moves money',
      inputSchema: z.object({ amount: z.number() }),
      requireApproval: ({ amount }, { context }) => {
        seen.push(context.tenant)
        return amount > 100
      },
      execute: async ({ amount }) => ({ moved: amount }),
    })
    await expect(transfer.run({ amount: 5 }, { context: { tenant: 'acme' } })).resolves.toEqual({ moved: 5 })
    const refused = await transfer.run({ amount: 500 }, { context: { tenant: 'acme' } }).catch((e) => e)
    expect(refused).toMatchObject({ status: 403, code: 'FORBIDDEN' })
    expect(seen).toEqual(['acme', 'acme'])
    const needsApproval = transfer.aiTool.needsApproval as (input: unknown, options: object) => Promise<boolean>
    expect(await needsApproval({ amount: 500 }, { toolCallId: 'c1', messages: [], experimental_context: { tenant: 'globex' } })).toBe(true)
    expect(seen.at(-1)).toBe('globex')
    expect(createTool({ id: 'always', description: '', inputSchema: z.object({}), requireApproval: true, execute: async () => 1 }).aiTool.needsApproval).toBe(true)
    expect(weather.aiTool.needsApproval).toBeUndefined()
  })

  it('rejects output that does not match outputSchema with a 500 that hides the details', async () => {
    const broken = createTool({
      id: 'broken',
      description: 'returns the wrong shape',
      inputSchema: z.object({}),
      outputSchema: z.object({ ok: z.boolean() }),
      execute: async () => ({ ok: 'yes' }) as unknown as { ok: boolean },
    })
    const err = await broken.run({}).catch((e) => e)
    expect(err.status).toBe(500)
    expect(err.message).toBe('Tool broken returned output that does not match its outputSchema')
  })

  it('hands execute the abort signal', async () => {
    let seen: AbortSignal | undefined
    const waits = createTool({
      id: 'waits',
      description: 'keeps the signal',
      inputSchema: z.object({}),
      execute: async (_input, { signal }) => {
        seen = signal
        return 'done'
      },
    })
    const controller = new AbortController()
    await waits.run({}, { signal: controller.signal })
    controller.abort()
    expect(seen?.aborted).toBe(true)
  })

  it('describes its input as JSON schema, converted once', async () => {
    const first = await weather.describe()
    expect(first).toMatchObject({
      id: 'weather',
      description: 'Weather for a city',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    })
    expect(await weather.describe()).toBe(first)
  })

  it('gives the AI SDK form the context and signal from the tool-call options', async () => {
    const controller = new AbortController()
    const out = await weather.aiTool.execute!(
      { city: 'Oslo' },
      { toolCallId: 'c1', messages: [], abortSignal: controller.signal, experimental_context: { unit: 'F' } },
    )
    expect(out).toEqual({ city: 'Oslo', temp: 70 })
  })
})

describe('AI SDK tools', () => {
  const sdkTool = tool({
    description: 'adds numbers',
    inputSchema: z.object({ a: z.number(), b: z.number() }),
    execute: async ({ a, b }, { experimental_context }) => ({ sum: a + b, ctx: experimental_context }),
  })

  it('wraps them so they can be run directly and validated', async () => {
    const wrapped = toTool('add', sdkTool)
    expect(wrapped).toBeInstanceOf(Tool)
    expect(wrapped.id).toBe('add')
    await expect(wrapped.run({ a: 2, b: 3 }, { context: { tenant: 't1' } })).resolves.toEqual({ sum: 5, ctx: { tenant: 't1' } })
    const err = await wrapped.run({ a: 'x', b: 3 }).catch((e) => e)
    expect(err.issues[0].field).toBe('data.a')
  })

  it('keeps our tools as they are', () => {
    expect(toTool('weather', weather)).toBe(weather)
  })

  it('refuses to run a client-side tool on the server', async () => {
    const clientSide = toTool('confirm', tool({ description: 'asks the user', inputSchema: z.object({}) }))
    const err = await clientSide.run({}).catch((e) => e)
    expect(err.status).toBe(400)
  })
})
