/** What a server prints once it listens: where it is, a token, and calls to paste. */
export function banner(host: string, url: string): string {
  const api = `${url}/api`
  // A fresh run id each start, so the printed calls work again on the same database.
  const runId = `refund-${Date.now().toString(36)}`
  const auth = `-H 'authorization: Bearer demo-token'`
  return [
    `Console: ${api}/_console  (sign in with demo-token)`,
    `${host} app with agentmount at ${api}`,
    `demo token: demo-token  (another user: other-token)`,
    '',
    'Chat with the support agent (streams SSE):',
    `  curl -N ${auth} -H 'content-type: application/json' -d '{"messages":"Where is my order A-1002?","memory":{"thread":"t-1"}}' ${api}/agents/support/stream`,
    'List your threads:',
    `  curl ${auth} ${api}/memory/threads`,
    'Start a refund (it suspends for approval), then approve it:',
    `  curl ${auth} -H 'content-type: application/json' -d '{"inputData":{"orderId":"A-1001","reason":"too small"}}' '${api}/workflows/refund/start-async?runId=${runId}'`,
    `  curl ${auth} -H 'content-type: application/json' -d '{"step":"approval","resumeData":{"approved":true,"note":"ok"}}' '${api}/workflows/refund/resume-async?runId=${runId}'`,
    `MCP clients (Streamable HTTP, bearer demo-token): ${api}/mcp`,
    '',
  ].join('\n')
}
