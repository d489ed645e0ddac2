// The runtime every example host mounts: one support agent with two tools and memory,
// and a refund workflow that waits for a human decision.
import { z } from 'zod'
import { Agent, createRuntime, type Store, createStep, createTool, createWorkflow, defineRoute, HttpError, Memory } from 'agentmount'
import type { RequestContext } from 'agentmount'
import { pickDemoModel } from './model.js'
import './auth.js'

const ORDERS: Record<string, { id: string; item: string; amount: number; status: string }> = {
  'A-1001': { id: 'A-1001', item: 'Trail running shoes', amount: 129, status: 'delivered' },
  'A-1002': { id: 'A-1002', item: 'Rain jacket', amount: 89, status: 'in transit' },
}

const currentUser = createTool({
  id: 'currentUser',
  description: 'Who is signed in: name, plan and email of the current customer.',
  inputSchema: z.object({}),
  execute: async (_input, { context }) => {
    const user = context.user
    return user ? { name: user.name, plan: user.plan, email: user.email } : { name: 'guest', plan: 'none' }
  },
})

const lookupOrder = createTool({
  id: 'lookupOrder',
  description: 'Looks up an order by its id (e.g. A-1001).',
  inputSchema: z.object({ orderId: z.string().describe('Order id such as A-1001') }),
  execute: async ({ orderId }) => ORDERS[orderId] ?? { error: `No order ${orderId}` },
})

/**
 * `store` defaults to PostgreSQL when `DATABASE_URL` is set, else to the SQLite file
 * `.agentmount/data.db` in the working directory.
 */
export async function createDemoRuntime(options: { store?: Store } = {}) {
  const model = await pickDemoModel()
  const store = options.store ?? (await postgresFromEnv())

  const support = new Agent({
    id: 'support',
    name: 'Support agent',
    description: 'Answers order questions for the signed-in customer.',
    instructions: ({ context }: { context: RequestContext }) => {
      const user = context.user
      return `You are a friendly support agent. The customer is ${user?.name ?? 'unknown'} on the ${user?.plan ?? 'free'} plan. Use tools to look up orders.`
    },
    model,
    tools: { currentUser, lookupOrder },
    memory: new Memory({ lastMessages: 20 }),
  })

  const checkOrder = createStep({
    id: 'check-order',
    description: 'Finds the order and the amount to refund.',
    inputSchema: z.object({ orderId: z.string(), reason: z.string() }),
    outputSchema: z.object({ orderId: z.string(), amount: z.number(), reason: z.string() }),
    execute: async ({ inputData }) => {
      const order = ORDERS[inputData.orderId]
      if (!order) throw new HttpError(404, 'NOT_FOUND', `Order ${inputData.orderId} not found`)
      return { orderId: order.id, amount: order.amount, reason: inputData.reason }
    },
  })

  const approval = createStep({
    id: 'approval',
    description: 'Waits for a person to approve or reject the refund.',
    inputSchema: z.object({ orderId: z.string(), amount: z.number(), reason: z.string() }),
    outputSchema: z.object({ orderId: z.string(), amount: z.number(), approved: z.boolean(), note: z.string() }),
    suspendSchema: z.object({ question: z.string(), amount: z.number() }),
    resumeSchema: z.object({ approved: z.boolean(), note: z.string().default('') }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return suspend({ question: `Refund ${inputData.amount} for ${inputData.orderId}?`, amount: inputData.amount })
      return { orderId: inputData.orderId, amount: inputData.amount, approved: resumeData.approved, note: resumeData.note }
    },
  })

  const settle = createStep({
    id: 'settle',
    description: 'Issues the refund when approved.',
    inputSchema: z.object({ orderId: z.string(), amount: z.number(), approved: z.boolean(), note: z.string() }),
    outputSchema: z.object({ orderId: z.string(), refunded: z.number(), status: z.enum(['refunded', 'rejected']) }),
    execute: async ({ inputData }) => ({
      orderId: inputData.orderId,
      refunded: inputData.approved ? inputData.amount : 0,
      status: inputData.approved ? ('refunded' as const) : ('rejected' as const),
    }),
  })

  const refund = createWorkflow({
    id: 'refund',
    description: 'Refund an order after a human approves it.',
    inputSchema: z.object({ orderId: z.string(), reason: z.string() }),
    outputSchema: z.object({ orderId: z.string(), refunded: z.number(), status: z.enum(['refunded', 'rejected']) }),
  })
    .then(checkOrder)
    .then(approval)
    .then(settle)
    .commit()

  const me = defineRoute({
    method: 'GET',
    path: '/me',
    summary: 'The signed-in user, as the kit sees it',
    tags: ['demo'],
    handler: ({ principal, resourceId }) => ({ principal, resourceId }),
  })

  return createRuntime({
    store,
    agents: { support },
    workflows: { refund },
    // The same tools, for MCP clients, beside `ask_support`, `start_refund` and `resume_refund`.
    tools: { currentUser, lookupOrder },
    mcp: {},
    routes: [me],
    // A reply keeps going when its tab closes: reloading the page rejoins it (`useChat({ resume: true })`).
    onDisconnect: 'continue',
  })
}

async function postgresFromEnv(): Promise<Store | undefined> {
  const connectionString = process.env.DATABASE_URL
  if (!connectionString) return undefined
  // Loaded only when asked for, so the SQLite demo needs no `pg` installed.
  const { PostgresStore } = await import('agentmount/postgres')
  return new PostgresStore({ connectionString })
}
