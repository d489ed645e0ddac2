import type { AddressInfo } from 'node:net'
import { createServer, type Server } from 'node:http'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { tool } from 'ai'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { z } from 'zod'
import { mount } from '../../adapters/express.js'
import { Agent } from '../../src/agents/agent.js'
import { createRuntime } from '../../src/runtime.js'
import { SqliteStore } from '../../src/storage/sqlite.js'
import { startFakeOpenAI, type FakeOpenAI } from '../harness/fake-openai.js'
import { launchChromium } from './chromium.js'

// An agent whose only tool needs a person's approval (AI SDK `needsApproval`), on an app with
// bearer auth, driven from the console in Chromium.
describe('tool approval in the console', () => {
  let fake: FakeOpenAI
  let server: Server
  let browser: Browser
  let page: Page
  const refunds: string[] = []

  beforeAll(async () => {
    fake = await startFakeOpenAI({ toolArgs: { orderId: 'A-1001' } })
    const refundOrder = tool({
      description: 'Refunds an order',
      inputSchema: z.object({ orderId: z.string() }),
      needsApproval: true,
      execute: async ({ orderId }) => {
        refunds.push(orderId)
        return { refunded: orderId }
      },
    })
    const model = createOpenAICompatible({ name: 'fake', baseURL: fake.baseURL, apiKey: 'k' }).chatModel('fake-model')
    const ops = new Agent({ id: 'ops', name: 'Ops agent', instructions: 'Refund orders when asked.', model, tools: { refundOrder } })
    const runtime = createRuntime({
      agents: { ops },
      store: new SqliteStore(':memory:'),
      auth: { authenticate: (req) => (req.headers.authorization === 'Bearer ops-token' ? { id: 'ops-user' } : null) },
    })
    const app = express()
    app.use('/internal', mount(runtime, { console: true }))
    server = createServer(app)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    browser = await launchChromium()
    page = await browser.newPage()
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/_console`)
    await page.getByLabel('Token').fill('ops-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByPlaceholder('Message Ops agent').waitFor()
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
    await fake?.close()
  })

  const ask = async (text: string) => {
    await page.getByPlaceholder('Message Ops agent').fill(text)
    await page.getByRole('button', { name: 'Send' }).click()
    return page.locator('.tool[data-tool="refundOrder"]').last()
  }

  it('runs the tool only after Approve, then streams the reply', async () => {
    const call = await ask('Refund my order')
    await call.and(page.locator('[data-state="approval-requested"]')).waitFor()
    expect(refunds).toEqual([])
    await call.getByRole('button', { name: 'Approve' }).click()
    await call.and(page.locator('[data-state="output-available"]')).waitFor()
    expect(await call.getByLabel('result').textContent()).toContain('"refunded": "A-1001"')
    await expect.poll(() => page.locator('.message.assistant .text').last().textContent()).toContain('Tool said:')
    expect(refunds).toEqual(['A-1001'])
  })

  it('never runs a declined tool', async () => {
    await page.getByRole('button', { name: 'New chat' }).click()
    const call = await ask('Refund it again')
    await call.and(page.locator('[data-state="approval-requested"]')).waitFor()
    await call.getByRole('button', { name: 'Decline' }).click()
    await call.and(page.locator('[data-state="output-denied"]')).waitFor()
    expect(refunds).toEqual(['A-1001'])
  })
})
