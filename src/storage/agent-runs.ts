/** `running` may also be a run a dead process left behind; `suspended` waits for a tool approval. */
export type AgentRunStatus = 'running' | 'suspended' | 'success' | 'failed' | 'canceled'

export const AGENT_RUN_STATUSES = ['running', 'suspended', 'success', 'failed', 'canceled'] as const

export const FINISHED_AGENT_RUN_STATUSES: ReadonlySet<AgentRunStatus> = new Set(['success', 'failed', 'canceled'])

/** Which route started the run; it decides the format of the event log (Mastra chunks or UI message chunks). */
export type AgentRunKind = 'generate' | 'stream' | 'chat'

/** Token counts as the model reported them; fields it did not report are absent. */
export interface AgentRunUsage {
  inputTokens?: number
  outputTokens?: number
  totalTokens?: number
  reasoningTokens?: number
  cachedInputTokens?: number
}

/** Prices per million tokens of one model, in one currency. */
export interface ModelPrice {
  inputPerMillion: number
  outputPerMillion: number
  /** Cached input tokens, when the provider bills them differently (default: the input price). */
  cachedInputPerMillion?: number
  /** Reasoning tokens, when billed apart from output (default: billed as the output they are part of). */
  reasoningPerMillion?: number
  /** Default `USD`. */
  currency?: string
}

/** A run's estimated cost and what it was computed with: the price table's entry, or `function`. */
export interface RunCost {
  amount: number
  currency: string
  /** The pricing key that matched (`provider/modelId` or `modelId`), or `function`. */
  source: string
  price?: ModelPrice
}

/** One model call of the run. */
export interface AgentRunStep {
  finishReason: string
  usage: AgentRunUsage
}

/** A tool call that waits for a person; `decision` is set once answered. */
export interface PendingToolApproval {
  approvalId: string
  toolCallId: string
  toolName: string
  args: unknown
  decision?: { approved: boolean; reason?: string }
}

/** One stored agent run. `version` grows with every state change, for optimistic concurrency. */
export interface AgentRunRecord {
  runId: string
  agentId: string
  kind: AgentRunKind
  threadId: string | null
  resourceId: string | null
  status: AgentRunStatus
  model: { provider: string; modelId: string } | null
  steps: AgentRunStep[]
  usage: AgentRunUsage
  finishReason: string | null
  error: { message: string } | null
  pendingApprovals: PendingToolApproval[]
  /** What a suspended run needs to continue (messages so far, the reply's ids); opaque to the store. */
  state: Record<string, unknown> | null
  /** Estimated from the runtime's pricing once the run finished; null when unpriced. */
  cost: RunCost | null
  /** Milliseconds from the start of the run to its first text output; null before any (or for none). */
  timeToFirstTokenMs: number | null
  /** Sequence number of the newest stored event (0: none yet). */
  lastSeq: number
  version: number
  createdAt: Date
  updatedAt: Date
  finishedAt: Date | null
}

/** One entry of a run's event log: a chunk the run produced, numbered from 1. */
export interface AgentRunEvent {
  seq: number
  data: unknown
  /** `data` as JSON, once something (the SSE writer) serialized it: the store writes it as is. */
  json?: string
}

/** The fields a state change may set; absent fields keep their stored value. */
export type AgentRunPatch = Partial<
  Pick<AgentRunRecord, 'model' | 'steps' | 'usage' | 'finishReason' | 'error' | 'pendingApprovals' | 'state' | 'finishedAt' | 'cost' | 'timeToFirstTokenMs'>
> & {
  status: AgentRunStatus
  /** A run set running again (claimed to continue): its new lease, in ms from now by the store's clock. */
  leaseMs?: number
}

/** What a state change expects to find; it changes nothing when the stored run differs. */
export interface AgentRunExpectation {
  status: AgentRunStatus
  /** Only this resource's run. */
  owner?: string
  /** Only the run as it was read at this version. */
  version?: number
}

export interface ListAgentRunsQuery {
  agentId?: string
  resourceId?: string
  threadId?: string
  status?: AgentRunStatus
  /** Created at or after / before. */
  from?: Date
  to?: Date
  /** Zero-based. */
  page: number
  perPage: number
}

/**
 * The agent-run domain of the Store: run records and their append-only event logs. Every
 * status change goes through `transition`, a compare-and-set, so two requests (or two
 * instances) racing to approve or cancel one run agree on who won.
 *
 * A running run may hold a lease: an expiry its instance pushes forward (`renew`) while it
 * executes the run. A run whose lease expired was left behind by an instance that died (or
 * stalled); `closeExpired` ends it as failed. A run stored without a lease is never closed so.
 */
export interface AgentRunStore {
  /**
   * Inserts a run, with its first events (consecutive seqs up to `record.lastSeq`) in the same
   * write; throws a 409 HttpError when the id is taken. A run that finished before it was first
   * written is inserted finished, events and all, in this one write. With `leaseMs`, the run's
   * lease expires that many ms from now (by the store's clock).
   */
  create(record: AgentRunRecord, events?: AgentRunEvent[], leaseMs?: number): Promise<void>
  get(runId: string): Promise<AgentRunRecord | null>
  /** Newest first. */
  list(query: ListAgentRunsQuery): Promise<{ runs: AgentRunRecord[]; total: number }>
  /** Applies `patch` (and bumps `version`) only if the run matches `expect`; true when this call made the change. */
  transition(runId: string, expect: AgentRunExpectation, patch: AgentRunPatch): Promise<boolean>
  /**
   * Appends events (consecutive seqs after `lastSeq`) while the run is `running`, in one write
   * (stored as one batch: a run's log is a few rows, not one per chunk). False, with nothing
   * written, once the run is not running (canceled elsewhere).
   */
  append(runId: string, events: AgentRunEvent[]): Promise<boolean>
  /** Events with `seq > after`, oldest first, at most `limit`. */
  events(runId: string, after: number, limit?: number): Promise<AgentRunEvent[]>
  /** Deletes finished runs (and their events) that finished before `before`; returns how many. */
  prune(before: Date): Promise<number>
  /**
   * Extends to `leaseMs` from now (by the store's clock) the leases of those of `runIds` that
   * are still running, in one write; returns how many it extended.
   */
  renew(runIds: readonly string[], leaseMs: number): Promise<number>
  /**
   * Ends up to `limit` running runs whose lease expired (oldest expiry first) as `failed` with
   * `error`, `finishedAt` now and the cost `price` gives for each (default none), each in one
   * write guarded by its status, version and expiry, so each run is closed by exactly one of
   * the instances sweeping at once. Returns the runs this call closed, as stored. A suspended
   * run is never closed.
   */
  closeExpired(error: { message: string }, limit: number, price?: (record: AgentRunRecord) => RunCost | null): Promise<AgentRunRecord[]>
}
