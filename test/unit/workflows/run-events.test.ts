import { describe, expect, it } from 'vitest'
import type { WorkflowEvent } from '../../../src/workflows/events.js'
import { RunEventLogs } from '../../../src/workflows/run-events.js'

const event = (n: number): WorkflowEvent => ({ type: 'workflow-step-start', runId: 'r', from: 'WORKFLOW', payload: { n } })

async function drain(iterator: AsyncIterableIterator<WorkflowEvent>): Promise<number[]> {
  const seen: number[] = []
  for await (const e of iterator) seen.push(e.payload.n as number)
  return seen
}

describe('RunEventLogs', () => {
  it('replays from an offset, then follows live until the execution closes', async () => {
    const logs = new RunEventLogs()
    const log = logs.open('r')
    log.append(event(1))
    log.append(event(2))
    const follower = drain(logs.follow('r', 1))
    log.append(event(3))
    log.close()
    expect(await follower).toEqual([2, 3])
    expect(await drain(logs.follow('r', 0))).toEqual([1, 2, 3])
  })

  it('appends a later execution after the earlier one', async () => {
    const logs = new RunEventLogs()
    const first = logs.open('r')
    first.append(event(1))
    first.close()
    const second = logs.open('r')
    second.append(event(2))
    second.close()
    expect(await drain(logs.follow('r', 0))).toEqual([1, 2])
  })

  it('ends at once for a run it keeps nothing of', async () => {
    expect(await drain(new RunEventLogs().follow('unknown', 0))).toEqual([])
  })

  it('frees a follower that stops while waiting, without waiting for the next event', async () => {
    const logs = new RunEventLogs()
    const log = logs.open('r')
    const follower = logs.follow('r', 0)
    const pending = follower.next()
    await follower.return!()
    expect(await pending).toEqual({ value: undefined, done: true })
    log.append(event(1))
    expect(await follower.next()).toEqual({ value: undefined, done: true })
    log.close()
  })

  it('forgets a run once its retention ran out after the last execution', async () => {
    const logs = new RunEventLogs(10)
    const log = logs.open('r')
    log.append(event(1))
    log.close()
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(await drain(logs.follow('r', 0))).toEqual([])
  })

  it('keeps at most maxRuns ended runs, dropping the oldest ended first and never a live one', async () => {
    const logs = new RunEventLogs(60_000, 2)
    const live = logs.open('live')
    live.append(event(0))
    for (const runId of ['a', 'b', 'c']) {
      const log = logs.open(runId)
      log.append(event(1))
      log.close()
    }
    expect(logs.kept('a')).toBeUndefined()
    expect(logs.kept('b')).toEqual({ live: false })
    expect(logs.kept('c')).toEqual({ live: false })
    expect(logs.kept('live')).toEqual({ live: true })
    // A run executed again counts as ended when its new execution ends.
    const again = logs.open('b')
    again.close()
    const d = logs.open('d')
    d.close()
    expect(logs.kept('c')).toBeUndefined()
    expect([logs.kept('b'), logs.kept('d')]).toEqual([{ live: false }, { live: false }])
    live.close()
    expect(await drain(logs.follow('live', 0))).toEqual([0])
  })
})
