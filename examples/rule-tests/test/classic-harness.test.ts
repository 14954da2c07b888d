// A suite written for the classic `loadRule(name, globals, stubs)` harness of Auth0 rule projects.
// Only its import of `loadRule` changed (see ./utils/load-rule.ts).
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { makeContext, makeUser, UnauthorizedError } from '@tokenrules/testing/vitest'
import { loadRule } from './utils/load-rule.js'
import { configuration } from './settings.js'

describe('deny-unverified-email', () => {
  let rule: ReturnType<typeof loadRule>

  beforeEach(() => {
    rule = loadRule('deny-unverified-email', {}, {})
  })

  it('calls back with an UnauthorizedError for unverified database users', async () => {
    await rule(makeUser({ email_verified: false }), makeContext(), (err: Error, user: unknown, context: unknown) => {
      expect(err).toBeInstanceOf(UnauthorizedError)
      expect(err.message).toBe('Please verify your email before logging in.')
      expect(user).toBeUndefined()
      expect(context).toBeUndefined()
    })
  })

  it('passes the same user and context on', async () => {
    const user = makeUser()
    const context = makeContext()
    await rule(user, context, (err: Error | null, u: unknown, c: unknown) => {
      expect(err).toBeNull()
      expect(u).toBe(user)
      expect(c).toBe(context)
    })
  })
})

describe('enrich-from-crm', () => {
  let globals: { configuration: Record<string, string> }
  let stubs: { request: { get: ReturnType<typeof vi.fn> } }
  let rule: ReturnType<typeof loadRule>

  beforeEach(() => {
    globals = { configuration: { ...configuration } }
    stubs = { request: { get: vi.fn() } }
    rule = loadRule('enrich-from-crm', globals, stubs)
  })

  it('adds the tier the CRM returns', async () => {
    stubs.request.get.mockImplementation((_options: unknown, cb: (...args: unknown[]) => void) => cb(null, { statusCode: 200 }, { tier: 'silver' }))
    const context = makeContext()
    await rule(makeUser(), context, (err: Error | null) => {
      expect(err).toBeNull()
      // The rule wrote into the test's own context object, as with the old harness.
      expect(context.idToken['https://acme.example/customer_tier']).toBe('silver')
    })
    expect(stubs.request.get.mock.calls[0]?.[0]).toMatchObject({ headers: { authorization: 'Bearer crm-token' } })
  })

  it('uses a stub replaced after loading the rule', async () => {
    stubs.request.get = vi.fn((_options: unknown, cb: (...args: unknown[]) => void) => cb(null, { statusCode: 500 }, null))
    const [err, , context] = await rule(makeUser(), makeContext())
    expect(err).toBeNull()
    expect(context).not.toHaveClaim('idToken', 'https://acme.example/customer_tier')
    expect(stubs.request.get).toHaveBeenCalledTimes(1)
  })
})

describe('record-first-login', () => {
  let globals: { auth0: { users: { updateAppMetadata: ReturnType<typeof vi.fn> } } }
  let rule: ReturnType<typeof loadRule>

  beforeEach(() => {
    globals = { auth0: { users: { updateAppMetadata: vi.fn().mockResolvedValue(undefined) } } }
    rule = loadRule('record-first-login', globals, {})
  })

  it('saves first_login_at through the auth0 object the test provides', async () => {
    const user = makeUser()
    await rule(user, makeContext(), (err: Error | null, u: { app_metadata: Record<string, unknown> }) => {
      expect(err).toBeNull()
      expect(u.app_metadata.first_login_at).toBe('2025-01-15T09:30:00.000Z')
    })
    expect(globals.auth0.users.updateAppMetadata).toHaveBeenCalledWith(user.user_id, { first_login_at: '2025-01-15T09:30:00.000Z' })
  })

  it('calls back with the store’s error', async () => {
    globals.auth0.users.updateAppMetadata.mockRejectedValue(new Error('store unavailable'))
    const [err] = await rule(makeUser(), makeContext())
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toBe('store unavailable')
  })
})

describe('entitlements-api', () => {
  it('caches the billing token in `global` between calls of the loaded rule', async () => {
    const stubs = {
      request: {
        post: vi.fn((_o: unknown, cb: (...a: unknown[]) => void) => cb(null, { statusCode: 200 }, { access_token: 'm2m', expires_in: 3600 })),
        get: vi.fn((_o: unknown, cb: (...a: unknown[]) => void) => cb(null, { statusCode: 200 }, { entitlements: ['reports'] })),
      },
    }
    const rule = loadRule('entitlements-api', { configuration, global: {} }, stubs)
    await rule(makeUser(), makeContext())
    const [err, , context] = await rule(makeUser(), makeContext())
    expect(err).toBeNull()
    expect(context).toHaveClaim('accessToken', 'https://acme.example/entitlements', ['reports'])
    expect(stubs.request.post).toHaveBeenCalledTimes(1)
    expect(stubs.request.get).toHaveBeenCalledTimes(2)
  })
})

describe('scopes-from-roles', () => {
  it('leaves the scopes as the rule set them (an array, before the engine normalizes it)', async () => {
    const rule = loadRule('scopes-from-roles', {}, {})
    const context = makeContext({ request: { body: { scope: 'openid write:reports' } } })
    const [, , c] = await rule(makeUser({ app_metadata: { roles: ['reader'] } }), context)
    expect((c as typeof context).accessToken.scope).toEqual(['openid'])
  })
})

describe('accept-terms', () => {
  const rule = () => loadRule('accept-terms', { configuration }, {})

  it('sets context.redirect for browser logins', async () => {
    const [err, , context] = await rule()(makeUser(), makeContext({ protocol: 'samlp' }))
    expect(err).toBeNull()
    expect((context as { redirect: unknown }).redirect).toEqual({ url: 'https://acme.example/terms?version=2024-06' })
  })

  it('raw contexts even show what the engine would refuse: loadRule applies no token policy', async () => {
    const naive = loadRule(
      `function (user, context, callback) {
      context.redirect = { url: configuration.TERMS_URL };
      context.idToken.favourite_colour = 'teal';
      callback(null, user, context);
    }`,
      { configuration },
      {},
    )
    const [err, , context] = await naive(makeUser(), makeContext())
    expect(err).toBeNull()
    expect(context).toMatchObject({ redirect: { url: 'https://acme.example/terms' }, idToken: { favourite_colour: 'teal' } })
    // What the engine made of it is there too.
    expect(naive.lastRun?.error?.code).toBe('ERR_REDIRECT_UNSUPPORTED')
  })
})

describe('globals called limits or hooks (the two loadRule forms never guess)', () => {
  // A classic suite may define globals whose names are also loadRule options.
  const source = `function (user, context, callback) {
    if (user.logins_count > limits.maxLogins) return callback(new UnauthorizedError('Too many logins.'));
    hooks.audit(user.user_id);
    callback(null, user, context);
  }`

  it('with three arguments they are globals, whatever their names', async () => {
    const hooks = { audit: vi.fn() }
    const rule = loadRule(source, { limits: { maxLogins: 5 }, hooks }, {})
    const [err] = await rule(makeUser({ logins_count: 9 }), makeContext())
    expect(err).toBeInstanceOf(UnauthorizedError)
    const [ok] = await rule(makeUser({ logins_count: 2 }), makeContext())
    expect(ok).toBeNull()
    expect(hooks.audit).toHaveBeenCalledWith(makeUser().user_id)
  })

  it('with two they go under globals; alone they are refused, not taken for options', async () => {
    const hooks = { audit: vi.fn() }
    const rule = loadRule(source, { globals: { limits: { maxLogins: 5 }, hooks } })
    expect((await rule(makeUser({ logins_count: 2 }), makeContext()))[0]).toBeNull()
    expect(hooks.audit).toHaveBeenCalledTimes(1)
    const classicGlobals = { limits: { maxLogins: 5 }, audit: hooks.audit }
    // @ts-expect-error -- TypeScript refuses it too: these limits are not the limits option
    expect(() => loadRule(source, classicGlobals)).toThrow(/'audit' is not an option .*loadRule\(file, globals, stubs\)/)
  })
})
