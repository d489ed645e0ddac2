import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { Agent, createRuntime, createStep, createTool, createWorkflow, defineRoute, type Principal } from 'agentmount'
import { OfflineEchoModel } from 'agentmount/testing'

// As the README's "Auth and context" section tells an app to type its context, once.
declare module 'agentmount' {
  interface RequestContext {
    user?: { id: string; plan: 'free' | 'pro' }
  }
}

type User = { id: string; plan: 'free' | 'pro' } | undefined

describe('an augmented RequestContext', () => {
  it('reaches a tool’s execute and requireApproval', () => {
    createTool({
      id: 'plan',
      description: 'The caller’s plan',
      inputSchema: z.object({}),
      requireApproval: (_input, { context }) => {
        expectTypeOf(context.user).toEqualTypeOf<User>()
        return context.user?.plan === 'free'
      },
      execute: async (_input, { context }) => {
        expectTypeOf(context.user).toEqualTypeOf<User>()
        expectTypeOf(context.principal).toEqualTypeOf<Principal | undefined>()
        return { plan: context.user?.plan }
      },
    })
  })

  it('reaches a custom route’s handler', () => {
    defineRoute({
      method: 'GET',
      path: '/plan',
      handler: ({ context }) => {
        expectTypeOf(context.user).toEqualTypeOf<User>()
        return { plan: context.user?.plan ?? 'free' }
      },
    })
  })

  it('reaches workflow steps and the functions between them', () => {
    const greet = createStep({
      id: 'greet',
      inputSchema: z.object({ name: z.string() }),
      outputSchema: z.object({ greeting: z.string() }),
      execute: ({ inputData, context }) => {
        expectTypeOf(context.user).toEqualTypeOf<User>()
        return { greeting: `Hello ${inputData.name}, ${context.user?.plan ?? 'guest'}` }
      },
    })
    createWorkflow({ id: 'greet', inputSchema: z.object({ name: z.string() }), outputSchema: z.object({ greeting: z.string() }) })
      .then(greet)
      .branch([[({ context }) => context.user?.plan === 'pro', greet]])
      .map(({ context }) => {
        expectTypeOf(context.user).toEqualTypeOf<User>()
        return { greeting: context.user?.id ?? 'anonymous' }
      })
  })

  it('reaches an agent’s dynamic instructions, model and tools', () => {
    new Agent({
      id: 'support',
      instructions: ({ context }) => {
        expectTypeOf(context.user).toEqualTypeOf<User>()
        return context.user?.plan === 'pro' ? 'Answer at length.' : 'Answer briefly.'
      },
      model: ({ context }) => {
        expectTypeOf(context.user).toEqualTypeOf<User>()
        return new OfflineEchoModel()
      },
      tools: ({ context }) => {
        expectTypeOf(context.user).toEqualTypeOf<User>()
        return {}
      },
    })
  })

  it('keeps keys it does not name unknown', () => {
    defineRoute({
      method: 'GET',
      path: '/tenant',
      handler: ({ context }) => {
        expectTypeOf(context.tenant).toBeUnknown()
        return {}
      },
    })
  })

  it('checks what the context hook returns against it', () => {
    createRuntime({ context: () => ({ user: { id: 'u-1', plan: 'pro' }, tenant: 'acme' }) })
    createRuntime({
      // @ts-expect-error `enterprise` is not a plan the augmentation allows
      context: () => ({ user: { id: 'u-1', plan: 'enterprise' } }),
    })
  })
})
