/**
 * Shared by the compat scripts: run rules through the differential harness (engine and reference)
 * and sum them up. A rule is identical when every scenario of its case is.
 */
import { CaseRunner, describeDiff, startFixtureServer, type DifferentialResult, type FixtureServer, type LoadedRule } from '../test/deployed/harness.js'

export interface RuleVerdict {
  slug: string
  identical: boolean
  /** Per differing scenario: its name and the diff, one line per field. */
  differences: { scenario: string; diff: string; engineNotes: string[]; referenceNotes: string[] }[]
  /** The case's own explanation, when it declares a known difference. */
  known: string | undefined
}

/** What {@link measureWith} measures: a corpus entry whose case lists its scenarios. */
export interface Measurable<S extends { name: string; differs?: string | undefined }> {
  slug: string
  testCase: { differs?: string | undefined; scenarios: readonly S[] }
}

/** A differential runner of one entry's scenarios (`CaseRunner`, `ActionCaseRunner`). */
export interface ScenarioRunner<S> {
  run(scenario: S): Promise<DifferentialResult>
  close(): Promise<void>
}

/** Runs every scenario of every entry through the runner `open` makes for it, on one fixture server, and sums them up. */
export async function measureWith<S extends { name: string; differs?: string | undefined }, T extends Measurable<S>>(
  entries: readonly T[],
  open: (entry: T, fixture: FixtureServer) => ScenarioRunner<S>,
  onEntry?: (verdict: RuleVerdict) => void,
): Promise<RuleVerdict[]> {
  const fixture = await startFixtureServer()
  const verdicts: RuleVerdict[] = []
  try {
    for (const entry of entries) {
      const runner = open(entry, fixture)
      const verdict: RuleVerdict = {
        slug: entry.slug,
        identical: true,
        differences: [],
        known: entry.testCase.differs ?? entry.testCase.scenarios.find((s) => s.differs !== undefined)?.differs,
      }
      try {
        for (const scenario of entry.testCase.scenarios) {
          const { diff, engine, reference } = await runner.run(scenario)
          if (diff.length > 0) {
            verdict.identical = false
            verdict.differences.push({ scenario: scenario.name, diff: describeDiff(diff), engineNotes: engine.notes, referenceNotes: reference.notes })
          }
        }
      } finally {
        await runner.close()
      }
      verdicts.push(verdict)
      onEntry?.(verdict)
    }
  } finally {
    await fixture.close()
  }
  return verdicts
}

/** The rules of the deployed corpus (or the templates) through `CaseRunner`. */
export async function measure(
  rules: readonly LoadedRule[],
  options: { isolation?: 'process' | 'thread'; onRule?: (verdict: RuleVerdict) => void } = {},
): Promise<RuleVerdict[]> {
  return measureWith(rules, (rule, fixture) => new CaseRunner(rule, fixture, { isolation: options.isolation ?? 'process' }), options.onRule)
}

export function percent(part: number, total: number): string {
  return total === 0 ? 'n/a' : `${((100 * part) / total).toFixed(1)} %`
}

/**
 * The process guard of a compat script: a rule's work that fails after its run was compared (a
 * request it left running) is reported and does not stop the measurement; the script's own
 * failure before `measured()` ends it with exit code 1.
 */
export function guardMeasurement(): { measured(): void } {
  let measured = false
  process.on('exit', () => {
    if (!measured) {
      process.stderr.write('compat: stopped before the figure was measured\n')
      process.exitCode = 1
    }
  })
  process.on('uncaughtException', (error) => process.stderr.write(`late error of a rule's background work: ${String(error)}\n`))
  process.on('unhandledRejection', (error) => process.stderr.write(`late rejection of a rule's background work: ${String(error)}\n`))
  return {
    measured() {
      measured = true
    },
  }
}
