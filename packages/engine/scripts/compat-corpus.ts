/**
 * `pnpm compat`: the deployed-rules corpus (packages/engine/test/deployed) through the differential
 * harness, engine (isolation 'process') against the reference; prints each rule that differs and
 * the figure, identical / total. `--thread` measures isolation 'thread' instead; `--json` prints
 * the verdicts as JSON.
 */
import { missingPackages } from '../test/deployed/harness-case.js'
import { deployedSlugs, hasCase, loadRule } from '../test/deployed/harness.js'
import { guardMeasurement, measure, percent } from './compat-run.js'

const args = process.argv.slice(2)
const run = guardMeasurement()
const isolation = args.includes('--thread') ? 'thread' : 'process'
const slugs = deployedSlugs().filter(hasCase)
const all = slugs.map(loadRule)
const blocked = all.filter((rule) => missingPackages(rule.testCase).length > 0)
const verdicts = await measure(
  all.filter((rule) => !blocked.includes(rule)),
  {
    isolation,
    onRule: (v) => {
      if (args.includes('--json')) return
      if (v.identical) return void process.stdout.write(`identical  ${v.slug}\n`)
      process.stdout.write(`DIFFERS    ${v.slug}${v.known === undefined ? '' : ` (known: ${v.known})`}\n`)
      for (const d of v.differences) process.stdout.write(`    ${d.scenario}:\n      ${d.diff.split('\n').join('\n      ')}\n`)
    },
  },
)
const identical = verdicts.filter((v) => v.identical).length
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(verdicts, null, 2)}\n`)
for (const rule of blocked) process.stdout.write(`NOT RUN    ${rule.slug}: not installed in packages/engine: ${missingPackages(rule.testCase).join(', ')}\n`)
const total = verdicts.length + blocked.length
process.stdout.write(
  `\ndeployed corpus (isolation '${isolation}'): ${identical} / ${total} identical (${percent(identical, total)}); ` +
    `${blocked.length} not run (packages not installed), ${identical} / ${verdicts.length} of those run (${percent(identical, verdicts.length)})\n`,
)
run.measured()
