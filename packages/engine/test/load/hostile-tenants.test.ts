/**
 * Load with hostile tenants, short enough for the normal suite (`pnpm soak` runs it for minutes):
 * six engines in one process, three of them hostile. Every normal run succeeds within its budget,
 * hostile runs fail with their typed error, recycles are counted, and memory is stable after the
 * warm-up.
 */
import { describe, expect, it } from 'vitest'
import { runLoad } from './scenario.js'

const DURATION_MS = Number(process.env.LOAD_MS ?? 8_000)

describe('load: hostile tenants beside normal ones', () => {
  it('normal tenants keep succeeding in budget; hostile ones fail typed; memory stays flat', async () => {
    // Tenants pause between runs here (hostile 300 ms, normal 5 ms), so that this test leaves CPU
    // to the suite's other worker, whose timing tests it would otherwise disturb; `pnpm soak` runs
    // them flat out.
    const report = await runLoad({ durationMs: DURATION_MS, sampleMs: 250, hostilePauseMs: 300, normalPauseMs: 5 })
    if (process.env.LOAD_REPORT !== undefined) (await import('node:fs')).writeFileSync(process.env.LOAD_REPORT, JSON.stringify(report, null, 1))
    const byName = Object.fromEntries(report.tenants.map((t) => [t.name, t]))
    for (const t of report.tenants) {
      expect(t.unexpected, `${t.name}: ${JSON.stringify(t.codes)}`).toEqual([])
      expect(t.runs, t.name).toBeGreaterThan(0)
      if (!t.hostile) {
        expect(t.ok, t.name).toBe(t.runs)
        // Budget 2 s; a normal run takes a few ms, even next to hostile tenants on 2 cores.
        expect(t.maxMs, t.name).toBeLessThan(2_000)
        expect(t.ok, t.name).toBeGreaterThan(20)
      }
      expect(t.stats?.runs, t.name).toBe(t.runs)
      expect(t.stats?.catastrophes, t.name).toBe(0)
    }
    // Every heap bomb costs its isolate; the pool replaces it and keeps the count.
    const bomb = byName['heap-bomb']
    expect(bomb?.codes['ERR_RULE_MEMORY_LIMIT'] ?? 0).toBeGreaterThan(0)
    expect(bomb?.stats?.recycled ?? 0).toBeGreaterThanOrEqual(bomb?.codes['ERR_RULE_MEMORY_LIMIT'] ?? 0)
    expect(bomb?.stats?.isolatesCreated).toBe(1 + (bomb?.stats?.recycled ?? 0))
    // Normal tenants never lose an isolate.
    for (const name of ['normal-a', 'normal-b', 'normal-c']) expect(byName[name]?.stats?.recycled, name).toBe(0)

    // Memory after warm-up (the first third): RSS and heap stay within generous bounds.
    const warm = report.samples.filter((s) => s.atMs >= DURATION_MS / 3)
    const first = warm[0]
    const peak = { rss: Math.max(...warm.map((s) => s.rssMb)), heap: Math.max(...warm.map((s) => s.heapUsedMb)) }
    expect(first).toBeDefined()
    expect(peak.rss - (first?.rssMb ?? 0), JSON.stringify(report.samples)).toBeLessThan(300)
    expect(peak.heap - (first?.heapUsedMb ?? 0), JSON.stringify(report.samples)).toBeLessThan(100)
  }, 60_000)
})
