// The demo's Express app without the kit: same logger, same token middleware, same /health.
// The baseline for cold start and memory in `npm run bench`.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { userFromAuthorization } from '../examples/shared/auth.js'

const app = express()
app.use((req, res, next) => {
  const started = Date.now()
  res.on('finish', () => void (Date.now() - started))
  next()
})
app.use((req, _res, next) => {
  ;(req as any).user = userFromAuthorization(req.headers.authorization)
  next()
})
app.get('/health', (_req, res) => res.json({ ok: true }))
const server = createServer(app)
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})
