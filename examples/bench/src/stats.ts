/** Small helpers for timings and memory. Nothing here asserts anything. */

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

export function summarize(samplesUs: number[]): { p50: number; p99: number; mean: number; n: number } {
  const sorted = [...samplesUs].sort((a, b) => a - b)
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, n: sorted.length }
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  )
}

const gc = (globalThis as { gc?: () => void }).gc

/** Collect garbage (when `--expose-gc`) and read the resident set size, in bytes. */
export async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return process.memoryUsage().rss
}

export const MB = 1024 * 1024

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
