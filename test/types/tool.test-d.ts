import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { createTool, type RequestContext, type Tool, type ToolExecutionContext } from 'agentmount'

type InputOf<T> = T extends Tool<infer I, any> ? I : never
type OutputOf<T> = T extends Tool<any, infer O> ? O : never

describe('createTool', () => {
  it('types execute’s input as the parsed (output) type of the input schema', () => {
    createTool({
      id: 'weather',
      description: 'Weather for a city',
      inputSchema: z.object({ city: z.string(), days: z.number().int().default(1), unit: z.enum(['c', 'f']).optional() }),
      execute: (input, ctx) => {
        expectTypeOf(input).toEqualTypeOf<{ city: string; days: number; unit?: 'c' | 'f' | undefined }>()
        expectTypeOf(ctx).toEqualTypeOf<ToolExecutionContext>()
        expectTypeOf(ctx.context).toEqualTypeOf<RequestContext>()
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
        return { city: input.city }
      },
    })
  })

  it('infers the tool’s input and output types, async execute included', () => {
    const weather = createTool({
      id: 'weather',
      description: 'Weather for a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, celsius: 21 }),
    })
    expectTypeOf<InputOf<typeof weather>>().toEqualTypeOf<{ city: string }>()
    expectTypeOf<OutputOf<typeof weather>>().toEqualTypeOf<{ city: string; celsius: number }>()
    expectTypeOf(weather.run).returns.resolves.toEqualTypeOf<{ city: string; celsius: number }>()
  })

  it('takes the output type from outputSchema and checks execute against it', () => {
    const temperature = createTool({
      id: 'temperature',
      description: 'Temperature',
      inputSchema: z.object({ city: z.string() }),
      outputSchema: z.object({ celsius: z.number() }),
      execute: async () => ({ celsius: 21 }),
    })
    expectTypeOf<OutputOf<typeof temperature>>().toEqualTypeOf<{ celsius: number }>()

    // One line: the checker may report the mismatch at the schema or at execute.
    const schema = z.object({ celsius: z.number() })
    // @ts-expect-error execute returns what outputSchema does not describe
    createTool({ id: 'temperature', description: 'Temperature', inputSchema: z.object({}), outputSchema: schema, execute: async () => ({ celsius: 'warm' }) })
  })

  it('rejects a use of an input field the schema does not declare', () => {
    createTool({
      id: 'weather',
      description: 'Weather for a city',
      inputSchema: z.object({ city: z.string() }),
      // @ts-expect-error `country` is not in the input schema
      execute: async (input) => input.country,
    })
  })

  it('types requireApproval’s input like execute’s', () => {
    createTool({
      id: 'refund',
      description: 'Refunds an order',
      inputSchema: z.object({ orderId: z.string(), amount: z.number() }),
      requireApproval: (input, { context }) => {
        expectTypeOf(input).toEqualTypeOf<{ orderId: string; amount: number }>()
        expectTypeOf(context).toEqualTypeOf<RequestContext>()
        return input.amount > 100
      },
      execute: async ({ orderId }) => ({ refunded: orderId }),
    })
  })
})
