import { describe, expect, it } from 'vitest'
import { newId } from '../../../src/core/ids.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The Unix time in ms a UUIDv7 carries in its first 48 bits. */
const timeOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16)

describe('newId', () => {
  it('makes RFC 9562 version 7 UUIDs carrying the time they were made', () => {
    const before = Date.now()
    const id = newId()
    const after = Date.now()
    expect(id).toMatch(UUID_V7)
    expect(timeOf(id)).toBeGreaterThanOrEqual(before)
    expect(timeOf(id)).toBeLessThanOrEqual(after)
  })

  it('never repeats, across many pools of random bytes', () => {
    const ids = Array.from({ length: 20_000 }, newId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(UUID_V7)
  })

  it('sorts an id made in a later millisecond after an earlier one', async () => {
    const first = newId()
    const start = Date.now()
    while (Date.now() === start) await new Promise((resolve) => setTimeout(resolve, 1))
    const second = newId()
    expect(second > first).toBe(true)
    expect(timeOf(second)).toBeGreaterThan(timeOf(first))
  })

  it('spreads its random bits: every hex digit appears in every random position', () => {
    const ids = Array.from({ length: 4_000 }, () => newId().replace(/-/g, ''))
    // Positions 13–15 and 17–31 are random (12 is the version, 16 holds the variant bits).
    for (const position of [13, 14, 15, 17, 20, 25, 31]) {
      expect(new Set(ids.map((id) => id[position])).size).toBe(16)
    }
  })
})
