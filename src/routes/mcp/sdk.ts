/**
 * The MCP SDK (`@modelcontextprotocol/sdk`, an optional peer dependency), loaded on the first
 * MCP request so hosts that never serve MCP neither install nor load it. Type imports only
 * elsewhere; values come from here.
 */
export interface McpSdk {
  Server: typeof import('@modelcontextprotocol/sdk/server/index.js').Server
  Transport: typeof import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js').WebStandardStreamableHTTPServerTransport
  types: typeof import('@modelcontextprotocol/sdk/types.js')
  /** One schema validator for every server: each `Server` would otherwise build its own Ajv. */
  validator: import('@modelcontextprotocol/sdk/validation/types.js').jsonSchemaValidator
}

let loading: Promise<McpSdk> | undefined

/** The SDK's server half; the first call starts the import, later calls share it. */
export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/index.js'),
    import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('@modelcontextprotocol/sdk/validation/ajv'),
  ]).then(
    ([server, transport, types, ajv]) => ({
      Server: server.Server,
      Transport: transport.WebStandardStreamableHTTPServerTransport,
      types,
      validator: new ajv.AjvJsonSchemaValidator(),
    }),
    (err: unknown) => {
      loading = undefined
      throw new Error('The MCP endpoint needs @modelcontextprotocol/sdk: npm install @modelcontextprotocol/sdk', { cause: err })
    },
  )
  return loading
}
