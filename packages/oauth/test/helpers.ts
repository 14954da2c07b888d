import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import { TOTP, Secret } from 'otpauth'
import type { EngineOptions, RuleDefinition } from '@tokenrules/engine'
import { createTokenServer, GRANT_TYPES, hashSecret, type TokenServer, type TokenServerOptions } from '@tokenrules/oauth'

/** scrypt cost for tests: the smallest the hash accepts, so that hundreds of logins stay fast. */
export const TEST_SCRYPT_COST = 16
export const ISSUER = 'https://auth.example.com/'
export const API = 'https://api.example.com'
export const CLIENT_ID = 'demo-app'
export const CLIENT_SECRET = 'demo-secret'
export const ALICE = { email: 'alice@example.com', password: 'correct horse battery staple' }
export const BOB = { email: 'bob@example.com', password: 'hunter2hunter2' }
export const SOCKET_IP = '198.51.100.7'
/** 2026-01-01T00:00:00Z: the injected clock starts here. */
export const T0 = Date.UTC(2026, 0, 1)

export const ALL_GRANTS = Object.values(GRANT_TYPES)

/** A clock tests move by hand. */
export class TestClock {
  now = T0
  advance(ms: number): void {
    this.now += ms
  }
  /** The server's `clock`: milliseconds since the epoch. */
  read = (): number => this.now
  /** The same instant as a Date, for jose's `currentDate`. */
  date = (): Date => new Date(this.now)
}

/** A JSON answer as tests look at it. */
export interface Answer {
  status: number
  headers: Headers
  body: any
}

export interface TestServerOptions extends Partial<Omit<TokenServerOptions, 'engine'>> {
  rules?: RuleDefinition[]
  /** More engine options (the rules are `rules`). */
  engineOptions?: Partial<EngineOptions>
}

/**
 * A token server for one test, on memory stores and the injected clock, with the demo's realms,
 * client, API and users: alice (Employees, admin), bob (Customers). Dispose with `await using`.
 */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { rules = [], engineOptions = {}, ...rest } = options
  const clock = new TestClock()
  const server = await createTokenServer({
    issuer: ISSUER,
    engine: { concurrency: 1, limits: { timeoutMs: 2_000, memoryLimitMb: 64 }, ...engineOptions, rules },
    clients: [{ clientId: CLIENT_ID, name: 'Demo App', secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: ALL_GRANTS }],
    apis: [{ identifier: API, scopes: ['read:messages', 'write:messages'], allowOfflineAccess: true }],
    directories: [{ name: 'Employees' }, { name: 'Customers' }],
    passwords: { scryptCost: TEST_SCRYPT_COST },
    keys: { algorithm: 'ES256' },
    clock: clock.read,
    ...rest,
  })
  const test = new TestServer(server, clock)
  if (options.stores?.users === undefined) {
    test.aliceId = (
      await server.users.create({
        directory: 'Employees',
        ...ALICE,
        email_verified: true,
        name: 'Alice Liddell',
        given_name: 'Alice',
        family_name: 'Liddell',
        picture: 'https://example.com/alice.png',
        app_metadata: { roles: ['admin'] },
        user_metadata: { theme: 'dark' },
        roles: ['Administrator'],
      })
    ).user_id
    test.bobId = (await server.users.create({ directory: 'Customers', ...BOB, email_verified: true, name: 'Bob' })).user_id
  }
  return test
}

export class TestServer implements AsyncDisposable {
  aliceId = ''
  bobId = ''
  constructor(
    readonly server: TokenServer,
    readonly clock: TestClock,
  ) {}

  /** POST form-encoded (default) or JSON parameters. */
  async post(
    path: string,
    params: Record<string, string | string[]>,
    init: { json?: boolean; headers?: Record<string, string>; ip?: string } = {},
  ): Promise<Answer> {
    const body = init.json === true ? JSON.stringify(params) : new URLSearchParams(params as Record<string, string>).toString()
    const contentType = init.json === true ? 'application/json' : 'application/x-www-form-urlencoded'
    return this.send(new Request(`http://localhost${path}`, { method: 'POST', headers: { 'content-type': contentType, ...init.headers }, body }), init.ip)
  }

  /** Send any request (for malformed-input tests). */
  async send(request: Request, ip: string = SOCKET_IP): Promise<Answer> {
    const response = await this.server.handler(request, { remoteAddress: ip })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) }
  }

  /** `POST /oauth/token` with the demo client's credentials in the body. */
  token(params: Record<string, string>, init: { json?: boolean; headers?: Record<string, string>; ip?: string } = {}): Promise<Answer> {
    return this.post('/oauth/token', { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...params }, init)
  }

  /** A password-realm login. */
  login(user: { email: string; password: string }, realm: string, extra: Record<string, string> = {}, ip?: string): Promise<Answer> {
    return this.token(
      { grant_type: GRANT_TYPES.passwordRealm, username: user.email, password: user.password, realm, audience: API, ...extra },
      ip === undefined ? {} : { ip },
    )
  }

  /** Verify a JWT against the server's JWKS at the injected clock. */
  async verify(token: string, audience: string = API): Promise<{ payload: JWTPayload; header: ReturnType<typeof decodeProtectedHeader> }> {
    const jwks = createLocalJWKSet(this.server.keys.jwks() as Parameters<typeof createLocalJWKSet>[0])
    const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience, currentDate: this.clock.date() })
    return { payload, header: decodeProtectedHeader(token) }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.server.close()
  }
}

/** The current TOTP code for a base32 secret at `timestamp`. */
export function totpCode(secret: string, timestamp: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp })
}

/** A rule from the body of `function (user, context, callback) { … }`. */
export function rule(name: string, body: string): RuleDefinition {
  return { name, script: `function (user, context, callback) {\n${body}\n}` }
}

/** The headers every token-endpoint answer carries. */
export function expectNoStore(headers: Headers): void {
  if (headers.get('cache-control') !== 'no-store') throw new Error(`cache-control is ${headers.get('cache-control')}`)
  if (headers.get('pragma') !== 'no-cache') throw new Error(`pragma is ${headers.get('pragma')}`)
  if (headers.get('content-type') !== 'application/json; charset=utf-8') throw new Error(`content-type is ${headers.get('content-type')}`)
}
