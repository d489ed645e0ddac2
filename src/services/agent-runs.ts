import type { AgentGenerateResult, AgentRunOptions } from '../agents/agent-types.js'
import type { Agent } from '../agents/agent.js'
import type { AgentRun } from '../agents/runs/agent-run.js'
import type { AgentRunLedger, RunScope } from '../agents/runs/ledger.js'
import type { RunEventEntry } from '../agents/runs/run-events.js'
import type { AbortSource } from '../core/abort.js'
import { conflict } from '../core/errors.js'
import type { RequestContext } from '../core/context.js'
import type { AgentRunRecord, AgentRunStatus } from '../storage/agent-runs.js'

/** Who acts on an agent run: the agent in the path and the caller's resource (undefined: unscoped). */
export type AgentRunCaller = RunScope

/** What continuing a run needs from the request that answered it. */
export interface ContinueOptions extends Omit<AgentRunOptions, 'runs'> {
  context?: RequestContext
  signal?: AbortSignal | AbortSource
}

export interface AgentRunList {
  threadId?: string
  status?: AgentRunStatus
  from?: Date
  to?: Date
  page: number
  perPage: number
}

type Decision = { approved: boolean; reason?: string }

/**
 * The runtime's agent runs as the run and approval routes serve them. Scoping lives in the
 * ledger: another agent's or resource's run answers exactly like a missing one, and every
 * state change (cancel, approve, decline) checks the owner in the same write.
 */
export class AgentRunService {
  readonly #ledger: AgentRunLedger
  readonly #agentOf: (agentId: string) => Agent
  readonly #lend: <O extends AgentRunOptions>(agent: Agent, options: O) => O

  /** `lend` is what the runtime adds to every call of an agent: its run ledger, store and error channel. */
  constructor(ledger: AgentRunLedger, agentOf: (agentId: string) => Agent, lend: <O extends AgentRunOptions>(agent: Agent, options: O) => O) {
    this.#ledger = ledger
    this.#agentOf = agentOf
    this.#lend = lend
  }

  list(caller: AgentRunCaller, query: AgentRunList): Promise<{ runs: AgentRunRecord[]; total: number }> {
    this.#agentOf(caller.agentId)
    return this.#ledger.list(caller, query)
  }

  get(caller: AgentRunCaller, runId: string): Promise<AgentRunRecord> {
    this.#agentOf(caller.agentId)
    return this.#ledger.find(caller, runId)
  }

  /**
   * Stops a run; one that waited for approvals leaves its waiting calls declined in memory.
   * `report` receives what the app's `onRunFinish` hook throws for a run that was not executing here.
   */
  async cancel(caller: AgentRunCaller, runId: string, report?: (err: unknown) => void): Promise<AgentRunRecord> {
    const agent = this.#agentOf(caller.agentId)
    const record = await this.#ledger.cancel(caller, runId, report)
    await agent.settleCanceled(record, this.#lend(agent, {}))
    return record
  }

  /** The run's events after `after`, then live ones; 404 (before any event) for a run the caller may not see. */
  async follow(caller: AgentRunCaller, runId: string, after: number): Promise<AsyncIterable<RunEventEntry>> {
    await this.get(caller, runId)
    return this.#ledger.follow(caller, runId, after)
  }

  /** The running turn of a chat from its start, then live; undefined when none runs. */
  async rejoinChat(caller: AgentRunCaller, chatId: string): Promise<AsyncIterable<RunEventEntry> | undefined> {
    this.#agentOf(caller.agentId)
    const running = await this.#ledger.runningOnThread(caller, chatId)
    if (!running) return undefined
    return this.#ledger.follow(caller, running.runId, await this.#ledger.turnStart(running.runId))
  }

  /** Stops a chat's running turn; undefined when none runs. */
  async stopChat(caller: AgentRunCaller, chatId: string, report?: (err: unknown) => void): Promise<AgentRunRecord | undefined> {
    this.#agentOf(caller.agentId)
    const running = await this.#ledger.runningOnThread(caller, chatId)
    return running ? this.cancel(caller, running.runId, report) : undefined
  }

  /** Runs waiting for a tool approval, newest first. */
  suspended(caller: AgentRunCaller, query: Omit<AgentRunList, 'status'>): Promise<{ runs: AgentRunRecord[]; total: number }> {
    return this.list(caller, { ...query, status: 'suspended' })
  }

  /**
   * Answers a waiting tool call and streams the run's continuation. While other calls of the
   * same step still wait, the answer is kept and the stream has nothing to say yet.
   */
  async answerStreaming(caller: AgentRunCaller, runId: string, toolCallId: string | undefined, decision: Decision, options: ContinueOptions): Promise<AsyncIterable<RunEventEntry>> {
    const { record, before, complete } = await this.#answer(caller, runId, toolCallId, decision)
    if (!complete) return this.#ledger.follow(caller, runId, record.lastSeq)
    const agent = this.#agentOf(caller.agentId)
    const run: AgentRun = await agent.continueStream({ record, before, answered: record.pendingApprovals }, this.#lend(agent, options))
    return run.events.follow(run.events.firstSeq - 1)
  }

  /** Answers a waiting tool call and returns the run's continuation as a generate result. */
  async answerGenerating(
    caller: AgentRunCaller,
    runId: string,
    toolCallId: string,
    decision: Decision,
    options: ContinueOptions,
  ): Promise<AgentGenerateResult | AgentRunRecord> {
    const { record, before, complete } = await this.#answer(caller, runId, toolCallId, decision)
    if (!complete) return record
    const agent = this.#agentOf(caller.agentId)
    return agent.continueGenerate({ record, before, answered: record.pendingApprovals }, this.#lend(agent, options))
  }

  /**
   * Closes now, as `failed`, the agent runs whose instance stopped (their lease expired),
   * instead of at the next sweep; resolves to how many this instance closed.
   */
  sweep(): Promise<number> {
    return this.#ledger.sweep()
  }

  /** Shutdown: see `AgentRunLedger.drain`. */
  drain(drainMs: number): Promise<void> {
    return this.#ledger.drain(drainMs)
  }

  close(): void {
    this.#ledger.close()
  }

  async #answer(caller: AgentRunCaller, runId: string, toolCallId: string | undefined, decision: Decision) {
    const stored = await this.get(caller, runId)
    if (stored.kind === 'chat') throw conflict(`Agent run ${runId} is a chat turn: answer it through /agents/${caller.agentId}/chat`)
    return this.#ledger.decide(caller, runId, toolCallId, decision)
  }
}
