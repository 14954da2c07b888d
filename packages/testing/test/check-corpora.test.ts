import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { analyzeRule } from '@tokenrules/testing'

// `tokenrules check` over every committed rule: the project's own corpus (29 rules) and the
// re-stated deployed rules (packages/engine/test/deployed). Each callback finding below was read
// against its rule and is true; anything else the check reports on these rules is a false positive.
// A new deployed rule with a real callback bug adds its line here, after review.
const CORPORA = ['../../engine/test/corpus/rules', '../../engine/test/deployed/rules'].map((dir) => fileURLToPath(new URL(dir, import.meta.url)))

const CALLBACK_FINDINGS: Record<string, string[]> = {
  // assignRolestoUser's callback calls back with the error and then, without a return, with success.
  'infas-default-role-on-signup.js': ['callback-twice 19:5'],
  // A login that is not from GitHub (or has no GitHub identity) falls off the end of the async rule.
  'moj-aws-sso-map-teams-to-roles.js': ['callback-not-reached 38:1'],
  // An empty users.getAll answer leaves the .then without calling back.
  'mozilla-account-linking-ldap-dev.js': ['callback-not-reached 53:5'],
  // The async.each completion calls back with loopErr and falls through to the success call (no
  // return); async.each never passes an error there, but the code calls back twice if it did.
  'mozilla-force-most-secure-login.js': ['callback-twice 82:11'],
  // A callback inside .map over two look-ups: two failures call back twice.
  'mozilla-link-users-by-email-ldap-primary.js': ['callback-in-loop 35:18'],
}

const CALLBACK_CODES = new Set([
  'callback-never-called',
  'callback-not-reached',
  'return-without-callback',
  'callback-twice',
  'callback-in-loop',
  'callback-after-return',
])

describe('tokenrules check over the committed corpora', () => {
  const files = CORPORA.flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.js'))
      .map((name) => ({ name, script: readFileSync(`${dir}/${name}`, 'utf8') })),
  )

  it('reads every rule (no syntax errors, each a function)', () => {
    expect(files.length).toBeGreaterThanOrEqual(29 + 60)
    const broken = files.flatMap(({ name, script }) =>
      analyzeRule({ name, script })
        .filter((f) => f.code === 'syntax-error' || f.code === 'not-a-function')
        .map((f) => `${name} ${f.code} ${f.message}`),
    )
    expect(broken).toEqual([])
  })

  it('reports exactly the reviewed callback bugs: no false positives', () => {
    const found: Record<string, string[]> = {}
    for (const { name, script } of files) {
      const callback = analyzeRule({ name, script })
        .filter((f) => CALLBACK_CODES.has(f.code))
        .map((f) => `${f.code} ${f.line}:${f.column}`)
      if (callback.length > 0) found[name] = callback
    }
    expect(found).toEqual(CALLBACK_FINDINGS)
  })
})
