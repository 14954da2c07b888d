/**
 * Class 11 (SANDBOX-NOTES.md), built-in methods replaced: the engine's own checks call only the
 * intrinsics it captured before any rule ran, so a rule that replaces `String.prototype.indexOf`,
 * `String.prototype.replace` (or any other built-in) changes none of their answers.
 */
import { describe, expect, it, vi } from 'vitest'
import { engineWith, passwordInput, rule } from '../helpers.js'
import { OUT, RESOLVE_FROM, snippet } from '../modules/support.js'

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'

function hooks() {
  return { updateAppMetadata: vi.fn(async (_id: string, _m: Record<string, unknown>) => undefined) }
}

async function observe(body: string, options: Parameters<typeof engineWith>[1]) {
  await using engine = await engineWith([rule('snippet', snippet(body))], options)
  return await engine.run(passwordInput())
}

describe('the metadata key check with String.prototype.indexOf replaced', () => {
  const update = (metadata: string) =>
    `auth0.users.updateAppMetadata(user.user_id, ${metadata}).then(function () { done('persisted'); }, function (e) { done(e.message); });`

  it("an indexOf that never finds '.' does not let a dotted key through", async () => {
    const h = hooks()
    const result = await observe(`String.prototype.indexOf = function () { return -1; }; ${update(`{ 'prefs.theme': 'dark' }`)}`, { hooks: h })
    expect(result.idToken.claims[OUT]).toBe(
      "auth0.users.updateAppMetadata: metadata keys must not contain '.' nor be __proto__, constructor or prototype ('prefs.theme').",
    )
    expect(h.updateAppMetadata).not.toHaveBeenCalled()
  })

  it("an indexOf that always finds '.' does not refuse a plain key", async () => {
    const h = hooks()
    const result = await observe(`String.prototype.indexOf = function () { return 0; }; ${update(`{ plan: 'gold' }`)}`, { hooks: h })
    expect(result.idToken.claims[OUT]).toBe('persisted')
    expect(h.updateAppMetadata).toHaveBeenCalledWith(USER_ID, { plan: 'gold' })
  })
})

describe("require's version check with String.prototype.replace, lastIndexOf and RegExp.prototype.exec replaced", () => {
  const modules = { packages: ['lodash'], resolveFrom: RESOLVE_FROM }

  it.each([
    ['String.prototype.replace', `String.prototype.replace = function () { throw new Error('replaced replace'); };`],
    ['String.prototype.lastIndexOf', `String.prototype.lastIndexOf = function () { return -1; };`],
    ['RegExp.prototype.exec', `RegExp.prototype.exec = function () { return null; };`],
  ])('%s: a range of the installed major is satisfied (no mismatch warning), another major still refused', async (_name, replace) => {
    // lodash itself calls String.prototype.replace as it loads: load it first, then replace.
    const result = await observe(
      `var loaded = require('lodash'); ${replace}
       var again = require('lodash@^4.0.0');
       var old = '3.10.1'; var refused; try { require('lodash@' + old); refused = false; } catch (e) { refused = e.code; }
       done([again === loaded, refused]);`,
      { modules },
    )
    expect(result.idToken.claims[OUT]).toEqual([true, 'ERR_MODULE_NOT_ALLOWED'])
    expect(result.warnings).toEqual([])
  })
})
