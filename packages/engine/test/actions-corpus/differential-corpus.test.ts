/** The public post-login actions corpus as a whole: its size, every action with a case, every action with its origin. */
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { actionSlugs, hasActionCase, loadAction } from './harness.js'

describe('public post-login actions corpus', () => {
  const slugs = actionSlugs()

  it('has at least 30 actions', () => {
    expect(slugs.length).toBeGreaterThanOrEqual(30)
  })

  it('gives every action a case with scenarios', () => {
    expect(
      slugs.filter((slug) => !hasActionCase(slug)),
      'actions without cases/<slug>.json',
    ).toEqual([])
    for (const slug of slugs) expect(loadAction(slug).testCase.scenarios.length, slug).toBeGreaterThan(0)
  })

  it('names the origin of every action: repository, path and 40-hex commit', () => {
    for (const slug of slugs) {
      const { origin } = loadAction(slug)
      expect(origin, `${slug}: an "Origin: github.com/<owner>/<repo> <path> @ <commit>" header`).toEqual({
        repository: expect.stringMatching(/^[\w.-]+\/[\w.-]+$/),
        path: expect.stringMatching(/\S/),
        commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      })
    }
  })

  it('exports onExecutePostLogin from every action', () => {
    for (const slug of slugs) expect(loadAction(slug).source, slug).toMatch(/exports\.onExecutePostLogin\s*=/)
  })

  it('has no case without its action', () => {
    const cases = readdirSync(new URL('./cases/', import.meta.url))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -5))
    expect(cases.filter((slug) => !slugs.includes(slug))).toEqual([])
  })

  it('explains every declared difference in a sentence', () => {
    for (const slug of slugs) {
      const { testCase } = loadAction(slug)
      for (const text of [testCase.differs, ...testCase.scenarios.map((s) => s.differs)])
        if (text !== undefined) expect(text.trim().length, `${slug}: "differs" says why`).toBeGreaterThan(10)
    }
  })
})
