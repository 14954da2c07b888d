/**
 * The `auth0` object: `auth0.users.updateAppMetadata` / `updateUserMetadata` call the
 * integrator's hooks and return promises; what was persisted is in `result.metadataUpdates`;
 * keys with '.' (or __proto__, constructor, prototype) and values that are not JSON fail the run
 * with ERR_RULE_RESULT_INVALID before the hook is called; a store that fails fails the run (no token on unsaved data);
 * `auth0.domain` / `auth0.baseUrl` come from the `auth0.domain` option.
 */
import { describe, expect, it, vi } from 'vitest'
import type { EngineOptions } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from '../helpers.js'
import { evaluate, failSnippet, runSnippet } from './support.js'

const USER_ID = 'auth0|5f7c8ec7c33c6c004bbafe82'
const GENERIC_500 = { status: 500, body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' } }

function hooks() {
  return {
    updateAppMetadata: vi.fn(async (_id: string, _m: Record<string, unknown>) => undefined),
    updateUserMetadata: vi.fn(async (_id: string, _m: Record<string, unknown>) => undefined),
  }
}

describe('auth0.users.updateAppMetadata / updateUserMetadata', () => {
  it('call the hooks with (userId, metadata), resolve with undefined, and are listed in result.metadataUpdates in order', async () => {
    const h = hooks()
    const result = await runSnippet(
      `var p = auth0.users.updateAppMetadata(user.user_id, { roles: ['admin'], plan: 'gold', quota: { seats: 5 } });
       var isPromise = p instanceof Promise;
       p.then(function (v) {
         return auth0.users.updateUserMetadata(user.user_id, { theme: 'light' }).then(function (w) { done([isPromise, v === undefined, w === undefined]); });
       }).catch(function (e) { done(describeError(e)); });`,
      { hooks: h },
    )
    expect(result.idToken.claims['https://t.example/out']).toEqual([true, true, true])
    expect(h.updateAppMetadata).toHaveBeenCalledTimes(1)
    expect(h.updateAppMetadata).toHaveBeenCalledWith(USER_ID, { roles: ['admin'], plan: 'gold', quota: { seats: 5 } })
    expect(h.updateUserMetadata).toHaveBeenCalledWith(USER_ID, { theme: 'light' })
    expect(result.metadataUpdates).toEqual([
      { userId: USER_ID, kind: 'app_metadata', metadata: { roles: ['admin'], plan: 'gold', quota: { seats: 5 } } },
      { userId: USER_ID, kind: 'user_metadata', metadata: { theme: 'light' } },
    ])
  })

  it('work with await in an async rule, and the rule continues only after the hook finished', async () => {
    const order: string[] = []
    const updateAppMetadata = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      order.push('persisted')
    })
    const result = await runSnippet(
      `(async function () {
         var started = Date.now();
         await auth0.users.updateAppMetadata(user.user_id, { n: 1 });
         hostLog('after await');
         done(Date.now() - started >= 40);
       })().catch(function (e) { done(describeError(e)); });`,
      { hooks: { updateAppMetadata }, globals: { hostLog: (s: string) => void order.push(s) } },
    )
    expect(result.idToken.claims['https://t.example/out']).toBe(true)
    expect(order).toEqual(['persisted', 'after await'])
  })

  it('the hook gets a copy: the rule changing its object afterwards changes nothing persisted', async () => {
    const h = hooks()
    const result = await runSnippet(
      `var md = { tags: ['a'], n: 1 };
       var p = auth0.users.updateAppMetadata(user.user_id, md);
       md.tags.push('b'); md.n = 2;
       p.then(function () { done(md); });`,
      { hooks: h },
    )
    expect(h.updateAppMetadata).toHaveBeenCalledWith(USER_ID, { tags: ['a'], n: 1 })
    expect(result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: { tags: ['a'], n: 1 } }])
    expect(result.idToken.claims['https://t.example/out']).toEqual({ tags: ['a', 'b'], n: 2 })
  })

  it('mutating user.app_metadata alone persists nothing', async () => {
    const h = hooks()
    const result = await runSnippet(`user.app_metadata.plan = 'platinum'; done('ok');`, { hooks: h })
    expect(h.updateAppMetadata).not.toHaveBeenCalled()
    expect(result.metadataUpdates).toEqual([])
    expect(result.user['app_metadata']).toEqual({ roles: ['admin'], plan: 'platinum' })
  })

  it('metadata with a Date and an undefined value persists as JSON (ISO string, key left out)', async () => {
    const h = hooks()
    const result = await runSnippet(
      `auth0.users.updateAppMetadata(user.user_id, { last_seen: new Date(0), trial: undefined, plan: 'gold' })
         .then(function () { done('ok'); }, function (e) { done(describeError(e)); });`,
      { hooks: h },
    )
    expect(result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: { last_seen: '1970-01-01T00:00:00.000Z', plan: 'gold' } }])
    expect(h.updateAppMetadata.mock.calls[0]?.[1]).toEqual({ last_seen: '1970-01-01T00:00:00.000Z', plan: 'gold' })
  })
})

describe("metadata keys containing '.'", () => {
  it.each([
    ['at the top', `{ 'prefs.theme': 'dark' }`, ['app_metadata', 'prefs.theme'], 'app_metadata["prefs.theme"]'],
    ['nested', `{ prefs: { 'ui.theme': 'dark' } }`, ['app_metadata', 'prefs', 'ui.theme'], 'app_metadata.prefs["ui.theme"]'],
    ['inside an array', `{ list: [{ ok: 1 }, { 'a.b': 2 }] }`, ['app_metadata', 'list', 1, 'a.b'], 'app_metadata.list[1]["a.b"]'],
  ])('fail the run %s with ERR_RULE_RESULT_INVALID naming the path, and the hook is not called', async (_where, metadata, keys, path) => {
    const h = hooks()
    const err = await failSnippet(
      `auth0.users.updateAppMetadata(user.user_id, ${metadata}).then(function () { done('persisted'); }, function (e) { done('caught'); });`,
      { hooks: h },
    )
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.keys).toEqual(keys)
    expect(err.path).toBe(path)
    expect(err.message).toBe(`auth0.users.updateAppMetadata: ${path} is a key containing '.', which Auth0 refuses in metadata.`)
    expect(err.rule).toBe('snippet')
    expect(h.updateAppMetadata).not.toHaveBeenCalled()
  })

  it('same for updateUserMetadata, even when the rule would catch the rejection', async () => {
    const h = hooks()
    const err = await failSnippet(
      `auth0.users.updateUserMetadata(user.user_id, { 'a.b': 1 }).then(function () { done('persisted'); }, function () { callback(null, user, context); });`,
      { hooks: h },
    )
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.keys).toEqual(['user_metadata', 'a.b'])
    expect(err.message).toBe(`auth0.users.updateUserMetadata: user_metadata["a.b"] is a key containing '.', which Auth0 refuses in metadata.`)
    expect(h.updateUserMetadata).not.toHaveBeenCalled()
  })

  it.each([
    ['a missing user id', `auth0.users.updateAppMetadata(undefined, { a: 1 })`],
    ['an array as metadata', `auth0.users.updateAppMetadata(user.user_id, [1, 2])`],
    ['a string as metadata', `auth0.users.updateAppMetadata(user.user_id, 'plan=gold')`],
  ])('%s is a rejected promise (TypeError), not a throw', async (_what, call) => {
    const h = hooks()
    const result = await evaluate(
      `var p; try { p = ${call}; } catch (e) { done('threw'); } p.then(function () { done('persisted'); }, function (e) { done(e instanceof TypeError); });`,
      { hooks: h },
    )
    expect(result).toBe(true)
    expect(h.updateAppMetadata).not.toHaveBeenCalled()
  })
})

describe('metadata keys that could pollute the host store', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('a key named %s never reaches the hook: the run fails with ERR_RULE_RESULT_INVALID at it', async (key) => {
    const received: Record<string, unknown>[] = []
    const err = await failSnippet(
      `var md = JSON.parse('{"${key}": {"polluted": true}, "plan": "gold"}');
         auth0.users.updateAppMetadata(user.user_id, md).then(function () { done('persisted'); }, function (e) { done('refused: ' + e.message); });`,
      { hooks: { updateAppMetadata: async (_id, metadata) => void received.push(metadata) } },
    )
    expect(err.code).toBe('ERR_RULE_RESULT_INVALID')
    expect(err.keys).toEqual(['app_metadata', key])
    expect(received).toEqual([])
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })
})

describe('a store that fails fails the run', () => {
  const failing = (): Partial<EngineOptions> => ({
    hooks: {
      updateAppMetadata: async () => {
        throw new Error('users database unavailable')
      },
    },
  })

  it('ERR_METADATA_UPDATE_FAILED (500), even though the rule catches the rejection and calls back', async () => {
    const seen: string[] = []
    const err = await failSnippet(
      `auth0.users.updateAppMetadata(user.user_id, { n: 1 }).catch(function () { seen('rule caught it'); callback(null, user, context); });`,
      { ...failing(), globals: { seen: (s: string) => void seen.push(s) } },
    )
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(err.message).toBe(`hooks.updateAppMetadata failed for ${USER_ID}: users database unavailable`)
    expect(err.rule).toBe('snippet')
    expect(err.toOAuthError()).toEqual(GENERIC_500)
    expect(seen).toEqual([])
  })

  it('a hook that throws synchronously is the same', async () => {
    const err = await failSnippet(`auth0.users.updateAppMetadata(user.user_id, { n: 1 }).then(function () { done('ok'); }, function () { done('caught'); });`, {
      hooks: {
        updateAppMetadata: () => {
          throw new Error('sync failure')
        },
      },
    })
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(err.message).toBe(`hooks.updateAppMetadata failed for ${USER_ID}: sync failure`)
  })

  it('later rules do not run', async () => {
    const later = vi.fn()
    await using engine = await engineWith(
      [
        rule(
          'persist',
          `auth0.users.updateAppMetadata(user.user_id, { n: 1 }).then(function () { callback(null, user, context); }, function () { callback(null, user, context); });`,
        ),
        rule('after', `later(); callback(null, user, context);`),
      ],
      { ...failing(), globals: { later } },
    )
    const err = await rejection(engine.run(passwordInput()))
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(err.rule).toBe('persist')
    expect(later).not.toHaveBeenCalled()
  })

  it.each([
    ['updateAppMetadata', 'app_metadata'],
    ['updateUserMetadata', 'user_metadata'],
  ])('no hooks.%s configured: ERR_METADATA_UPDATE_FAILED naming the option', async (method, kind) => {
    const err = await failSnippet(`auth0.users.${method}(user.user_id, { n: 1 }).then(function () { done('ok'); }, function () { done('caught'); });`)
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
    expect(err.message).toBe(`A rule updated ${kind}, but the engine has no hooks.${method} to persist it.`)
  })

  it('a rule that does not wait for the update (calls back at once) gets no token when the store fails', async () => {
    const err = await failSnippet(`auth0.users.updateAppMetadata(user.user_id, { n: 1 }); callback(null, user, context);`, {
      hooks: {
        updateAppMetadata: () =>
          new Promise((_resolve, reject) => {
            setTimeout(() => reject(new Error('write conflict')), 20)
          }),
      },
    })
    expect(err.code).toBe('ERR_METADATA_UPDATE_FAILED')
  })

  it('a rule that does not wait for the update still has it persisted and reported', async () => {
    const writes: unknown[] = []
    const result = await runSnippet(`auth0.users.updateAppMetadata(user.user_id, { n: 1 }); callback(null, user, context);`, {
      hooks: {
        updateAppMetadata: (id, metadata) =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              writes.push([id, metadata])
              resolve()
            }, 20)
          }),
      },
    })
    expect(writes).toEqual([[USER_ID, { n: 1 }]])
    expect(result.metadataUpdates).toEqual([{ userId: USER_ID, kind: 'app_metadata', metadata: { n: 1 } }])
  })
})

describe('auth0.domain and auth0.baseUrl', () => {
  it('come from the auth0.domain option', async () => {
    const result = await evaluate(`done([auth0.domain, auth0.baseUrl]);`, { auth0: { domain: 'login.acme.example' } })
    expect(result).toEqual(['login.acme.example', 'https://login.acme.example/api/v2'])
  })

  it('are undefined without it', async () => {
    expect(await evaluate(`done([typeof auth0, typeof auth0.domain, typeof auth0.baseUrl, typeof auth0.users.updateAppMetadata]);`)).toEqual([
      'object',
      'undefined',
      'undefined',
      'function',
    ])
  })
})
