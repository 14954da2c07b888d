/**
 * Several tenants' engines in one process, some running hostile rules (sync loops, heap bombs,
 * callbacks never called, microtask loops, and the red team's attacks of issue 14: native loops
 * V8 cannot interrupt, host work meant to stall the main thread, forged JWTs, memory outside the
 * heap limit, floods of warnings) while the others run normal ones. Used by the in-suite load test
 * (short) and by `pnpm soak` (long, prints heap, RSS, event-loop delay and parked threads over
 * time). No network at all.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createEngine, isTokenRulesError, type Engine, type EngineOptions, type EngineStats, type RunInput } from '@tokenrules/engine'

export interface Tenant {
  name: string
  hostile: boolean
  /** The run's expected failure code (hostile tenants), or undefined (normal tenants succeed). */
  expect?: string | readonly string[]
  options: EngineOptions
}

const input = (n: number): RunInput => ({
  user: {
    user_id: `auth0|${n}`,
    email: `user${n}@example.com`,
    email_verified: true,
    app_metadata: { roles: n % 3 === 0 ? ['admin'] : ['user'], plan: 'gold' },
    user_metadata: { theme: 'dark' },
  },
  context: { clientID: 'app', clientName: 'App', protocol: 'oauth2-password', connection: 'Employees', request: { ip: '203.0.113.7' } },
})

const NORMAL_RULES = [
  {
    name: 'roles',
    script: `function (user, context, callback) {
      context.accessToken['https://t.example/roles'] = user.app_metadata.roles;
      context.idToken['https://t.example/email'] = user.email;
      callback(null, user, context);
    }`,
  },
  {
    name: 'async-work',
    script: `async function (user, context, callback) {
      await new Promise(function (resolve) { setTimeout(resolve, 2); });
      var seen = global.seen = (global.seen || 0) + 1;
      context.accessToken['https://t.example/n'] = seen > 0;
      context.accessToken['https://t.example/plan'] = user.app_metadata.plan + ':' + configuration.TIER;
      callback(null, user, context);
    }`,
  },
]

/** An RS256 public key, and an HS256 token MACed with that key's PEM: must never verify. */
function forgedToken(): { publicKey: string; token: string } {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'attacker', admin: true })}`
  return { publicKey: pem, token: `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}` }
}

/** Issue 14's attacks, one per run in turn; each must end typed, none may succeed. */
const RED_TEAM_ATTACKS = [
  // Class 1: array-likes whose native loops V8 never interrupts (refused by the guest's guards).
  'Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1 }, 1)',
  'Array.prototype.includes.call({ length: 2 ** 53 - 1 }, 1)',
  'Array.prototype.join.call({ length: 2 ** 30 })',
  // Class 2: host work sized to stall the main thread.
  "require('crypto').createHash('sha256').update('x'.repeat(8 << 20)).digest('hex'); for (;;) {}",
  "new URL('https://a.example/?' + 'q=1&'.repeat(1 << 20)); for (;;) {}",
  // Class 3: memory outside the heap limit.
  'var b = new ArrayBuffer(1, { maxByteLength: 2 ** 31 }); b.resize(2 ** 31)',
  'new WebAssembly.Memory({ initial: 1, maximum: 65536 }).grow(30000)',
  "global.kept = []; for (var i = 0; i < 1e6; i++) global.kept.push(new Intl.DateTimeFormat('en', { timeZone: 'UTC', dateStyle: 'full' }))",
  'global.kept = []; for (var i = 0; i < 1e3; i++) { var r = new ArrayBuffer(1, { maxByteLength: 1 << 23 }); r.resize(1 << 23); global.kept.push(r) }',
  // Class 5: metadata the hook must never see (a __proto__ key below the old depth limit, a function).
  'auth0.users.updateAppMetadata(user.user_id, JSON.parse(\'{"a":{"__proto__":{"polluted":true}}}\'))',
  'auth0.users.updateAppMetadata(user.user_id, { audit: { onSave: function () {} } })',
  // Class 6: a host function's source (refused before the capability runs), and a flood of
  // duplicate callbacks (the warnings they cause are capped).
  "require('url').format({ protocol: 'http', host: function () {} })",
  "for (var i = 0; i < 150000; i++) callback(new UnauthorizedError('flood'))",
  // Class 7: an HS256 token MACed with the RS256 public key.
  "require('jsonwebtoken').verify(configuration.FORGED, configuration.PUBLIC_KEY); throw new Error('the forged token verified')",
]

/** The tenants: three normal, four hostile (budgets as a real server would set them). */
export function tenants(): Tenant[] {
  const forged = forgedToken()
  const normal = (name: string, concurrency: number): Tenant => ({
    name,
    hostile: false,
    options: { rules: NORMAL_RULES, configuration: { TIER: name }, concurrency, limits: { timeoutMs: 2_000, memoryLimitMb: 64 } },
  })
  return [
    normal('normal-a', 2),
    normal('normal-b', 1),
    normal('normal-c', 1),
    {
      name: 'sync-loop',
      hostile: true,
      expect: 'ERR_RULE_TIMEOUT',
      options: {
        rules: [{ name: 'spin', script: 'function (user, context, callback) { for (;;) {} }' }],
        concurrency: 1,
        limits: { timeoutMs: 250, memoryLimitMb: 32 },
      },
    },
    {
      name: 'heap-bomb',
      hostile: true,
      expect: ['ERR_RULE_MEMORY_LIMIT', 'ERR_RULE_TIMEOUT'],
      options: {
        rules: [{ name: 'bomb', script: "function (user, context, callback) { var a = []; for (;;) a.push({ i: a.length, s: 'x' + a.length }); }" }],
        concurrency: 1,
        limits: { timeoutMs: 3_000, memoryLimitMb: 16 },
      },
    },
    {
      name: 'silent',
      hostile: true,
      expect: 'ERR_RULE_TIMEOUT',
      options: {
        rules: [
          {
            name: 'never-calls-back',
            script: `function (user, context, callback) {
              if (user.user_id.slice(-1) === '0') { Promise.resolve().then(function loop() { return Promise.resolve().then(loop); }); return; }
              new Promise(function () {});
            }`,
          },
        ],
        concurrency: 2,
        limits: { timeoutMs: 200, memoryLimitMb: 32 },
      },
    },
    {
      name: 'red-team',
      hostile: true,
      expect: ['ERR_RULE_EXCEPTION', 'ERR_RULE_TIMEOUT', 'ERR_RULE_MEMORY_LIMIT', 'ERR_RULE_UNAUTHORIZED', 'ERR_RULE_RESULT_INVALID'],
      options: {
        rules: [
          {
            name: 'attacks',
            script: `function (user, context, callback) {
              var attacks = [${RED_TEAM_ATTACKS.map((a) => `function () { ${a} }`).join(',\n')}];
              attacks[Number(user.user_id.split('|')[1]) % attacks.length]();
              callback(new UnauthorizedError('the attack returned'));
            }`,
          },
        ],
        concurrency: 1,
        configuration: { FORGED: forged.token, PUBLIC_KEY: forged.publicKey },
        // Reached only if hostile metadata got past both checks: the run would then end untyped for the soak.
        hooks: {
          updateAppMetadata: () => {
            throw new Error('hostile metadata reached the hook')
          },
        },
        modules: { crypto: true, packages: ['url'] },
        limits: { timeoutMs: 400, memoryLimitMb: 32 },
      },
    },
  ]
}

export interface TenantReport {
  name: string
  hostile: boolean
  runs: number
  ok: number
  /** Failure codes seen, with counts. */
  codes: Record<string, number>
  /** Runs that ended in a way not expected for this tenant (message of each, first 10). */
  unexpected: string[]
  /** Slowest run, ms. */
  maxMs: number
  stats: EngineStats | undefined
}

export interface MemorySample {
  atMs: number
  heapUsedMb: number
  rssMb: number
  /** Longest event-loop delay since the previous sample, ms (perf_hooks, 10 ms resolution). */
  loopDelayMaxMs: number
  /** 99th percentile of the event-loop delay since the previous sample, ms. */
  loopDelayP99Ms: number
  /** Isolate threads parked in native code, over every engine. */
  parked: number
}

export interface LoadReport {
  tenants: TenantReport[]
  samples: MemorySample[]
  durationMs: number
}

const mb = (n: number) => Math.round((n / 1_048_576) * 10) / 10

/**
 * Run every tenant's engine flat out (each keeps `concurrency` runs in flight) for `durationMs`,
 * sampling memory every `sampleMs`; then close every engine. Stops by itself.
 */
export async function runLoad(options: {
  durationMs: number
  sampleMs: number
  /** Pause of hostile tenants between runs (0: flat out), to bound the CPU the test takes from others. */
  hostilePauseMs?: number
  /** Pause of normal tenants between runs (0: flat out). */
  normalPauseMs?: number
  onSample?: (s: MemorySample, r: TenantReport[]) => void
}): Promise<LoadReport> {
  const list = tenants()
  const engines: Engine[] = []
  try {
    for (const t of list) engines.push(await createEngine(t.options))
    const reports: TenantReport[] = list.map((t) => ({
      name: t.name,
      hostile: t.hostile,
      runs: 0,
      ok: 0,
      codes: {},
      unexpected: [],
      maxMs: 0,
      stats: undefined,
    }))
    const started = performance.now()
    const end = started + options.durationMs
    const samples: MemorySample[] = []
    const loop = monitorEventLoopDelay({ resolution: 10 })
    loop.enable()
    const ms = (ns: number) => Math.round(ns / 1e5) / 10
    const sample = () => {
      // The delay first: the forced collection below is the sampler's own pause, not a rule's.
      const loopDelayMaxMs = ms(loop.max)
      const loopDelayP99Ms = ms(loop.percentile(99))
      // Under `node --expose-gc` (the soak), sample what survives a collection.
      ;(globalThis as { gc?: () => void }).gc?.()
      loop.reset()
      const m = process.memoryUsage()
      const parked = engines.reduce((sum, engine) => sum + engine.stats.parked, 0)
      const s = { atMs: Math.round(performance.now() - started), heapUsedMb: mb(m.heapUsed), rssMb: mb(m.rss), loopDelayMaxMs, loopDelayP99Ms, parked }
      samples.push(s)
      options.onSample?.(s, reports)
    }
    sample()
    const sampler = setInterval(sample, options.sampleMs)
    let n = 0
    const worker = async (i: number) => {
      const t = list[i] as Tenant
      const engine = engines[i] as Engine
      const report = reports[i] as TenantReport
      while (performance.now() < end) {
        const runStarted = performance.now()
        report.runs++
        try {
          const result = await engine.run(input(n++))
          if (t.hostile) report.unexpected.push('a hostile run succeeded')
          else if (!Array.isArray(result.accessToken.claims['https://t.example/roles'])) report.unexpected.push('claims missing')
          else report.ok++
        } catch (error) {
          const code = isTokenRulesError(error) ? error.code : `untyped: ${String(error)}`
          report.codes[code] = (report.codes[code] ?? 0) + 1
          const expected = t.expect === undefined ? [] : typeof t.expect === 'string' ? [t.expect] : t.expect
          if (!expected.includes(code) && report.unexpected.length < 10) report.unexpected.push(`${code}: ${(error as Error).message}`)
        }
        report.maxMs = Math.max(report.maxMs, Math.round(performance.now() - runStarted))
        const pause = t.hostile ? (options.hostilePauseMs ?? 0) : (options.normalPauseMs ?? 0)
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause))
      }
    }
    const workers: Promise<void>[] = []
    list.forEach((t, i) => {
      for (let k = 0; k < (t.options.concurrency ?? 1); k++) workers.push(worker(i))
    })
    await Promise.all(workers)
    clearInterval(sampler)
    sample()
    loop.disable()
    engines.forEach((engine, i) => ((reports[i] as TenantReport).stats = { ...engine.stats }))
    return { tenants: reports, samples, durationMs: Math.round(performance.now() - started) }
  } finally {
    await Promise.all(engines.map((engine) => engine.close()))
  }
}
