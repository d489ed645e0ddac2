import { describe, expect, it } from 'vitest'
import { ABORTED, AbortRaces, linkAbort, type AbortSource } from '../../../src/core/abort.js'

/** An AbortSignal that counts the abort listeners it holds. */
function countingSignal(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController()
  let count = 0
  const add = controller.signal.addEventListener.bind(controller.signal)
  const remove = controller.signal.removeEventListener.bind(controller.signal)
  controller.signal.addEventListener = ((type: string, listener: any, options?: any) => {
    if (type === 'abort') count++
    add(type, listener, options)
  }) as AbortSignal['addEventListener']
  controller.signal.removeEventListener = ((type: string, listener: any, options?: any) => {
    if (type === 'abort') count--
    remove(type, listener, options)
  }) as AbortSignal['removeEventListener']
  return { controller, listeners: () => count }
}

describe('AbortRaces', () => {
  it('settles each race like its work, with one listener for all of them', async () => {
    const { controller, listeners } = countingSignal()
    const races = new AbortRaces(controller.signal)
    for (let i = 0; i < 100; i++) expect(await races.race(async () => i)).toBe(i)
    await expect(races.race(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(listeners()).toBe(1)
    races.dispose()
    expect(listeners()).toBe(0)
  })

  it('answers ABORTED at once when the signal fires during a race, and for every race after', async () => {
    const controller = new AbortController()
    const races = new AbortRaces(controller.signal)
    const never = races.race(() => new Promise<number>(() => {}))
    controller.abort()
    expect(await never).toBe(ABORTED)
    let started = false
    expect(await races.race(async () => (started = true))).toBe(ABORTED)
    expect(started).toBe(false)
    races.dispose()
  })

  it('adds no listener to a signal that already fired', async () => {
    const { controller, listeners } = countingSignal()
    controller.abort()
    const races = new AbortRaces(controller.signal)
    expect(listeners()).toBe(0)
    expect(await races.race(async () => 1)).toBe(ABORTED)
  })
})

describe('linkAbort', () => {
  it('lets a source that is not an AbortSignal link the controller itself, and unlink it', () => {
    const linked: AbortController[] = []
    const source: AbortSource = {
      aborted: false,
      link(target) {
        linked.push(target)
        return () => linked.splice(linked.indexOf(target), 1)
      },
    }
    const target = new AbortController()
    const unlink = linkAbort(source, target)
    expect(linked).toEqual([target])
    linked[0].abort()
    expect(target.signal.aborted).toBe(true)
    unlink()
    expect(linked).toEqual([])
  })

  it('aborts the target with the signal’s reason, and leaves no listener once unlinked', () => {
    const { controller, listeners } = countingSignal()
    const target = new AbortController()
    const unlink = linkAbort(controller.signal, target)
    expect(listeners()).toBe(1)
    unlink()
    expect(listeners()).toBe(0)
    linkAbort(controller.signal, target)
    controller.abort('gone')
    expect(target.signal.reason).toBe('gone')
  })
})
