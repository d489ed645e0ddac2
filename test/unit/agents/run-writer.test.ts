import { afterEach, describe, expect, it } from 'vitest'
import { RunLogWriter } from '../../../src/agents/runs/run-writer.js'
import type { AgentRunEvent, AgentRunExpectation, AgentRunPatch, AgentRunRecord, AgentRunStore } from '../../../src/storage/agent-runs.js'
import { SqliteStore } from '../../../src/storage/sqlite.js'
import { agentRun } from '../../contract/agent-runs.js'

const stores: SqliteStore[] = []
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
})

type Call = { op: 'create'; status: string; seqs: number[] } | { op: 'append'; seqs: number[] } | { op: 'transition'; status: string }

/** A real SQLite agent-run store that also notes every write it is asked for. */
function recordingStore(): { store: AgentRunStore; calls: Call[] } {
  const sqlite = new SqliteStore(':memory:')
  stores.push(sqlite)
  const inner = sqlite.agentRuns
  const calls: Call[] = []
  const store: AgentRunStore = {
    create(record: AgentRunRecord, events: AgentRunEvent[] = [], leaseMs?: number) {
      calls.push({ op: 'create', status: record.status, seqs: events.map((e) => e.seq) })
      return inner.create(record, events, leaseMs)
    },
    append(runId: string, events: AgentRunEvent[]) {
      calls.push({ op: 'append', seqs: events.map((e) => e.seq) })
      return inner.append(runId, events)
    },
    transition(runId: string, expect: AgentRunExpectation, patch: AgentRunPatch) {
      calls.push({ op: 'transition', status: patch.status })
      return inner.transition(runId, expect, patch)
    },
    get: (runId) => inner.get(runId),
    list: (query) => inner.list(query),
    events: (runId, after, limit) => inner.events(runId, after, limit),
    prune: (before) => inner.prune(before),
    renew: (runIds, leaseMs) => inner.renew(runIds, leaseMs),
    closeExpired: (error, limit, price) => inner.closeExpired(error, limit, price),
  }
  return { store, calls }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
}
const noHooks = { onLost: () => {}, report: (err: unknown) => { throw err } }

/** What the run does when it ends: the record holds the outcome, then the writer settles it. */
function finish(record: AgentRunRecord, writer: RunLogWriter, lastSeq: number) {
  record.status = 'success'
  record.finishedAt = new Date()
  record.lastSeq = lastSeq
  return writer.settle('running', { status: 'success', finishedAt: record.finishedAt })
}

describe('RunLogWriter', () => {
  it('stores a run that ends before its first write in one insert, finished, with its whole log', async () => {
    const { store, calls } = recordingStore()
    const record = agentRun('quick')
    const writer = new RunLogWriter(store, record, false, noHooks)
    for (let seq = 1; seq <= 3; seq++) writer.add({ seq, data: { n: seq } })
    expect(await finish(record, writer, 3)).toBe(true)
    expect(calls).toEqual([{ op: 'create', status: 'success', seqs: [1, 2, 3] }])
    // Its version counts the state change, as a transition would have.
    expect(await store.get('quick')).toMatchObject({ status: 'success', lastSeq: 3, version: 1 })
    expect((await store.events('quick', 0)).map((e) => e.seq)).toEqual([1, 2, 3])
  })

  it('stores a longer run on the next turn, then its events in batches, then its end', async () => {
    const { store, calls } = recordingStore()
    const record = agentRun('long')
    const writer = new RunLogWriter(store, record, false, { ...noHooks, flushMs: 300 })
    writer.add({ seq: 1, data: 'a' })
    // Stored within a few turns of the event loop, long before the flush interval.
    for (let i = 0; i < 5 && calls.length === 0; i++) await turn()
    await turn()
    expect(await store.get('long')).toMatchObject({ status: 'running', lastSeq: 1 })
    for (let seq = 2; seq <= 6; seq++) writer.add({ seq, data: seq })
    // Held for the flush interval: nothing more is written yet.
    await turn()
    expect(calls).toEqual([{ op: 'create', status: 'running', seqs: [1] }])
    await until(() => calls.length > 1)
    expect(calls.at(-1)).toEqual({ op: 'append', seqs: [2, 3, 4, 5, 6] })
    writer.add({ seq: 7, data: 7 })
    // Settling does not wait out the interval: the last batch goes at once, then the end.
    expect(await finish(record, writer, 7)).toBe(true)
    expect(calls.slice(2)).toEqual([{ op: 'append', seqs: [7] }, { op: 'transition', status: 'success' }])
    expect(await store.get('long')).toMatchObject({ status: 'success', lastSeq: 7, version: 1 })
    expect((await store.events('long', 0)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('stops writing and says so once the run was canceled elsewhere', async () => {
    const { store } = recordingStore()
    const record = agentRun('taken')
    let lost = 0
    const writer = new RunLogWriter(store, record, false, { onLost: () => lost++, report: noHooks.report, flushMs: 10 })
    for (let i = 0; i < 5 && !(await store.get('taken')); i++) await turn()
    expect(await store.transition('taken', { status: 'running' }, { status: 'canceled', finishedAt: new Date() })).toBe(true)
    writer.add({ seq: 1, data: 'late' })
    await until(() => lost > 0)
    expect(lost).toBe(1)
    expect(writer.lost).toBe(true)
    expect(await finish(record, writer, 1)).toBe(false)
    expect(await store.get('taken')).toMatchObject({ status: 'canceled' })
    expect(await store.events('taken', 0)).toEqual([])
  })
})
