import { availableParallelism } from 'node:os'
import { z } from 'zod'
import { ConfigInvalidError } from './errors.js'
import type { BackgroundReport, LogEntry } from './result.js'
import { describeIssues, toIssues } from './lib/validation.js'
import { parseAddressRange } from './lib/capabilities/http-addresses.js'
import type { HttpPolicy } from './lib/capabilities/http.js'

const ruleName = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')

const ruleSchema = z.looseObject({
  id: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  name: ruleName,
  script: z.string().min(1, 'must not be empty').max(1_000_000, 'must be at most 1,000,000 characters'),
  enabled: z.boolean().optional(),
  order: z.number().finite().optional(),
})

const ruleSetSchema = z
  .array(ruleSchema)
  .max(500, 'at most 500 rules')
  .superRefine((rules, ctx) => {
    const seen = new Map<string, number>()
    rules.forEach((rule, index) => {
      const first = seen.get(rule.name)
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate rule name '${rule.name}' (also rules[${first}])` })
      } else seen.set(rule.name, index)
    })
  })

/** An npm package name, scoped or not (what `modules.packages` entries name). */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/

/** A name/value pair of an action's `secrets` or `configuration`, as Auth0's Deploy CLI exports it. */
const namedValue = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  value: z.string().max(100_000, 'must be at most 100,000 characters'),
})
const namedValues = z
  .array(namedValue)
  .max(500, 'at most 500 entries')
  .superRefine((entries, ctx) => {
    const seen = new Map<string, number>()
    entries.forEach((entry, index) => {
      const first = seen.get(entry.name)
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate name '${entry.name}' (also [${first}])` })
      else seen.set(entry.name, index)
    })
  })

const actionSchema = z.looseObject({
  name: ruleName,
  code: z.string().min(1, 'must not be empty').max(1_000_000, 'must be at most 1,000,000 characters'),
  secrets: namedValues.optional(),
  configuration: namedValues.optional(),
  dependencies: z
    .array(
      z.strictObject({
        name: z.string().regex(PACKAGE_NAME, 'must be an npm package name'),
        version: z.string().regex(/^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, "must be an exact version such as '1.6.2'"),
      }),
    )
    .max(100, 'at most 100 dependencies')
    .superRefine((deps, ctx) => {
      const seen = new Map<string, number>()
      deps.forEach((dep, index) => {
        const first = seen.get(dep.name)
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `'${dep.name}' is listed twice (also [${first}])` })
        else seen.set(dep.name, index)
      })
    })
    .optional(),
  enabled: z.boolean().optional(),
})

const actionSetSchema = z
  .array(actionSchema)
  .max(100, 'at most 100 actions')
  .superRefine((actions, ctx) => {
    const seen = new Map<string, number>()
    actions.forEach((action, index) => {
      const first = seen.get(action.name)
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate action name '${action.name}' (also actions[${first}])` })
      } else seen.set(action.name, index)
    })
  })

const hostname = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    const host = namespaceHost(value)
    if (host === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${value}' is neither a host name nor an http(s) URL` })
      return z.NEVER
    }
    return host
  })

/** `limits.backgroundMs`: its default and largest value. */
const DEFAULT_BACKGROUND_MS = 5_000
const MAX_BACKGROUND_MS = 20_000

const optionsSchema = z.strictObject({
  rules: ruleSetSchema,
  actions: actionSetSchema.optional(),
  configuration: z.record(z.string(), z.string()).optional(),
  limits: z
    .strictObject({
      timeoutMs: z.number().int().min(1).max(600_000).optional(),
      memoryLimitMb: z.number().int().min(8).max(4096).optional(),
      maxLogEntries: z.number().int().min(0).max(10_000).optional(),
      maxUserBytes: z.number().int().min(1024).max(50_000_000).optional(),
      maxParkedThreads: z.number().int().min(0).max(1_000).optional(),
      backgroundMs: z.number().int().min(0).max(MAX_BACKGROUND_MS).optional(),
    })
    .optional(),
  claims: z
    .strictObject({
      namespace: z.enum(['required', 'optional']).optional(),
      onViolation: z.enum(['drop', 'error']).optional(),
      forbiddenNamespaces: z.array(hostname).optional(),
    })
    .optional(),
  errors: z.strictObject({ exposeExceptionMessages: z.boolean().optional() }).optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  isolation: z.enum(['thread', 'process']).optional(),
  webAssembly: z.boolean().optional(),
  modules: z
    .strictObject({
      packages: z
        .array(
          z.union([
            z.string().min(1),
            z.strictObject({
              name: z.string().regex(PACKAGE_NAME, 'must be an npm package name'),
              version: z
                .string()
                .regex(/^[~^=v]*\d+(?:\.\d+(?:\.\d+)?)?$/, "must be a version such as '0.1.0', '^4.17.0' or '~1.2'")
                .optional(),
              from: z.string().regex(PACKAGE_NAME, 'must be the name of an installed package directory (an npm alias such as lib-0.1.0)').optional(),
            }),
          ]),
        )
        .superRefine((entries, ctx) => {
          // Two entries of one package must differ in version, and a rule must be able to tell them apart.
          const seen = new Map<string, number>()
          entries.forEach((entry, index) => {
            if (typeof entry === 'string') return
            if (entry.from !== undefined && entry.version === undefined) {
              ctx.addIssue({ code: 'custom', path: [index, 'version'], message: "is required with 'from': rules choose this copy by its version" })
            }
          })
          entries.forEach((entry, index) => {
            const key = typeof entry === 'string' ? `${entry}@` : `${entry.name}@${entry.version ?? ''}`
            const first = seen.get(key)
            if (first !== undefined)
              ctx.addIssue({ code: 'custom', path: [index], message: `lists the same package and version as modules.packages[${first}]` })
            else seen.set(key, index)
          })
        })
        .optional(),
      resolveFrom: z.string().min(1).optional(),
      http: z
        .strictObject({
          allow: z.array(
            z
              .string()
              .regex(
                /^(?:(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$|^[0-9a-f:]+:[0-9a-f:.]*$/i,
                "must be a host name, '*.' and a domain, or either with ':port' (not a URL, not '*')",
              ),
          ),
          methods: z.array(z.string().min(1)).optional(),
          timeoutMs: z.number().int().min(1).max(600_000).optional(),
          maxResponseBytes: z.number().int().min(0).max(100_000_000).optional(),
          fetch: z.function().optional(),
          redirects: z.enum(['follow', 'same-origin', 'error']).optional(),
          allowAddresses: z
            .array(
              z.string().superRefine((entry, ctx) => {
                const range = parseAddressRange(entry)
                if (typeof range === 'string') ctx.addIssue({ code: 'custom', message: range })
              }),
            )
            .optional(),
          lookup: z.function().optional(),
          maxConcurrentRequests: z.number().int().min(1).max(1_000).optional(),
          maxRequests: z.number().int().min(1).max(100_000).optional(),
        })
        .optional(),
      crypto: z.boolean().optional(),
      host: z.record(z.string().min(1), z.unknown()).optional(),
    })
    .optional(),
  globals: z.record(z.string().regex(/^[A-Za-z_$][\w$]*$/, 'must be a JavaScript identifier'), z.unknown()).optional(),
  process: z
    .strictObject({
      env: z
        .record(z.string().regex(/^[^=\0]+$/, "must be a variable name (no '=' or NUL)"), z.string().max(32_768))
        .refine((env) => Object.keys(env).length <= 1_000, 'has more than 1,000 variables')
        .optional(),
    })
    .optional(),
  auth0: z
    .strictObject({
      domain: z
        .string()
        .min(1)
        .refine((value) => auth0Origin(value) !== undefined, 'must be a host name (with an optional :port), not a URL or a path')
        .optional(),
      accessToken: z.function().optional(),
      managementApi: z.function().optional(),
    })
    .superRefine((auth0, ctx) => {
      if (auth0.managementApi !== undefined && auth0.domain === undefined) {
        ctx.addIssue({ code: 'custom', path: ['managementApi'], message: 'needs auth0.domain: it answers requests to https://<domain>/api/v2' })
      }
    })
    .optional(),
  clock: z.function().optional(),
  random: z.function().optional(),
  hooks: z
    .strictObject({
      onLog: z.function().optional(),
      onRuleError: z.function().optional(),
      onCatastrophicError: z.function().optional(),
      onBackground: z.function().optional(),
      updateAppMetadata: z.function().optional(),
      updateUserMetadata: z.function().optional(),
    })
    .optional(),
})

/**
 * One rule as Auth0 stores it. Unknown fields (an Auth0 export's `id`, `stage`) are ignored.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type RuleDefinition } from '@tokenrules/engine'
 *
 * // Rules as Auth0's Management API exports them.
 * const exported = [
 *   { id: 'rul_1', stage: 'login_success', name: 'add-roles', order: 2, enabled: true, script: `function (user, context, callback) {
 *     context.accessToken['https://example.com/roles'] = user.app_metadata.roles || [];
 *     callback(null, user, context);
 *   }` },
 *   { id: 'rul_2', stage: 'login_success', name: 'legacy-ip-block', order: 1, enabled: false, script: `function (user, context, callback) {
 *     callback(new Error('blocked'));
 *   }` },
 * ]
 * const rules: RuleDefinition[] = exported
 *
 * await using engine = await createEngine({ rules })
 * const result = await engine.run({ user: { user_id: 'auth0|42', app_metadata: { roles: ['admin'] } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * assert.deepEqual(result.rules.map((rule) => rule.name), ['add-roles']) // the disabled rule never ran
 * ```
 */
export interface RuleDefinition {
  /** Auth0's id of the rule (`rul_…`), what an action's `api.rules.wasExecuted(id)` asks about. Optional. */
  id?: string | undefined
  /** Unique within the rule set; appears in errors, logs and timings. */
  name: string
  /** Source text that evaluates to `function (user, context, callback) { … }`. */
  script: string
  /** Disabled rules never run. Default `true`. */
  enabled?: boolean | undefined
  /** Lower runs first; ties keep list order; rules without `order` run after those with one. */
  order?: number | undefined
}

/**
 * One Auth0 Action bound to the post-login trigger, in the shape Auth0's Deploy CLI exports it
 * (`actions/<name>/code.js` plus its `secrets`, `dependencies` and, for Marketplace integrations,
 * `configuration`). Actions run after the rules, in list order (the trigger's binding order),
 * with `exports.onExecutePostLogin(event, api)` ([actions guide](../../../docs/actions.md)).
 * Unknown fields (an export's `id`, `runtime`, `supported_triggers`, `deployed`) are ignored.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type ActionDefinition } from '@tokenrules/engine'
 *
 * const addPlan: ActionDefinition = {
 *   name: 'add-plan',
 *   code: `exports.onExecutePostLogin = async (event, api) => {
 *     api.accessToken.setCustomClaim(event.secrets.NAMESPACE + '/plan', event.user.app_metadata.plan);
 *   };`,
 *   secrets: [{ name: 'NAMESPACE', value: 'https://example.com' }],
 * }
 * await using engine = await createEngine({ rules: [], actions: [addPlan] })
 * const result = await engine.run({ user: { user_id: 'auth0|42', app_metadata: { plan: 'gold' } }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * assert.deepEqual(result.accessToken.claims, { 'https://example.com/plan': 'gold' })
 * assert.deepEqual(result.actions?.map((action) => action.name), ['add-plan'])
 * ```
 */
export interface ActionDefinition {
  /** Unique among the actions (and not the name of a rule); appears in errors, logs and timings. */
  name: string
  /** The action's module source: CommonJS that sets `exports.onExecutePostLogin`. */
  code: string
  /** What the action reads as `event.secrets` (name → value). Never logged, never in errors. */
  secrets?: readonly { name: string; value: string }[] | undefined
  /**
   * npm packages the action requires, each at exactly this version. Every one must also be allowed
   * by the engine option `modules.packages` with that version (for two versions of one package,
   * entries with `from`, an npm alias); `require(name)` in this action loads exactly it.
   */
  dependencies?: readonly { name: string; version: string }[] | undefined
  /** What the action reads as `event.configuration` (Marketplace integrations' settings). */
  configuration?: readonly { name: string; value: string }[] | undefined
  /** Disabled actions never run. Default `true`. */
  enabled?: boolean | undefined
}

/**
 * What the host learns when a rule fails by throwing (the `hooks.onRuleError` hook's argument).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type RuleErrorEvent } from '@tokenrules/engine'
 *
 * const events: RuleErrorEvent[] = []
 * await using engine = await createEngine({
 *   hooks: { onRuleError: (event) => events.push(event) },
 *   rules: [{
 *     name: 'add-groups',
 *     script: `function (user, context, callback) {
 *       context.idToken['https://example.com/groups'] = user.app_metadata.groups.map(function (g) { return g.name; });
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * await assert.rejects(engine.run({ user: { user_id: 'auth0|42', app_metadata: {} }, context: { clientID: 'app', protocol: 'oauth2-password' } }), {
 *   code: 'ERR_RULE_EXCEPTION',
 * })
 *
 * const [event] = events
 * assert.ok(event)
 * assert.deepEqual([event.code, event.rule, event.message], ['ERR_RULE_EXCEPTION', 'add-groups', "Cannot read properties of undefined (reading 'map')"])
 * assert.match(event.stack ?? '', /rule:add-groups:2/)
 * ```
 */
export interface RuleErrorEvent {
  /** The failure's code: `ERR_RULE_EXCEPTION`, or `ERR_MODULE_NOT_ALLOWED` for an uncaught `require` of a module not allowed. */
  code: string
  /** The rule that threw, when known; for a post-login action, the action's name. */
  rule: string | undefined
  /** The exception's message (the guest's own text, never shown to the client unless `errors.exposeExceptionMessages`). */
  message: string
  /** Guest stack trace: rule file names and lines only, never host paths. */
  stack: string | undefined
}

/**
 * Options of {@link createEngine}. Only `rules` is required.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, type EngineOptions } from '@tokenrules/engine'
 *
 * const options: EngineOptions = {
 *   rules: [{
 *     name: 'add-tenant',
 *     script: `function (user, context, callback) {
 *       context.idToken['https://example.com/tenant'] = configuration.TENANT;
 *       context.idToken['https://example.com/login_at'] = new Date().toISOString();
 *       callback(null, user, context);
 *     }`,
 *   }],
 *   configuration: { TENANT: 'acme' },
 *   limits: { timeoutMs: 5_000, memoryLimitMb: 64 },
 *   claims: { namespace: 'required', onViolation: 'drop', forbiddenNamespaces: ['login.acme.example'] },
 *   errors: { exposeExceptionMessages: false },
 *   concurrency: 1,
 *   clock: () => Date.parse('2024-05-01T12:00:00Z'), // what rules see as "now", e.g. in tests
 * }
 * await using engine = await createEngine(options)
 * const result = await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
 * assert.deepEqual(result.idToken.claims, {
 *   'https://example.com/tenant': 'acme',
 *   'https://example.com/login_at': '2024-05-01T12:00:00.000Z',
 * })
 * ```
 */
export interface EngineOptions {
  /** The rule set, in Auth0's shape. */
  rules: readonly RuleDefinition[]
  /**
   * Post-login Actions, in the trigger's order: they run after the rules, in the same sandbox,
   * under the same time budget, limits, claims policy and `require` policy. Default none.
   */
  actions?: readonly ActionDefinition[] | undefined
  /** Settings the rules read as `configuration` (string keys to string values, frozen). */
  configuration?: Readonly<Record<string, string>> | undefined
  /** Resource limits of each run and isolate; each has a default. */
  limits?:
    | {
        /** Wall-clock budget of the whole pipeline, awaited work included, in milliseconds. Default 20000. */
        timeoutMs?: number | undefined
        /**
         * Heap limit of each isolate, in MB. Default 128. Also the budget of what an isolate may
         * hold outside its heap (resizable `ArrayBuffer`s by their `maxByteLength`, WebAssembly
         * memories by their maximum, `Intl` objects), and a quarter of it the budget of what the
         * host holds for one run (host calls' arguments in flight, metadata updates). Past any of
         * them the run fails with `ERR_RULE_MEMORY_LIMIT`. See docs/security.md, guarantee 9.
         */
        memoryLimitMb?: number | undefined
        /** Log lines kept per run. Default 100. */
        maxLogEntries?: number | undefined
        /** Largest `user` (as JSON characters) a run may return. Default 1,000,000. */
        maxUserBytes?: number | undefined
        /**
         * Isolate threads parked in native code V8 cannot interrupt, or lost to a fatal V8
         * out-of-memory error, that this process tolerates (every engine of the process counts): past it, no new isolate is made and runs fail with
         * `ERR_ENGINE_INTERNAL` until the process is restarted. Default 4. With `isolation: 'process'`
         * the isolates' process is replaced instead, and this bounds each such process.
         */
        maxParkedThreads?: number | undefined
        /**
         * How long work a rule left running when the pipeline ended (a request in a `setTimeout`
         * after the callback, a promise not awaited) may go on after the answer, in milliseconds:
         * Auth0 let it finish in the background. The answer never waits for it; the isolate serves
         * no other run meanwhile; past it the work is cut. Reported by `result.background` and
         * `hooks.onBackground` ([behaviour: work after the callback](../../../docs/behaviour.md#work-after-the-callback)).
         * Default 5,000 (one request at the HTTP capability's default timeout), at most 20,000
         * (Auth0's whole budget); 0 cuts it at once (and still reports it).
         */
        backgroundMs?: number | undefined
      }
    | undefined
  /** How custom claims are checked ([behaviour: custom claims](../../../docs/behaviour.md#custom-claims)). Default: namespaced URLs required, violations dropped with a warning. */
  claims?:
    | {
        /** `required` (default): custom claims must be namespaced URLs. `optional`: Auth0's rules since July 2022. */
        namespace?: 'required' | 'optional' | undefined
        /** `drop` (default): leave the claim out and warn. `error`: fail the run with `ERR_CLAIM_VIOLATION`. */
        onViolation?: 'drop' | 'error' | undefined
        /** More forbidden namespace hosts (typically your issuer's), as host names or URLs. */
        forbiddenNamespaces?: readonly string[] | undefined
      }
    | undefined
  /** What rule failures reveal to the OAuth client. */
  errors?:
    | {
        /** Put a thrown exception's message in `error_description`. Default `false` (generic text). */
        exposeExceptionMessages?: boolean | undefined
      }
    | undefined
  /** Isolates that run rules in parallel. Default: the number of CPU cores. */
  concurrency?: number | undefined
  /**
   * Where the isolates live. `'thread'` (default): in this process, each on its own thread. A rule
   * that starts native code V8 cannot interrupt is answered at its deadline and its isolate
   * replaced, but the thread stays parked until that code ends (`limits.maxParkedThreads`).
   * `'process'`: in a child process the engine supervises; the host functions (`globals`,
   * `modules.host`, HTTP, hooks) stay in this process. When a thread parks or V8 hits a fatal error
   * there, a fresh child takes the new runs and the old one is ended once its runs are answered,
   * which takes its threads with it. Costs a process and a pipe round trip per run and per host call
   * (`pnpm bench` measures it).
   */
  isolation?: 'thread' | 'process' | undefined
  /**
   * Give rules `WebAssembly`. Default `false`: the global is absent. Enabled, every WebAssembly
   * memory counts its maximum against `limits.memoryLimitMb` before it exists: a
   * `new WebAssembly.Memory` and a module's own memories must declare a `maximum`, shared and
   * 64-bit memories are refused, and past the limit the run fails with `ERR_RULE_MEMORY_LIMIT`.
   * Loops in WebAssembly are stopped by `limits.timeoutMs` like any other.
   */
  webAssembly?: boolean | undefined
  /**
   * What `require` in rules may load. Nothing is allowed by default.
   *
   * @example
   * ```ts
   * import assert from 'node:assert/strict'
   * import { createEngine } from '@tokenrules/engine'
   *
   * await using engine = await createEngine({
   *   modules: {
   *     packages: ['querystring'], // pure-JS packages, bundled into the sandbox (e.g. 'lodash', 'uuid')
   *     http: {
   *       allow: ['api.example.com', '*.corp.example'],
   *       timeoutMs: 2_000,
   *       fetch: async () => Response.json({ tier: 'gold' }), // the host's HTTP client; a fake here
   *     },
   *     crypto: true, // crypto and jsonwebtoken
   *   },
   *   rules: [{
   *     name: 'enrich-profile',
   *     script: `async function (user, context, callback) {
   *       const crypto = require('crypto');
   *       const qs = require('querystring');
   *       const res = await fetch('https://api.example.com/customers?' + qs.stringify({ id: user.user_id }));
   *       context.idToken['https://example.com/tier'] = (await res.json()).tier;
   *       context.idToken['https://example.com/email_sha256'] = crypto.createHash('sha256').update(user.email).digest('hex').slice(0, 8);
   *       callback(null, user, context);
   *     }`,
   *   }],
   * })
   * const result = await engine.run({ user: { user_id: 'auth0|42', email: 'ada@example.com' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
   * assert.equal(result.idToken.claims['https://example.com/tier'], 'gold')
   * ```
   */
  modules?:
    | {
        /**
         * Pure-JavaScript packages bundled once and evaluated inside the sandbox: a name, or
         * `{ name, version, from }` to pin a version (`from`: the directory it is installed under,
         * e.g. the npm alias `lib-0.1.0@npm:lib@0.1.0`). Two entries of one name with different
         * versions give rules both: `require('lib@0.1.0')` loads the exact match, `require('lib')`
         * the first listed. Listing a Node built-in the sandbox ports (`url`, `querystring`,
         * `buffer`, `events`, `util`, `path`, `stream`, `string_decoder`, `assert`, `os`, `zlib`,
         * `punycode`, `timers`, `tty`) allows a rule's own `require` of it; bundled packages get
         * those whatever the list says.
         */
        packages?: readonly (string | PackageEntry)[] | undefined
        /** Where `packages` are resolved. Default: `process.cwd()`. */
        resolveFrom?: string | undefined
        /** HTTP for `request`, `axios`, `node-fetch` and the global `fetch`. Absent: no network. */
        http?:
          | {
              /**
               * Allowed hosts: exact (`api.example.com`), wildcard (`*.corp.example`, names only), or with a port
               * (`127.0.0.1:8080`). Names are resolved and every address checked (see `allowAddresses`); an entry that
               * is an IP address allows that address as it is, private or not.
               */
              allow: readonly string[]
              /** Allowed methods. Default: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS. */
              methods?: readonly string[] | undefined
              /** Per-request timeout in milliseconds (also bounded by the run's budget). Default 5000. */
              timeoutMs?: number | undefined
              /** Largest response body. Default 1,000,000 bytes. */
              maxResponseBytes?: number | undefined
              /**
               * The host's HTTP client (route, observe or fake calls). Default: the engine's own (undici, as Node's
               * `fetch`), which resolves each name, checks every address and connects only to those. A `fetch` given
               * here is the transport instead: the engine still checks names, methods, redirects, headers and limits,
               * but resolving names, refusing internal addresses and pinning the connection become its job
               * (`allowAddresses` and `lookup` do not apply to it).
               */
              fetch?: typeof fetch | undefined
              /**
               * Where a redirect may lead. `'follow'` (default): any URL the allow-list allows, at most 5; one to another
               * origin keeps only the headers `accept`, `accept-encoding`, `accept-language`, `content-language`,
               * `content-type` and `user-agent` (Authorization, Cookie, Proxy-Authorization and custom headers such as
               * API keys are dropped). `'same-origin'`: only to the same scheme, host and port. `'error'`: none. A
               * redirect not followed fails with `ERR_HTTP_NOT_ALLOWED`; a rule's own `redirect: 'manual'` still gets the 3xx.
               */
              redirects?: 'follow' | 'same-origin' | 'error' | undefined
              /**
               * Addresses a name may resolve to besides public unicast ones: IPs or CIDR ranges (`'10.0.0.0/8'`,
               * `'fd00::/8'`, `'127.0.0.1'`). By default a name that resolves to a loopback, private, link-local,
               * unique-local, carrier-grade NAT, unspecified, multicast or other special-purpose address (IPv4-mapped
               * IPv6 forms included) is refused with `ERR_HTTP_NOT_ALLOWED`. An instance-metadata address
               * (169.254.169.254, fd00:ec2::254, 100.100.100.200, 192.0.0.192) is let through only by an entry that is
               * that address, never by a range. Default: none.
               */
              allowAddresses?: readonly string[] | undefined
              /**
               * Resolve a host name for the engine's own transport: every address, as text. Default: the system
               * resolver (`dns.lookup` with `all: true`, so /etc/hosts counts). Each answer is checked, and the
               * connection goes to a checked address, never to a second resolution.
               */
              lookup?: ((hostname: string) => Promise<readonly string[]> | readonly string[]) | undefined
              /** Requests one run may have open at once; more wait their turn. Default 10. */
              maxConcurrentRequests?: number | undefined
              /** Requests one run may send, each redirect followed included; then `ERR_HTTP_LIMIT`. Default 50. */
              maxRequests?: number | undefined
            }
          | undefined
        /** `crypto` (hashes, HMAC, random bytes, UUIDs, timingSafeEqual) and `jsonwebtoken` (HS*, RS*). */
        crypto?: boolean | undefined
        /** Modules served by the host: functions, objects of functions, or JSON data; called across the boundary. */
        host?: Readonly<Record<string, unknown>> | undefined
      }
    | undefined
  /** Extra globals for rules: functions, objects of functions (called on the host), or JSON data. */
  globals?: Readonly<Record<string, unknown>> | undefined
  /**
   * The time rules see (`Date.now()`, `new Date()`), in milliseconds since the epoch. Default: the
   * real clock. For deterministic tests; the engine's own limits always use the real clock.
   */
  clock?: (() => number) | undefined
  /**
   * Randomness rules see: `Math.random()`, and the bytes behind `crypto.randomBytes`,
   * `crypto.randomUUID` and `crypto.getRandomValues`. Returns numbers in [0, 1). Default: the
   * platform's (cryptographically strong for the crypto functions). For deterministic tests only.
   */
  random?: (() => number) | undefined
  /**
   * The tenant as rules see it: `auth0.domain`, `auth0.baseUrl` (`https://<domain>/api/v2`) and
   * `auth0.accessToken`, and the Management API a host serves them in-process.
   *
   * @example
   * ```ts
   * import assert from 'node:assert/strict'
   * import { createEngine } from '@tokenrules/engine'
   *
   * const minted = new Set<string>()
   * await using engine = await createEngine({
   *   auth0: {
   *     domain: 'acme.example.com',
   *     // One short-lived token per run, for the run's user and client.
   *     accessToken: ({ userId }) => {
   *       const token = `t-${minted.size}-${userId.length}`
   *       minted.add(token)
   *       return token
   *     },
   *     // Requests to https://acme.example.com/api/v2/… are answered here, in this process.
   *     managementApi: async (request) =>
   *       minted.has(request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '')
   *         ? Response.json({ user_id: decodeURIComponent(new URL(request.url).pathname.split('/').pop() ?? ''), app_metadata: { plan: 'gold' } })
   *         : Response.json({ statusCode: 401, error: 'Unauthorized', message: 'Invalid token' }, { status: 401 }),
   *   },
   *   rules: [{
   *     name: 'read-plan',
   *     script: `async function (user, context, callback) {
   *       const res = await fetch(auth0.baseUrl + '/users/' + encodeURIComponent(user.user_id), { headers: { authorization: 'Bearer ' + auth0.accessToken } });
   *       context.idToken['https://example.com/plan'] = (await res.json()).app_metadata.plan;
   *       callback(null, user, context);
   *     }`,
   *   }],
   * })
   * const result = await engine.run({ user: { user_id: 'auth0|42' }, context: { clientID: 'app', protocol: 'oauth2-password' } })
   * assert.equal(result.idToken.claims['https://example.com/plan'], 'gold')
   * ```
   */
  auth0?:
    | {
        /** The tenant's host name (`acme.eu.auth0.com`), with an optional `:port`. */
        domain?: string | undefined
        /**
         * Mints `auth0.accessToken` for one run: a short-lived bearer token for the Management API
         * at `auth0.baseUrl`. Called at most once per run, when a rule first reads the token, with
         * the login's user (as the run's input named it, whatever the rules changed) and client. Its
         * value is never logged, never put in errors, warnings, stats or the result. A rejection, or
         * anything but a non-empty string of at most 16,384 characters, makes that read throw in the rule.
         * Absent: `auth0.accessToken` is `undefined`.
         */
        accessToken?: ((run: { userId: string; clientId: string | undefined }) => string | Promise<string>) | undefined
        /**
         * Answers the Management API in-process (the Fetch API): every request rules send through
         * the HTTP bridge (`fetch`, `request`, `axios`, `node-fetch`, bundled clients) to
         * `https://<domain>/api/v2` and below, and every POST to `https://<domain>/oauth/token`
         * (the client-credentials exchange node-auth0's `ManagementClient` makes when a rule gives
         * it `clientId`/`clientSecret`), comes here instead of the network, with no DNS and no
         * entry in `modules.http.allow`; the rest of that host follows `modules.http`. The
         * limits of `modules.http` (methods, timeout, response size, requests per run, the run's
         * abort) apply to it. Given it, rules have the HTTP clients even without `modules.http`
         * (allowing nothing else). A rejection fails the run with `ERR_METADATA_UPDATE_FAILED`,
         * as a failed `hooks.updateAppMetadata` does: a store that cannot answer or persist must
         * not let the login through. Needs `domain`.
         */
        managementApi?: ((request: Request) => Promise<Response>) | undefined
      }
    | undefined
  /**
   * The global `process` rules and bundled packages see (it has no host powers): `env` is empty
   * unless given here. Values are strings, copied into every sandbox.
   */
  process?: { env?: Record<string, string> | undefined } | undefined
  /** Host functions the engine calls: persisting metadata, receiving logs and failures. None by default. */
  hooks?:
    | {
        /**
         * Persist `auth0.users.updateAppMetadata(userId, metadata)`. `metadata` is a fresh parse of
         * checked JSON: no function, typed array or class instance, no key with '.' nor `__proto__`,
         * `constructor`, `prototype` (such a call fails the run with `ERR_RULE_RESULT_INVALID` before
         * this hook runs). A rejection fails the run (`ERR_METADATA_UPDATE_FAILED`).
         */
        updateAppMetadata?: ((userId: string, metadata: Record<string, unknown>) => Promise<void> | void) | undefined
        /** Persist `auth0.users.updateUserMetadata(userId, metadata)`, checked JSON as for `updateAppMetadata`. A rejection fails the run. */
        updateUserMetadata?: ((userId: string, metadata: Record<string, unknown>) => Promise<void> | void) | undefined
        /** Called with each line the rules logged, after the run. Never throws into the engine. */
        onLog?: ((entry: LogEntry) => void) | undefined
        /**
         * Called when V8 lost control of an isolate (a fatal out-of-memory a rule caused). The engine
         * answered that run with `ERR_RULE_MEMORY_LIMIT` and replaced the isolate, but the isolate's
         * thread stays parked: stop taking new work and restart the process soon.
         */
        onCatastrophicError?: ((message: string) => void) | undefined
        /** Called when a rule throws or rejects, with its guest stack. */
        onRuleError?: ((event: RuleErrorEvent) => void) | undefined
        /**
         * Called once the work a run left running ended (see `limits.backgroundMs`), with what it
         * did, for runs that left any: also after a run that failed (a denial, say). Its logs went
         * to `onLog` first. Never throws into the engine.
         */
        onBackground?: ((report: BackgroundReport) => void) | undefined
      }
    | undefined
}

/** One entry of `modules.packages` in object form. */
export interface PackageEntry {
  /** The package's name, as rules require it. */
  name: string
  /** What its installed version must satisfy (`0.1.0`, `^4.17.0`); needed with `from`. */
  version?: string | undefined
  /** The name it is installed under when that is not `name` (an npm alias directory such as `lib-0.1.0`). */
  from?: string | undefined
}

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  rules: RuleDefinition[]
  /** The enabled actions, in order (indexes in errors count these). */
  actions: ActionDefinition[]
  configuration: Record<string, string>
  limits: { timeoutMs: number; memoryLimitMb: number; maxLogEntries: number; maxUserBytes: number; maxParkedThreads: number; backgroundMs: number }
  claims: { namespace: 'required' | 'optional'; onViolation: 'drop' | 'error'; forbiddenNamespaces: string[] }
  errors: { exposeExceptionMessages: boolean }
  concurrency: number
  isolation: 'thread' | 'process'
  webAssembly: boolean
  modules: {
    packages: PackageEntry[]
    resolveFrom: string
    http: HttpPolicy | undefined
    crypto: boolean
    host: Record<string, unknown>
  }
  globals: Record<string, unknown>
  process: { env: Record<string, string> }
  auth0: {
    domain: string | undefined
    accessToken: ((run: { userId: string; clientId: string | undefined }) => string | Promise<string>) | undefined
    managementApi: ((request: Request) => Promise<Response>) | undefined
  }
  clock: (() => number) | undefined
  random: (() => number) | undefined
  hooks: NonNullable<EngineOptions['hooks']>
}

/** Globals the engine defines that an integrator's `globals` may not replace. */
const RESERVED_GLOBALS = new Set(['configuration', 'UnauthorizedError', 'global', 'globalThis', 'require', 'console', 'process'])

/** The host part of a namespace: `https://a.example/x` → `a.example`; `a.example` → `a.example`. */
export function namespaceHost(value: string): string | undefined {
  const candidate = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`
  try {
    const url = new URL(candidate)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    return url.hostname === '' ? undefined : url.hostname.toLowerCase()
  } catch {
    return undefined
  }
}

/** `https://<domain>`, the origin of the tenant's Management API, or undefined when `domain` is not a host (and port). */
export function auth0Origin(domain: string): string | undefined {
  if (!/^[^/?#@\\\s]+$/.test(domain)) return undefined
  try {
    const url = new URL(`https://${domain}/`)
    return url.hostname === '' ? undefined : url.origin
  } catch {
    return undefined
  }
}

export function resolveOptions(input: unknown): ResolvedOptions {
  const parsed = optionsSchema.safeParse(input)
  if (!parsed.success) {
    const issues = toIssues(parsed.error)
    throw new ConfigInvalidError(`Invalid engine options: ${describeIssues(issues)}`, issues, parsed.error)
  }
  const o = parsed.data
  const reserved = Object.keys(o.globals ?? {}).filter((name) => RESERVED_GLOBALS.has(name))
  if (reserved.length > 0) {
    const issues = reserved.map((name) => ({ path: ['globals', name], code: 'custom', message: `'${name}' is defined by the engine and cannot be replaced` }))
    throw new ConfigInvalidError(`Invalid engine options: ${describeIssues(issues)}`, issues)
  }
  // The in-process Management API is reached through the HTTP bridge: given it, rules have the
  // HTTP clients, allowed nowhere else unless `modules.http` says so.
  const http = o.modules?.http ?? (o.auth0?.managementApi !== undefined ? { allow: [] } : undefined)
  const actions = enabledActions(o.rules, (o.actions ?? []) as ActionDefinition[], 'Invalid engine options')
  return {
    rules: o.rules,
    actions,
    configuration: { ...o.configuration },
    limits: {
      timeoutMs: o.limits?.timeoutMs ?? 20_000,
      memoryLimitMb: o.limits?.memoryLimitMb ?? 128,
      maxLogEntries: o.limits?.maxLogEntries ?? 100,
      maxUserBytes: o.limits?.maxUserBytes ?? 1_000_000,
      maxParkedThreads: o.limits?.maxParkedThreads ?? 4,
      backgroundMs: o.limits?.backgroundMs ?? DEFAULT_BACKGROUND_MS,
    },
    claims: {
      namespace: o.claims?.namespace ?? 'required',
      onViolation: o.claims?.onViolation ?? 'drop',
      forbiddenNamespaces: o.claims?.forbiddenNamespaces ?? [],
    },
    errors: { exposeExceptionMessages: o.errors?.exposeExceptionMessages ?? false },
    concurrency: o.concurrency ?? availableParallelism(),
    isolation: o.isolation ?? 'thread',
    webAssembly: o.webAssembly ?? false,
    modules: {
      packages: (o.modules?.packages ?? []).map((entry) => (typeof entry === 'string' ? { name: entry } : { ...entry })),
      resolveFrom: o.modules?.resolveFrom ?? process.cwd(),
      http:
        http === undefined
          ? undefined
          : {
              allow: http.allow,
              methods: (http.methods ?? ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).map((m) => m.toUpperCase()),
              timeoutMs: http.timeoutMs ?? 5_000,
              maxResponseBytes: http.maxResponseBytes ?? 1_000_000,
              fetch: http.fetch as typeof fetch | undefined,
              redirects: http.redirects ?? 'follow',
              allowAddresses: http.allowAddresses ?? [],
              lookup: http.lookup as HttpPolicy['lookup'],
              maxConcurrentRequests: http.maxConcurrentRequests ?? 10,
              maxRequests: http.maxRequests ?? 50,
            },
      crypto: o.modules?.crypto ?? false,
      host: o.modules?.host ?? {},
    },
    globals: o.globals ?? {},
    process: { env: { ...o.process?.env } },
    auth0: {
      domain: o.auth0?.domain,
      accessToken: o.auth0?.accessToken as ResolvedOptions['auth0']['accessToken'],
      managementApi: o.auth0?.managementApi as ResolvedOptions['auth0']['managementApi'],
    },
    clock: o.clock as (() => number) | undefined,
    random: o.random as (() => number) | undefined,
    hooks: (o.hooks ?? {}) as ResolvedOptions['hooks'],
  }
}

/** The enabled actions; an action named as a rule is a {@link ConfigInvalidError} (logs and errors would name one or the other). */
function enabledActions(rules: readonly RuleDefinition[], actions: readonly ActionDefinition[], what: string): ActionDefinition[] {
  const ruleNames = new Set(rules.map((rule) => rule.name))
  const clash = actions.map((action, index) => ({ action, index })).filter(({ action }) => ruleNames.has(action.name))
  if (clash.length > 0) {
    const issues = clash.map(({ action, index }) => ({
      path: ['actions', index, 'name'],
      code: 'custom',
      message: `'${action.name}' is also the name of a rule: logs and errors name one or the other`,
    }))
    throw new ConfigInvalidError(`${what}: ${describeIssues(issues)}`, issues)
  }
  return actions.filter((action) => action.enabled !== false)
}

/** Validate a rule set on its own (for `engine.update`). */
export function resolveRules(input: unknown): RuleDefinition[] {
  const parsed = ruleSetSchema.safeParse(input)
  if (!parsed.success) {
    const issues = toIssues(parsed.error, ['rules'])
    throw new ConfigInvalidError(`Invalid rule set: ${describeIssues(issues)}`, issues, parsed.error)
  }
  return parsed.data
}

/** Validate the actions that go with `rules` (for `engine.update`): the enabled ones, in order. */
export function resolveActions(input: unknown, rules: readonly RuleDefinition[]): ActionDefinition[] {
  const parsed = actionSetSchema.safeParse(input)
  if (!parsed.success) {
    const issues = toIssues(parsed.error, ['actions'])
    throw new ConfigInvalidError(`Invalid action set: ${describeIssues(issues)}`, issues, parsed.error)
  }
  return enabledActions(rules, parsed.data as ActionDefinition[], 'Invalid action set')
}

/**
 * Enabled rules in pipeline order: lowest `order` first, ties in list order, rules without `order`
 * last. The order {@link Engine.run} runs them in.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { pipelineOrder, type RuleDefinition } from '@tokenrules/engine'
 *
 * const noop = 'function (user, context, callback) { callback(null, user, context); }'
 * const rules: RuleDefinition[] = [
 *   { name: 'add-roles', script: noop, order: 2 },
 *   { name: 'audit', script: noop },
 *   { name: 'block-countries', script: noop, order: 1 },
 *   { name: 'old-ip-block', script: noop, order: 1, enabled: false },
 *   { name: 'add-plan', script: noop, order: 2 },
 * ]
 * // What a deployment check prints as "rules that will run, in order".
 * assert.deepEqual(pipelineOrder(rules).map((rule) => rule.name), ['block-countries', 'add-roles', 'add-plan', 'audit'])
 * ```
 */
export function pipelineOrder<T extends RuleDefinition>(rules: readonly T[]): T[] {
  return rules
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => rule.enabled !== false)
    .sort((a, b) => (a.rule.order ?? Infinity) - (b.rule.order ?? Infinity) || a.index - b.index)
    .map(({ rule }) => rule)
}
