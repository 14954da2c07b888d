/** The deployed corpus as a whole: its size, every rule with a case, every rule with its origin. */
import { describe, expect, it } from 'vitest'
import { deployedSlugs, hasCase, loadRule } from './harness.js'

describe('deployed-rules corpus', () => {
  const slugs = deployedSlugs()

  it('has at least 60 rules', () => {
    expect(slugs.length).toBeGreaterThanOrEqual(60)
  })

  it('gives every rule a case with scenarios', () => {
    const missing = slugs.filter((slug) => !hasCase(slug))
    expect(missing, 'rules without cases/<slug>.json').toEqual([])
    for (const slug of slugs) expect(loadRule(slug).testCase.scenarios.length, slug).toBeGreaterThan(0)
  })

  it('names the origin of every rule: repository, path and 40-hex commit', () => {
    const without = slugs.filter((slug) => loadRule(slug).origin === undefined)
    expect(without, 'rules without an "Origin: github.com/<owner>/<repo> <path> @ <commit>" header').toEqual([])
  })

  it('has no case without its rule', async () => {
    const { readdirSync } = await import('node:fs')
    const cases = readdirSync(new URL('./cases/', import.meta.url))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
    expect(cases.filter((slug) => !slugs.includes(slug))).toEqual([])
  })

  it('explains every known difference in one or two sentences', () => {
    for (const slug of slugs) {
      const { testCase } = loadRule(slug)
      for (const text of [testCase.differs, ...testCase.scenarios.map((s) => s.differs)]) {
        if (text !== undefined) expect(text.trim().length, `${slug}: "differs" says why`).toBeGreaterThan(10)
      }
    }
  })
})
