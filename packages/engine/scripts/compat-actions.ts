/**
 * The public post-login actions corpus (packages/engine/test/actions-corpus) through its
 * differential harness, engine (isolation 'process') against the reference; prints each action
 * that differs and the figure, identical / total. An action is identical when every scenario of
 * its case is. `--thread` measures isolation 'thread' instead; `--json` prints the verdicts as JSON.
 *
 *   pnpm compat:actions [-- --thread | --json]
 */
import { ActionCaseRunner, actionSlugs, hasActionCase, loadAction } from '../test/actions-corpus/harness.js'
import { guardMeasurement, measureWith, percent } from './compat-run.js'

const args = process.argv.slice(2)
const run = guardMeasurement()
const isolation = args.includes('--thread') ? 'thread' : 'process'
const actions = actionSlugs().filter(hasActionCase).map(loadAction)
const verdicts = await measureWith(
  actions,
  (action, fixture) => new ActionCaseRunner(action, fixture, { isolation }),
  (verdict) => {
    if (args.includes('--json')) return
    if (verdict.identical) process.stdout.write(`identical  ${verdict.slug}\n`)
    else {
      process.stdout.write(`DIFFERS    ${verdict.slug}${verdict.known === undefined ? '' : ` (known: ${verdict.known})`}\n`)
      for (const d of verdict.differences) process.stdout.write(`    ${d.scenario}:\n      ${d.diff.split('\n').join('\n      ')}\n`)
    }
  },
)
const identical = verdicts.filter((v) => v.identical).length
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(verdicts, null, 2)}\n`)
process.stdout.write(`\nactions corpus (isolation '${isolation}'): ${identical} / ${verdicts.length} identical (${percent(identical, verdicts.length)})\n`)
run.measured()
