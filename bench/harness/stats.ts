import { loadavg } from 'node:os'

export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Median with the smallest and largest value: how a figure from repeated runs is reported. */
export interface Spread {
  median: number
  min: number
  max: number
}

/** Of finite values only; NaN when there are none (a side that completed no request). */
export function spread(xs: number[]): Spread {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN }
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }
}

/** The machine's load average over 1, 5 and 15 minutes. */
export function loadAverage(): [number, number, number] {
  const [one, five, fifteen] = loadavg()
  return [one, five, fifteen]
}
