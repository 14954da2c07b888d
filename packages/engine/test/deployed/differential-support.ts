/**
 * Shared body of the differential test files: one test per (rule, scenario) of a slice of the
 * corpus, so that several files run the corpus in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { missingPackages } from './harness-case.js'
import { CaseRunner, deployedSlugs, describeDiff, hasCase, loadRule, matchesKnownDifference, startFixtureServer, type FixtureServer } from './harness.js'

/** The slugs of slice `index` of `count` (round robin over the sorted corpus). */
export function slice(index: number, count: number): string[] {
  return deployedSlugs().filter((slug, i) => i % count === index && hasCase(slug))
}

export function differentialSuite(slugs: readonly string[], isolation: 'process' | 'thread' = 'process', side: 'engine' | 'loadRule' = 'engine'): void {
  let fixture: FixtureServer
  beforeAll(async () => {
    fixture = await startFixtureServer()
  })
  afterAll(async () => {
    await fixture.close()
  })
  for (const slug of slugs) {
    const rule = loadRule(slug)
    describe(slug, () => {
      let runner: CaseRunner
      beforeAll(() => {
        runner = new CaseRunner(rule, fixture, { isolation, side })
      })
      afterAll(async () => {
        await runner.close()
      })
      for (const scenario of rule.testCase.scenarios) {
        const known = scenario.differs ?? rule.testCase.differs
        it(known === undefined ? `${scenario.name}: identical` : `${scenario.name}: differs as described (${known})`, async () => {
          const missing = missingPackages(rule.testCase)
          expect(missing, `${slug} needs packages installed in packages/engine (its devDependencies), at the major version it pins`).toEqual([])
          const { diff, engine, reference } = await runner.run(scenario)
          const detail = `${describeDiff(diff)}\nengine notes: ${engine.notes.join('; ')}\nreference notes: ${reference.notes.join('; ')}`
          if (known === undefined) expect(diff, detail).toEqual([])
          else expect(matchesKnownDifference(rule.testCase, diff), `expected the known difference (${known}), got:\n${detail}`).toBe(true)
        })
      }
    })
  }
}
