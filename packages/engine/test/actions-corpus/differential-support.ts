/**
 * Shared body of the actions differential test files: one test per (action, scenario) of a slice
 * of the corpus, so that several files run the corpus in parallel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ActionCaseRunner,
  actionSlugs,
  describeDiff,
  hasActionCase,
  loadAction,
  matchesDeclaredDifference,
  startFixtureServer,
  type FixtureServer,
} from './harness.js'

/** The slugs of slice `index` of `count` (round robin over the sorted corpus). */
export function slice(index: number, count: number): string[] {
  return actionSlugs().filter((slug, i) => i % count === index && hasActionCase(slug))
}

export function actionsDifferentialSuite(slugs: readonly string[], isolation: 'process' | 'thread' = 'process'): void {
  let fixture: FixtureServer
  beforeAll(async () => {
    fixture = await startFixtureServer()
  })
  afterAll(async () => {
    await fixture.close()
  })
  for (const slug of slugs) {
    const action = loadAction(slug)
    describe(slug, () => {
      let runner: ActionCaseRunner
      beforeAll(() => {
        runner = new ActionCaseRunner(action, fixture, { isolation })
      })
      afterAll(async () => {
        await runner.close()
      })
      for (const scenario of action.testCase.scenarios) {
        const known = scenario.differs ?? action.testCase.differs
        it(known === undefined ? `${scenario.name}: identical` : `${scenario.name}: differs as declared (${known})`, async () => {
          const { diff, engine, reference } = await runner.run(scenario)
          const detail = `${describeDiff(diff)}\nengine notes: ${engine.notes.join('; ')}\nreference notes: ${reference.notes.join('; ')}`
          if (known === undefined) expect(diff, detail).toEqual([])
          else expect(matchesDeclaredDifference(action.testCase, diff), `expected the declared difference (${known}), got:\n${detail}`).toBe(true)
        })
      }
    })
  }
}
