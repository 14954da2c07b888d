/**
 * Long soak of the load scenario (packages/engine/test/load/scenario.ts): six tenants' engines,
 * three hostile, flat out for SOAK_SECONDS (default 180), printing heap and RSS (after a forced GC)
 * and each tenant's counters every SOAK_SAMPLE_SECONDS (default 10). Stops by itself; exits 1 when
 * a normal run failed or was slow, a hostile run ended untyped, or memory grew after warm-up (the
 * first fifth) by more than SOAK_MAX_GROWTH_MB (default 150) of RSS.
 *
 *   pnpm soak                      # 3 minutes
 *   SOAK_SECONDS=1800 pnpm soak    # 30 minutes
 */
import { runLoad, type TenantReport } from '../test/load/scenario.js'

const seconds = Number(process.env.SOAK_SECONDS ?? 180)
const sampleSeconds = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10)
const maxGrowthMb = Number(process.env.SOAK_MAX_GROWTH_MB ?? 150)

const counters = (reports: TenantReport[]) => reports.map((t) => `${t.name}=${t.runs}${t.hostile ? '' : ` ok=${t.ok}`}`).join(' ')

process.stdout.write(`soak: ${seconds} s, 6 engines (3 hostile), sample every ${sampleSeconds} s, Node ${process.version}\n`)
process.stdout.write('     t(s)  heapUsed(MB)  rss(MB)  runs\n')
const report = await runLoad({
  durationMs: seconds * 1000,
  sampleMs: sampleSeconds * 1000,
  onSample: (s, reports) =>
    process.stdout.write(
      `${String(Math.round(s.atMs / 1000)).padStart(9)}  ${String(s.heapUsedMb).padStart(12)}  ${String(s.rssMb).padStart(7)}  ${counters(reports)}\n`,
    ),
})

let failed = false
process.stdout.write('\ntenant        runs     ok  maxMs  codes  stats\n')
for (const t of report.tenants) {
  process.stdout.write(
    `${t.name.padEnd(12)} ${String(t.runs).padStart(6)} ${String(t.ok).padStart(6)} ${String(t.maxMs).padStart(6)}  ${JSON.stringify(t.codes)}  ${JSON.stringify(t.stats)}\n`,
  )
  if (t.unexpected.length > 0) {
    failed = true
    process.stdout.write(`  UNEXPECTED: ${t.unexpected.join(' | ')}\n`)
  }
  if (!t.hostile && (t.ok !== t.runs || t.maxMs >= 2_000)) failed = true
}
const warm = report.samples.filter((s) => s.atMs >= (seconds * 1000) / 5)
const base = warm[0]
const last = report.samples[report.samples.length - 1]
if (base !== undefined && last !== undefined) {
  const rssGrowth = Math.round((Math.max(...warm.map((s) => s.rssMb)) - base.rssMb) * 10) / 10
  const heapGrowth = Math.round((last.heapUsedMb - base.heapUsedMb) * 10) / 10
  process.stdout.write(
    `\nafter warm-up (t=${Math.round(base.atMs / 1000)} s): rss ${base.rssMb} → peak +${rssGrowth} MB, end ${last.rssMb} MB; heap ${base.heapUsedMb} → ${last.heapUsedMb} MB (${heapGrowth >= 0 ? '+' : ''}${heapGrowth})\n`,
  )
  if (rssGrowth > maxGrowthMb) failed = true
}
process.stdout.write(failed ? 'soak: FAILED\n' : 'soak: ok\n')
process.exitCode = failed ? 1 : 0
