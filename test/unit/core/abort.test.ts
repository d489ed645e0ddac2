import { describe, expect, it } from 'vitest'
import { ABORTED, AbortRaces } from '../../../src/core/abort.js'

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
