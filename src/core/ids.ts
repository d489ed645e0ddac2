import { randomFillSync } from 'node:crypto'

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
/** Random bytes for 64 ids at a time, as `crypto.randomUUID` pools its own. */
const POOL_IDS = 64
const pool = Buffer.alloc(POOL_IDS * 10)
let used = POOL_IDS

/**
 * A new UUIDv7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits. Ids made
 * later sort later, so the rows the kit keys by them (runs, their logs, threads, messages) are
 * appended at the end of their indexes instead of scattered across them: a write touches a few
 * pages, however large the table grows. The random bits keep them unguessable; ownership is
 * still checked on every read.
 *
 * @example newId() // '019ae3c2-5f1b-7a3e-9c41-0d2b6f8e7a10'
 */
export function newId(): string {
  if (used === POOL_IDS) {
    randomFillSync(pool)
    used = 0
  }
  const r = used++ * 10
  const ms = Date.now()
  const high = Math.floor(ms / 0x1000000)
  const low = ms % 0x1000000
  return (
    HEX[(high >>> 16) & 0xff] + HEX[(high >>> 8) & 0xff] + HEX[high & 0xff] + HEX[(low >>> 16) & 0xff] + '-' +
    HEX[(low >>> 8) & 0xff] + HEX[low & 0xff] + '-' +
    HEX[0x70 | (pool[r] & 0x0f)] + HEX[pool[r + 1]] + '-' +
    HEX[0x80 | (pool[r + 2] & 0x3f)] + HEX[pool[r + 3]] + '-' +
    HEX[pool[r + 4]] + HEX[pool[r + 5]] + HEX[pool[r + 6]] + HEX[pool[r + 7]] + HEX[pool[r + 8]] + HEX[pool[r + 9]]
  )
}
