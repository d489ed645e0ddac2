// The public surface of `agentmount`, grouped by concept. Demo and test helpers live in
// `agentmount/testing`; `PostgresStore` in `agentmount/postgres`; each host's `mount` in its subpath.

// Runtime and mounting
export { createRuntime, Runtime } from './runtime.js'
export type { RuntimeConfig } from './runtime.js'
export type { AuthHooks, ContextHook } from './http/hooks.js'
export type { MountErrorHandler, MountOptions } from './http/dispatch.js'
export type { Principal, RequestContext } from './core/context.js'

// Routes
export { defineRoute, json, sse, records, uiMessageStream } from './http/route.js'
export type { HandlerArgs, HostObjects, NeutralRequest, Route, RouteDefinition } from './http/route.js'

// Errors and reporting
export { HttpError, ToolError } from './core/errors.js'
export type { ErrorCode, ErrorEnvelope, FieldIssue } from './core/errors.js'
export type { ErrorReporter, FailureInfo, FailureKind } from './core/report.js'

// Agents and tools
export { Agent } from './agents/agent.js'
export type { AgentConfig, AgentGenerateResult } from './agents/agent-types.js'
export type { MastraChunk } from './agents/mastra-chunks.js'
export { createTool } from './agents/tool.js'
export type { Tool, ToolExecutionContext, ToolProgress } from './agents/tool.js'
export type { McpOptions } from './routes/mcp/catalog.js'

// Memory
export { Memory } from './memory/memory.js'

// Workflows
export { createStep, createWorkflow } from './workflows/workflow.js'
export type { Workflow } from './workflows/workflow.js'

// Storage contracts, for a backend of your own, and the default SQLite store
export { SqliteStore } from './storage/sqlite.js'
export type { SqliteStoreOptions } from './storage/sqlite.js'
export type {
  CloneThreadArgs,
  ListMessagesQuery,
  ListThreadsQuery,
  MessageRole,
  MessageSearchHit,
  MessageSearchQuery,
  Page,
  Store,
  StoredMessage,
  StoredMessageContent,
  Thread,
  ThreadPatch,
  ThreadStore,
  WorkingMemoryScope,
  WorkingMemoryStore,
} from './storage/types.js'
export type {
  ClaimOptions,
  DeleteRunOutcome,
  HeldRun,
  LeaseRequest,
  ListWorkflowRunsQuery,
  RunRef,
  WorkflowRunCount,
  WorkflowRunRecord,
  WorkflowRunStatus,
  WorkflowRunStore,
} from './storage/workflow-runs.js'
// Renamed where the AI SDK exports the same name (`StepResult`), so an app can import both.
export type {
  ExecutionState,
  StepResult as WorkflowStepResult,
  StepStatus as WorkflowStepStatus,
  WorkflowSnapshot,
} from './storage/workflow-snapshot.js'
export type {
  AgentRunEvent,
  AgentRunExpectation,
  AgentRunKind,
  AgentRunPatch,
  AgentRunRecord,
  AgentRunStatus,
  AgentRunStep,
  AgentRunStore,
  AgentRunUsage,
  ListAgentRunsQuery,
  ModelPrice,
  PendingToolApproval,
  RunCost,
} from './storage/agent-runs.js'

// Observability
export type { FinishedRun, Pricing, RunObservability } from './agents/runs/observer.js'
export type { WorkflowRunFinish } from './workflows/run-finish.js'
