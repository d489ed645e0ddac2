import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ErrorChannel, failureOf, markFailure, reportSafely, reportToStderr } from '../../../src/core/report.js'

const src = new URL('../../../src', import.meta.url).pathname

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  )
}

/** What was written to standard error while `run` ran. */
function stderrOf(run: () => void): string {
  let written = ''
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += String(chunk)
    return true
  })
  try {
    run()
  } finally {
    spy.mockRestore()
  }
  return written
}

describe('the error reporter', () => {
  afterEach(() => vi.restoreAllMocks())

  it('writes one block to standard error naming what failed, with the stack and the cause', () => {
    const err = new Error('model call failed', { cause: new Error('socket hang up') })
    const text = stderrOf(() => reportToStderr(err, { kind: 'agent', route: 'POST /agents/:agentId/stream', agentId: 'support', runId: 'r1' }))
    expect(text.split('\n')[0]).toBe('agentmount: agent failed (route=POST /agents/:agentId/stream agentId=support runId=r1)')
    expect(text).toContain('model call failed')
    expect(text).toContain('socket hang up')
    expect(text).toMatch(/at .*report\.test\.ts/)
  })

  it('delivers to every listener of a channel, and to standard error only while it has none', () => {
    const channel = new ErrorChannel()
    const err = new Error('run stopped')
    expect(stderrOf(() => channel.report(err, { kind: 'workflow-run', workflowId: 'w', runId: 'r' }))).toContain('run stopped')
    const seen: unknown[] = []
    const stop = channel.listen((e, info) => seen.push([e, info]))
    channel.listen((e) => seen.push(e))
    expect(stderrOf(() => channel.report(err, { kind: 'workflow-run' }))).toBe('')
    expect(seen).toEqual([[err, { kind: 'workflow-run' }], err])
    stop()
    seen.length = 0
    channel.report(err, { kind: 'tool' })
    expect(seen).toEqual([err])
  })

  it('falls back to standard error, with both errors, when the app’s reporter throws', () => {
    const text = stderrOf(() =>
      reportSafely(() => {
        throw new Error('logger offline')
      }, new Error('tool broke'), { kind: 'tool', toolId: 'weather' }),
    )
    expect(text).toContain('tool broke')
    expect(text).toContain('logger offline')
  })

  it('carries what failed on an error that is thrown on', () => {
    const err = markFailure(new Error('x'), { kind: 'agent', agentId: 'a', runId: 'r' })
    expect(failureOf(err)).toEqual({ kind: 'agent', agentId: 'a', runId: 'r' })
    expect(failureOf(new Error('y'))).toBeUndefined()
    expect(failureOf('text')).toBeUndefined()
  })

  it('is the only way src/ reports: no console calls anywhere in it', () => {
    const offenders = sourceFiles(src).filter((file) => /\bconsole\.(log|error|warn|info|debug|trace)\s*\(/.test(readFileSync(file, 'utf8')))
    expect(offenders).toEqual([])
  })
})
