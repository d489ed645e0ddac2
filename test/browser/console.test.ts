import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { SqliteStore } from 'agentmount'
import { startExpressApp } from '../../examples/express/server.js'
import { startFakeOpenAI, type FakeOpenAI } from '../harness/fake-openai.js'
import { launchChromium } from './chromium.js'

// The demo app, as `npm start` runs it, with its model pointed at a local OpenAI-compatible
// server (the real provider package, so the chat makes a real tool call). `npm test` builds
// the package and its console first.
// AGENTMOUNT_SCREENSHOTS=docs writes the page screenshots the README shows.
const screenshots = process.env.AGENTMOUNT_SCREENSHOTS === 'docs' ? resolve(import.meta.dirname, '../../docs') : undefined

describe('the console in Chromium', () => {
  let fake: FakeOpenAI
  let server: Server
  let browser: Browser
  let page: Page
  let consoleUrl: string
  const cspViolations: string[] = []
  const failedRequests: string[] = []

  const shoot = async (name: string) => {
    if (screenshots) await page.screenshot({ path: `${screenshots}/console-${name}.png`, fullPage: true })
  }

  beforeAll(async () => {
    fake = await startFakeOpenAI()
    process.env.OPENAI_BASE_URL = fake.baseURL
    server = await startExpressApp({ port: 0, log: false, store: new SqliteStore(':memory:') })
    consoleUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/_console`
    if (screenshots) mkdirSync(screenshots, { recursive: true })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.on('console', (msg) => {
      if (/Content.Security.Policy/i.test(msg.text())) cspViolations.push(msg.text())
    })
    page.on('requestfailed', (req) => failedRequests.push(`${req.url()} ${req.failure()?.errorText}`))
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
    await fake?.close()
    delete process.env.OPENAI_BASE_URL
  })

  it('asks for a token, refuses a wrong one and signs in with the demo token', async () => {
    await page.goto(consoleUrl)
    const token = page.getByLabel('Token')
    await token.fill('wrong-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('did not accept this token')
    await shoot('sign-in')
    await page.getByLabel('Token').fill('demo-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Agents' }).waitFor()
    expect(await page.getByRole('button', { name: /Support agent/ }).textContent()).toContain('gpt-4o-mini')
  })

  it('chats with the agent: a streamed reply and a tool call with its result', async () => {
    const chat = page.waitForResponse((res) => res.url().endsWith('/api/agents/support/chat'))
    await page.getByPlaceholder('Message Support agent').fill('Who am I?')
    await page.getByRole('button', { name: 'Send' }).click()
    const res = await chat
    expect(res.headers()['content-type']).toBe('text/event-stream')
    expect(res.headers()['x-vercel-ai-ui-message-stream']).toBe('v1')
    const tool = page.locator('.tool[data-tool="currentUser"][data-state="output-available"]')
    await tool.waitFor()
    expect(await tool.getByLabel('result').textContent()).toContain('"name": "Ada"')
    const reply = page.locator('.message.assistant .text').last()
    await expect.poll(() => reply.textContent()).toContain('Tool said:')
    expect(await reply.textContent()).toContain('ada@example.com')
    // The turn went to memory: the thread shows in the picker and reloads with its history.
    const thread = page.locator('.threads .picker button').first()
    await thread.waitFor()
    await shoot('agents')
    await page.reload()
    await page.locator('.threads .picker button').first().click()
    await page.locator('.tool[data-tool="currentUser"]').waitFor()
    expect(await page.locator('.message.user .text').first().textContent()).toBe('Who am I?')
  })

  it('starts the refund workflow, resumes it from its form and shows the finished run', async () => {
    await page.getByRole('link', { name: 'Workflows' }).click()
    await page.getByRole('heading', { name: 'refund' }).waitFor()
    expect(await page.locator('.graph .step').evaluateAll((steps) => steps.map((s) => s.getAttribute('data-step')))).toEqual([
      'check-order',
      'approval',
      'settle',
    ])
    await page.getByLabel('orderId').fill('A-1001')
    await page.getByLabel('reason').fill('too small')
    await page.getByRole('button', { name: 'Start' }).click()
    await page.locator('[data-run-status="suspended"]').waitFor()
    expect(await page.locator('.step[data-step="check-order"]').getAttribute('data-status')).toBe('success')
    expect(await page.locator('.step[data-step="approval"]').getAttribute('data-status')).toBe('suspended')
    expect(await page.locator('.suspend-panel pre').textContent()).toContain('Refund 129 for A-1001?')
    await shoot('workflows')
    await page.getByLabel('approved').check()
    await page.getByLabel('note').fill('ok by support')
    await page.getByRole('button', { name: 'Resume' }).click()
    await page.locator('[data-run-status="success"]').waitFor()
    expect(await page.locator('.step[data-step="settle"]').getAttribute('data-status')).toBe('success')
    expect(JSON.parse((await page.getByLabel('result').textContent())!)).toEqual({ orderId: 'A-1001', refunded: 129, status: 'refunded' })
    expect(await page.locator('table.runs tbody tr').count()).toBe(1)
  })

  it('lists the runs, and says which run views this mount cannot serve', async () => {
    await page.getByRole('link', { name: 'Runs and usage' }).click()
    const row = page.locator('table.runs tbody tr', { hasText: 'refund' })
    await row.waitFor()
    expect(await row.locator('.badge').textContent()).toBe('success')
    const doc = await (await fetch(consoleUrl.replace('/_console', '/openapi.json'))).json()
    // The console shows agent runs and usage only where the mount serves them; never stand-in data.
    for (const [path, text] of [
      ['/agents/{agentId}/runs', 'GET /agents/:agentId/runs'],
      ['/usage', 'GET /usage'],
    ]) {
      const note = page.getByText(`This mount does not serve ${text}.`)
      expect(await note.count(), path).toBe(doc.paths[path] ? 0 : 1)
    }
    await shoot('runs')
  })

  it('renders the OpenAPI document with Swagger UI from the mount itself', async () => {
    await page.getByRole('link', { name: 'API' }).click()
    await page.locator('.opblock-summary-path', { hasText: '/agents/{agentId}/chat' }).first().waitFor()
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20)
    await shoot('api')
  })

  it('ran without a CSP violation or a request leaving the mount', () => {
    expect(cspViolations).toEqual([])
    expect(failedRequests).toEqual([])
  })
})
