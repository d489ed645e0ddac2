export { createRuntime, Runtime } from './runtime.js'
export type { RuntimeConfig } from './runtime.js'
export type { AuthHooks, ContextHook } from './http/hooks.js'
export { defineRoute, json, sse, records, uiMessageStream } from './http/route.js'
export type {
  HandlerArgs,
  HostObjects,
  NeutralRequest,
  Route,
  RouteDefinition,
} from './http/route.js'
export type { Principal, RequestContext } from './core/context.js'
export { HttpError, ToolError } from './core/errors.js'
export type { ErrorCode, ErrorEnvelope, FieldIssue } from './core/errors.js'
export type { ErrorReporter, FailureInfo, FailureKind } from './core/report.js'
export type { MountErrorHandler, MountOptions } from './http/dispatch.js'
export { Agent } from './agents/agent.js'
export { createTool } from './agents/tool.js'
export type { Tool, ToolExecutionContext, ToolProgress } from './agents/tool.js'
export type { McpOptions } from './routes/mcp/catalog.js'
export { Memory } from './memory/memory.js'
export { createStep, createWorkflow } from './workflows/workflow.js'
export { SqliteStore } from './storage/sqlite.js'
export type { Store, Thread, StoredMessage } from './storage/types.js'
export type { AgentRunStore, AgentRunRecord, AgentRunStatus, AgentRunEvent, AgentRunUsage, ModelPrice, RunCost } from './storage/agent-runs.js'
export type { FinishedRun, Pricing, RunObservability } from './agents/runs/observer.js'
export type { WorkflowRunFinish } from './workflows/run-finish.js'
export { OfflineEchoModel } from './agents/offline-model.js'
export type { OfflineEchoModelOptions } from './agents/offline-model.js'
export type { AgentConfig, AgentGenerateResult } from './agents/agent-types.js'
export type { MastraChunk } from './agents/mastra-chunks.js'
export type { Workflow } from './workflows/workflow.js'
