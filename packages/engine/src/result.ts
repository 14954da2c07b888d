/**
 * JSON values, as they may appear in a token's claims.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type JsonValue } from '@tokenrules/engine'
 *
 * // The host's own authorization reads a claim the rules set, whatever its shape.
 * function rolesOf(value: JsonValue | undefined): string[] {
 *   return Array.isArray(value) ? value.filter((role): role is string => typeof role === 'string') : []
 * }
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-roles',
 *     script: `function (user, context, callback) {
 *       context.accessToken['https://example.com/roles'] = user.app_metadata.roles;
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42', app_metadata: { roles: ['admin', 'billing'] } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * assert.deepEqual(rolesOf(result.accessToken.claims['https://example.com/roles']), ['admin', 'billing'])
 * assert.deepEqual(rolesOf(result.accessToken.claims['https://example.com/missing']), [])
 * ```
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * One line a rule wrote with `console.*`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type LogEntry } from '@tokenrules/engine'
 *
 * // Forward rule logs to the host's structured logger (here: an array).
 * const lines: string[] = []
 * const onLog = (entry: LogEntry) => void lines.push(`${entry.level} [${entry.rule}] ${entry.message}`)
 *
 * await using engine = await createEngine({
 *   hooks: { onLog },
 *   rules: [{
 *     name: 'audit',
 *     script: `function (user, context, callback) {
 *       console.info('login', user.email);
 *       console.warn('no roles for', { id: user.user_id });
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42', email: 'ada@example.com' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * assert.deepEqual(lines, ['info [audit] login ada@example.com', 'warn [audit] no roles for {"id":"auth0|42"}'])
 * assert.equal(result.logs.length, 2) // the same entries, on the result
 * ```
 */
export interface LogEntry {
  /** The `console` method the rule called. */
  level: 'log' | 'info' | 'warn' | 'error' | 'debug'
  /** The rule that wrote it. */
  rule: string
  /** The arguments, formatted like Node's `console` does (objects as JSON). */
  message: string
  /** Milliseconds since the start of the run. */
  atMs: number
}

/**
 * Why a custom claim was left out of a token.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type ClaimDropReason } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'legacy-claims',
 *     script: `function (user, context, callback) {
 *       context.accessToken.roles = ['admin'];
 *       context.accessToken['https://acme.auth0.com/plan'] = 'gold';
 *       context.accessToken.sub = 'someone-else';
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *
 * // Dropped claims by reason, for a migration report.
 * const dropped: Partial<Record<ClaimDropReason, string[]>> = {}
 * for (const warning of result.warnings) if (warning.code === 'CLAIM_DROPPED') (dropped[warning.reason] ??= []).push(warning.claim)
 * assert.deepEqual(dropped, { 'not-namespaced': ['roles'], 'forbidden-namespace': ['https://acme.auth0.com/plan'], registered: ['sub'] })
 * ```
 */
export type ClaimDropReason =
  /** `required` policy: the name is not an `http(s)://host/...` URL. */
  | 'not-namespaced'
  /** The namespace's host is `auth0.com`, `webtask.io`, `webtask.run` (or a subdomain), or one the integrator forbade. */
  | 'forbidden-namespace'
  /** `optional` policy: a restricted claim name (`roles`, `permissions`, `amr`, …) or `urn:auth0…`. */
  | 'restricted'
  /** A claim the server sets itself (`iss`, `sub`, `aud`, `exp`, …). */
  | 'registered'
  /** `__proto__`, `constructor` or `prototype`: never accepted as a claim name. */
  | 'reserved-name'

/**
 * Something the host should know about; never changes the outcome.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type Warning } from '@tokenrules/engine'
 *
 * function summarize(warning: Warning): string {
 *   switch (warning.code) {
 *     case 'CLAIM_DROPPED':
 *       return `${warning.token}: dropped ${warning.claim} (${warning.reason})`
 *     case 'LOGS_TRUNCATED':
 *     case 'WARNINGS_TRUNCATED':
 *       return warning.message
 *     default:
 *       return `${warning.rule}: ${warning.code}`
 *   }
 * }
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-roles',
 *     script: `function (user, context, callback) {
 *       context.idToken.roles = user.app_metadata.roles;
 *       callback(null, user, context);
 *       callback(null, user, context); // a leftover second call
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42', app_metadata: { roles: ['admin'] } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * assert.deepEqual(result.warnings.map(summarize).sort(), ['add-roles: CALLBACK_CALLED_TWICE', 'idToken: dropped roles (not-namespaced)'])
 * ```
 */
export type Warning =
  | { code: 'CLAIM_DROPPED'; claim: string; token: 'accessToken' | 'idToken'; reason: ClaimDropReason; message: string }
  | { code: 'CALLBACK_CALLED_TWICE'; rule: string; message: string }
  | { code: 'RULE_THREW_AFTER_CALLBACK'; rule: string; message: string }
  | { code: 'LOGS_TRUNCATED'; message: string }
  /** More distinct warnings than a run keeps (100); identical ones are kept once. */
  | { code: 'WARNINGS_TRUNCATED'; message: string }
  | { code: 'MODULE_VERSION_MISMATCH'; rule: string; message: string }

/**
 * The claims one token receives from the rules.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type TokenClaims } from '@tokenrules/engine'
 *
 * // The ID token's payload: standard claims from the profile, then the rules' custom claims.
 * function idTokenPayload(user: Record<string, unknown>, token: TokenClaims): Record<string, unknown> {
 *   return { sub: user['user_id'], email: user['email'], ...token.claims }
 * }
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'add-locale',
 *     script: `function (user, context, callback) {
 *       context.idToken['https://example.com/locale'] = user.user_metadata.locale || 'en';
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42', email: 'ada@example.com', user_metadata: { locale: 'fr' } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * assert.deepEqual(idTokenPayload(result.user, result.idToken), { sub: 'auth0|42', email: 'ada@example.com', 'https://example.com/locale': 'fr' })
 * ```
 */
export interface TokenClaims {
  /** Custom claims that passed the namespace policy. */
  claims: Record<string, JsonValue>
}

/**
 * The access token's part of a {@link RunResult}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type AccessTokenResult } from '@tokenrules/engine'
 *
 * // The access token's `scope` claim: the rules' scopes when they set them, else those requested.
 * const scopeClaim = (token: AccessTokenResult, requested: string) => token.scope?.join(' ') ?? requested
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'free-plan-scopes',
 *     script: `function (user, context, callback) {
 *       if (user.app_metadata.plan === 'free') context.accessToken.scope = 'openid profile openid';
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const login = (plan: string) => engine.run({ user: { user_id: 'auth0|42', app_metadata: { plan } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * const requested = 'openid profile read:reports'
 * assert.equal(scopeClaim((await login('free')).accessToken, requested), 'openid profile')
 * assert.equal(scopeClaim((await login('gold')).accessToken, requested), 'openid profile read:reports')
 * ```
 */
export interface AccessTokenResult extends TokenClaims {
  /**
   * The scopes the rules granted, de-duplicated, when `context.accessToken.scope` was set;
   * `undefined` when the rules left the scopes alone.
   */
  scope: string[] | undefined
}

/**
 * What a successful run of the rule set gives the token server.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type RunResult } from '@tokenrules/engine'
 *
 * interface Profile extends Record<string, unknown> {
 *   user_id: string
 *   email: string
 * }
 * // The token endpoint: MFA first if a rule asked for it, else the tokens' payloads.
 * function nextStep(result: RunResult<Profile>) {
 *   if (result.multifactor !== undefined) return { error: 'mfa_required' }
 *   return {
 *     access: { sub: result.user.user_id, ...result.accessToken.claims },
 *     id: { sub: result.user.user_id, email: result.user.email, ...result.idToken.claims },
 *   }
 * }
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'mfa-for-admins',
 *     script: `function (user, context, callback) {
 *       context.accessToken['https://example.com/roles'] = user.app_metadata.roles;
 *       if (user.app_metadata.roles.includes('admin')) context.multifactor = { provider: 'any', allowRememberBrowser: false };
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const login = (roles: string[]) =>
 *   engine.run<Profile>({ user: { user_id: 'auth0|42', email: 'ada@example.com', app_metadata: { roles } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 *
 * assert.deepEqual(nextStep(await login(['admin'])), { error: 'mfa_required' })
 * assert.deepEqual(nextStep(await login(['viewer'])), {
 *   access: { sub: 'auth0|42', 'https://example.com/roles': ['viewer'] },
 *   id: { sub: 'auth0|42', email: 'ada@example.com' },
 * })
 * ```
 */
export interface RunResult<User extends Record<string, unknown> = Record<string, unknown>> {
  /** The `user` as the last rule passed it on (use it for the ID token's standard claims). */
  user: User
  /** The access token's custom claims and the scopes the rules set. */
  accessToken: AccessTokenResult
  /** The ID token's custom claims. */
  idToken: TokenClaims
  /** Set when a rule asked for multifactor authentication. */
  multifactor?: { provider: string; allowRememberBrowser: boolean }
  /** Set when a rule redirected under a browser protocol; the host acts on it. */
  redirect?: { url: string }
  /** Set when a rule changed `context.primaryUser` (account linking). */
  primaryUser?: string
  /** Everything the rules wrote with `console.*`, in order (bounded). */
  logs: LogEntry[]
  /** What the host should know about the run (dropped claims, a callback called twice…); never changes the outcome. */
  warnings: Warning[]
  /** Each rule that ran, in order, with its wall-clock duration. */
  rules: { name: string; durationMs: number }[]
  /** Each post-login action that ran after the rules, in order, with its wall-clock duration; absent when the engine has no actions. */
  actions?: { name: string; durationMs: number }[]
  /** The `context` as the last rule left it, when the run asked for it (`includeContext`). */
  context?: Record<string, unknown>
  /** Metadata the rules persisted through `auth0.users.update*Metadata` (the hooks succeeded), at most 100 per run. */
  metadataUpdates: MetadataUpdate[]
  /**
   * Set when the rules left work running as the pipeline ended (a request in a `setTimeout`
   * after the callback, a promise not awaited): it goes on after this answer, for
   * `limits.backgroundMs` at most, and this promise resolves (never rejects) with what it did.
   * The answer never waits for it. `hooks.onBackground` gets the same report.
   */
  background?: Promise<BackgroundReport>
}

/**
 * What the work a run left running did after its answer (`result.background`, `hooks.onBackground`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type BackgroundReport } from '@tokenrules/engine'
 *
 * const reports: BackgroundReport[] = []
 * await using engine = await createEngine({
 *   hooks: { onBackground: (report) => void reports.push(report) },
 *   rules: [{
 *     name: 'audit-later',
 *     script: `function (user, context, callback) {
 *       callback(null, user, context);
 *       setTimeout(function () { console.log('audited', user.user_id); }, 5);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * const report = await result.background
 * assert.equal(report?.end, 'settled')
 * assert.deepEqual(report?.tasks, [{ rule: 'audit-later', kind: 'timer', outcome: 'completed' }])
 * assert.deepEqual(report?.logs.map((line) => line.message), ['audited auth0|42'])
 * assert.equal(reports[0], report)
 * ```
 */
export interface BackgroundReport {
  /**
   * Why it ended: `settled` (nothing was left), `grace` (`limits.backgroundMs` ran out, or a
   * budget of the run did: what was open is `cut`), `memory-limit` (the isolate's memory was
   * exceeded), `recycled` (the isolate was lost or replaced; what ran is unknown).
   */
  end: 'settled' | 'grace' | 'memory-limit' | 'recycled'
  /** Milliseconds from the answer to the end, as the sandbox counted them. */
  durationMs: number
  /** Each timer and host operation (HTTP request, metadata write, stub call) open at the answer or started after it, at most 100. */
  tasks: BackgroundTask[]
  /** Tasks past the first 100, not listed. */
  untracked: number
  /** What the rules logged after the answer (also given to `hooks.onLog`). */
  logs: LogEntry[]
  /** Warnings after the answer (a throw in a timer: `RULE_THREW_AFTER_CALLBACK`). */
  warnings: Warning[]
  /** Metadata persisted after the answer (the hooks succeeded); the token did not wait for it. */
  metadataUpdates: MetadataUpdate[]
}

/**
 * One piece of work of a {@link BackgroundReport}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type BackgroundTask } from '@tokenrules/engine'
 *
 * // A token server's metric: background work that did not end well, by rule.
 * const unfinished = (tasks: BackgroundTask[]) => tasks.filter((task) => task.outcome === 'failed' || task.outcome === 'cut').map((task) => `${task.rule}: ${task.kind} ${task.outcome}`)
 *
 * await using engine = await createEngine({
 *   limits: { backgroundMs: 50 },
 *   rules: [{
 *     name: 'reminders',
 *     script: `function (user, context, callback) {
 *       callback(null, user, context);
 *       setTimeout(function () { throw new Error('reminder failed'); }, 1);
 *       setTimeout(function () {}, 60000);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * const report = await result.background
 * assert.deepEqual(unfinished(report?.tasks ?? []), ['reminders: timer failed', 'reminders: timer cut'])
 * ```
 */
export interface BackgroundTask {
  /** The rule that started it. */
  rule: string | null
  /** A timer (`setTimeout`, `setInterval`, `setImmediate`), an HTTP request, a metadata write, or a call of an integrator's function. */
  kind: 'timer' | 'http' | 'metadata' | 'host'
  /**
   * `completed` (a timer ran, a request answered, whatever its status), `failed` (its callback
   * threw, its request or write failed), `cleared` (the rule cleared the timer), `cut` (still open
   * when the background ended).
   */
  outcome: 'completed' | 'failed' | 'cleared' | 'cut'
  /** Why it failed. */
  message?: string
  /** An HTTP request's response status. */
  status?: number
}

/**
 * One successful `auth0.users.updateAppMetadata` / `updateUserMetadata` call.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type MetadataUpdate } from '@tokenrules/engine'
 *
 * const users = new Map<string, Record<string, unknown>>() // the host's user store
 * await using engine = await createEngine({
 *   hooks: { updateUserMetadata: (userId, metadata) => void users.set(userId, metadata) },
 *   rules: [{
 *     name: 'remember-last-app',
 *     script: `function (user, context, callback) {
 *       user.user_metadata.last_app = context.clientName;
 *       auth0.users.updateUserMetadata(user.user_id, user.user_metadata)
 *         .then(function () { callback(null, user, context); }, callback);
 *     }`,
 *   }],
 * })
 * const result = await engine.run({
 *   user: { user_id: 'auth0|42', user_metadata: { theme: 'dark' } },
 *   context: { clientID: 'app', clientName: 'Dashboard', protocol: 'oauth2-password' },
 * })
 *
 * const updates: MetadataUpdate[] = result.metadataUpdates
 * assert.deepEqual(updates, [{ userId: 'auth0|42', kind: 'user_metadata', metadata: { theme: 'dark', last_app: 'Dashboard' } }])
 * assert.deepEqual(users.get('auth0|42'), { theme: 'dark', last_app: 'Dashboard' })
 * ```
 */
export interface MetadataUpdate {
  /** The `user_id` the rule passed. */
  userId: string
  /** Which metadata the call replaced. */
  kind: 'app_metadata' | 'user_metadata'
  /** The metadata as the rule passed it, as JSON (a copy of what the hook received), which the hook persisted. */
  metadata: Record<string, JsonValue>
}
