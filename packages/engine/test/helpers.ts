import { createEngine, type Engine, type EngineOptions, type RunInput } from '@tokenrules/engine'

/** A realistic password-grant input; override any part. */
export function passwordInput(overrides: { user?: Record<string, unknown>; context?: Record<string, unknown> } = {}): RunInput {
  return {
    user: {
      user_id: 'auth0|5f7c8ec7c33c6c004bbafe82',
      email: 'ada@example.com',
      email_verified: true,
      name: 'Ada Lovelace',
      app_metadata: { roles: ['admin'], plan: 'gold' },
      user_metadata: { theme: 'dark' },
      identities: [{ connection: 'Employees', provider: 'auth0', user_id: '5f7c8ec7c33c6c004bbafe82', isSocial: false }],
      ...overrides.user,
    },
    context: {
      tenant: 'acme',
      clientID: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6',
      clientName: 'Trusted App',
      clientMetadata: {},
      connection: 'Employees',
      connectionStrategy: 'auth0',
      protocol: 'oauth2-password',
      request: { ip: '203.0.113.7', userAgent: 'test', hostname: 'login.example.com', query: {}, body: { grant_type: 'password' } },
      authentication: { methods: [{ name: 'pwd', timestamp: 1_700_000_000_000 }] },
      sso: { with_auth0: false, with_dbconn: false, current_clients: [] },
      stats: { loginsCount: 3 },
      ...overrides.context,
    },
  } as RunInput
}

/** A rule's source from the body of `function (user, context, callback) { … }`. */
export function rule(name: string, body: string, extra: { enabled?: boolean; order?: number } = {}) {
  return { name, script: `function (user, context, callback) {\n${body}\n}`, ...extra }
}

/**
 * An engine for one test, disposed by `await using`. One isolate and a short budget unless the
 * test says otherwise, so that failures show up fast.
 */
export async function engineWith(rules: EngineOptions['rules'], options: Partial<EngineOptions> = {}): Promise<Engine> {
  return createEngine({ concurrency: 1, ...options, rules, limits: { timeoutMs: 2_000, memoryLimitMb: 64, ...options.limits } })
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject, but it resolved')
}
