/**
 * Auth0's legacy globals: deployed rules call `_.find(…)`, `async.each(…)` and `jwt.sign(…)` without
 * a require, as Auth0's rules sandbox provided them. Each is the allowed module itself.
 */
import { describe, expect, it } from 'vitest'
import { evaluate, RESOLVE_FROM } from './support.js'

// A generous deadline: the first read evaluates lodash's bundle, slow on a loaded machine.
const WITH = { modules: { packages: ['lodash', 'async'], resolveFrom: RESOLVE_FROM, crypto: true }, limits: { timeoutMs: 15_000 } }

describe('the legacy globals _, async and jwt', () => {
  it('are the allowed lodash, async and jsonwebtoken, as require gives them', async () => {
    const seen = await evaluate(
      `done([_ === require('lodash'), async === require('async'), jwt === require('jsonwebtoken'),
             _.find([{ id: 1 }, { id: 2 }], { id: 2 }).id, typeof async.each, typeof jwt.sign])`,
      WITH,
    )
    expect(seen).toEqual([true, true, true, 2, 'function', 'function'])
  })

  it('work as deployed rules use them: async.each with a callback, jwt.sign and verify', async () => {
    const seen = await evaluate(
      `var out = [];
       async.each(['a', 'b'], function (x, next) { out.push(x.toUpperCase()); setTimeout(next, 1); }, function (err) {
         var token = jwt.sign({ sub: 'auth0|1' }, 'secret', { noTimestamp: true });
         done([err === null || err === undefined, out, jwt.verify(token, 'secret').sub]);
       });`,
      WITH,
    )
    expect(seen).toEqual([true, ['A', 'B'], 'auth0|1'])
  })

  it('are absent when the module is not allowed, so a rule fails as it would without it', async () => {
    const seen = await evaluate(`done([typeof _, typeof async, typeof jwt])`, { modules: { packages: [], resolveFrom: RESOLVE_FROM } })
    expect(seen).toEqual(['undefined', 'undefined', 'undefined'])
  })

  it('load nothing until a rule reads them, and a rule may assign its own', async () => {
    const seen = await evaluate(`var mine = { find: function () { return 'mine'; } }; _ = mine; done([_ === mine, _.find()])`, WITH)
    expect(seen).toEqual([true, 'mine'])
  })
})
