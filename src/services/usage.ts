import type { AgentRunRecord, AgentRunStore } from '../storage/agent-runs.js'

export type UsageGroupBy = 'agent' | 'model' | 'resource' | 'day'

export interface UsageQuery {
  from?: Date
  to?: Date
  agentId?: string
  /** `provider/modelId` or a bare `modelId`. */
  model?: string
  groupBy?: UsageGroupBy
}

/** The figures of a set of runs. Cost is summed per currency; durations are of finished runs. */
export interface UsageFigures {
  runs: number
  errors: number
  inputTokens: number
  outputTokens: number
  reasoningTokens: number
  cachedInputTokens: number
  totalTokens: number
  cost: Record<string, number>
  /** Runs with a price (the others have no entry in the pricing option). */
  pricedRuns: number
  durationMs: { p50: number | null; p95: number | null }
}

export interface UsageReport {
  from: string | null
  to: string | null
  groupBy: UsageGroupBy | null
  total: UsageFigures
  groups: Array<{ key: string } & UsageFigures>
}

const PAGE = 500

function modelKey(run: AgentRunRecord): string {
  return run.model ? `${run.model.provider}/${run.model.modelId}` : 'unknown'
}

function keyOf(run: AgentRunRecord, groupBy: UsageGroupBy): string {
  switch (groupBy) {
    case 'agent':
      return run.agentId
    case 'model':
      return modelKey(run)
    case 'resource':
      return run.resourceId ?? 'none'
    case 'day':
      return run.createdAt.toISOString().slice(0, 10)
  }
}

/** The value at quantile `q` of sorted numbers (nearest rank), or null for none. */
function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

class Tally {
  readonly figures: Omit<UsageFigures, 'durationMs'> = {
    runs: 0, errors: 0, inputTokens: 0, outputTokens: 0, reasoningTokens: 0, cachedInputTokens: 0, totalTokens: 0, cost: {}, pricedRuns: 0,
  }
  readonly #durations: number[] = []

  add(run: AgentRunRecord): void {
    const f = this.figures
    f.runs += 1
    if (run.status === 'failed') f.errors += 1
    f.inputTokens += run.usage.inputTokens ?? 0
    f.outputTokens += run.usage.outputTokens ?? 0
    f.reasoningTokens += run.usage.reasoningTokens ?? 0
    f.cachedInputTokens += run.usage.cachedInputTokens ?? 0
    f.totalTokens += run.usage.totalTokens ?? (run.usage.inputTokens ?? 0) + (run.usage.outputTokens ?? 0)
    if (run.cost) {
      f.pricedRuns += 1
      f.cost[run.cost.currency] = (f.cost[run.cost.currency] ?? 0) + run.cost.amount
    }
    if (run.finishedAt) this.#durations.push(run.finishedAt.getTime() - run.createdAt.getTime())
  }

  result(): UsageFigures {
    const sorted = this.#durations.sort((a, b) => a - b)
    return { ...this.figures, durationMs: { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) } }
  }
}

/**
 * Usage and cost aggregated from the agent run records, for one caller: a scoped caller sees
 * only its resource's runs, whatever it asks for.
 */
export class UsageService {
  readonly #store: () => AgentRunStore

  constructor(store: () => AgentRunStore) {
    this.#store = store
  }

  async report(resourceId: string | undefined, query: UsageQuery): Promise<UsageReport> {
    const total = new Tally()
    const groups = new Map<string, Tally>()
    const store = this.#store()
    for (let page = 0; ; page++) {
      const { runs } = await store.list({ agentId: query.agentId, resourceId, from: query.from, to: query.to, page, perPage: PAGE })
      for (const run of runs) {
        if (query.model !== undefined && modelKey(run) !== query.model && run.model?.modelId !== query.model) continue
        total.add(run)
        if (query.groupBy) {
          const key = keyOf(run, query.groupBy)
          let tally = groups.get(key)
          if (!tally) groups.set(key, (tally = new Tally()))
          tally.add(run)
        }
      }
      if (runs.length < PAGE) break
    }
    return {
      from: query.from?.toISOString() ?? null,
      to: query.to?.toISOString() ?? null,
      groupBy: query.groupBy ?? null,
      total: total.result(),
      groups: [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, tally]) => ({ key, ...tally.result() })),
    }
  }
}
