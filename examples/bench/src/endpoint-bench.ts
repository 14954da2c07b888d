/**
 * The token endpoint (`@tokenrules/oauth`, password grant) over loopback under autocannon, in
 * set-ups that differ only in the rules, then with the rules on a SQLite file, on PostgreSQL and on
 * three nodes sharing one PostgreSQL, plus password hashing on its own.
 *
 * The endpoint comparison uses a cheap scrypt cost (N = 2^4, the lowest `hashPassword` accepts,
 * through the server's own `passwords.scryptCost` option and `hashSecret(…, { cost })`), so that
 * the share the rules add is visible; hashing at the production cost is measured separately, and
 * one short run shows the endpoint with it.
 */
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import autocannon from 'autocannon'
import { createEngine, type Engine, type RunInput, type RunResult } from '@tokenrules/engine'
import {
  DEFAULT_SCRYPT_COST,
  GRANT_TYPES,
  createTokenServer,
  hashPassword,
  hashSecret,
  toNodeListener,
  verifyPassword,
  type TokenServerStores,
} from '@tokenrules/oauth'
import { createPostgresStores } from '@tokenrules/oauth/postgres'
import { createSqliteStores } from '@tokenrules/oauth/sqlite'
// The PostgreSQL cluster the oauth tests start (Debian's postgresql, its own data directory, loopback only).
import { postgresBinDir, startPostgresServer } from '../../../packages/oauth/test/setup/postgres-server.js'
import { median, sleep, summarize } from './stats.js'
import { configuration, rules } from './workload.js'

export interface LoadFigures {
  connections: number
  durationSeconds: number
  requestsPerSecond: number
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number }
  non2xx: number
  errors: number
}

/** One request at a time from a keep-alive client in this process, timed to the microsecond. */
export interface SequentialFigures {
  requests: number
  requestsPerSecond: number
  latencyMs: { p50: number; p99: number; mean: number }
}

export interface EndpointVariant {
  name: string
  scryptCost: number
  /** Absent for the production-hashing run (one request at a time would only time scrypt). */
  latencyRun: SequentialFigures | undefined
  throughputRun: LoadFigures
}

export interface EndpointReport {
  hashing: {
    defaultCost: number
    verifyMsSequential: number
    verifiesPerSecondParallel: number
    parallelism: number
    cheapCost: number
    cheapVerifyMs: number
    perLoginAtDefaultCostMs: number
  }
  variants: EndpointVariant[]
  rulesShare: { latencyP50AddedMs: number; latencyP50AddedPercent: number; rpsLostPercent: number; versusEmptyRuleSetP50AddedPercent: number }
}

const CHEAP_COST = 2 ** 4
const SECRET = 'bench-client-secret-0123456789abcdef'
const PASSWORD = 'correct horse battery staple'
const AUDIENCE = 'https://api.bench.example.com'
/** Seals the signing keys in a SQLite file or PostgreSQL (the bench's own, thrown away after). */
const ENCRYPTION_KEY = new Uint8Array(32).fill(42)

/**
 * An `Engine` that runs nothing: the endpoint without a rules engine at all (the floor).
 * Bench-only: a real engine (so the server accepts it, typed as it is) whose `run` never calls
 * into the sandbox. The caller closes it.
 */
async function noRulesEngine(): Promise<Engine> {
  const engine = await createEngine({ rules: [] })
  engine.run = <U extends Record<string, unknown> = Record<string, unknown>>(input: RunInput): Promise<RunResult<U>> =>
    Promise.resolve({
      user: input.user as U,
      accessToken: { claims: {}, scope: undefined },
      idToken: { claims: {} },
      logs: [],
      warnings: [],
      rules: [],
      metadataUpdates: [],
    } as RunResult<U>)
  return engine
}

async function measureHashing(parallelism: number): Promise<EndpointReport['hashing']> {
  const hash = await hashPassword(PASSWORD)
  const sequential: number[] = []
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    await verifyPassword(PASSWORD, hash)
    sequential.push(performance.now() - t)
  }
  let verifies = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: parallelism }, async () => {
      while (performance.now() - start < 2000) {
        await verifyPassword(PASSWORD, hash)
        verifies++
      }
    }),
  )
  const verifiesPerSecondParallel = verifies / ((performance.now() - start) / 1000)
  const cheap = await hashPassword(PASSWORD, { cost: CHEAP_COST })
  const cheapTimes: number[] = []
  for (let i = 0; i < 50; i++) {
    const t = performance.now()
    await verifyPassword(PASSWORD, cheap)
    cheapTimes.push(performance.now() - t)
  }
  const verifyMsSequential = median(sequential)
  return {
    defaultCost: DEFAULT_SCRYPT_COST,
    verifyMsSequential,
    verifiesPerSecondParallel,
    parallelism,
    cheapCost: CHEAP_COST,
    cheapVerifyMs: median(cheapTimes),
    // A confidential client's login verifies two hashes: the client secret and the password.
    perLoginAtDefaultCostMs: 2 * verifyMsSequential,
  }
}

async function startServer(
  kind: 'none' | 'empty' | 'rules' | 'rules-thread',
  scryptCost: number,
  options: { stores?: TokenServerStores; createUser?: boolean } = {},
) {
  const own = kind === 'none' ? await noRulesEngine() : undefined
  // The token server's own engine runs its isolates in a child process (isolation: 'process');
  // 'rules-thread' is the same rule set with the isolates on this process's threads.
  const engine = own ?? { rules: kind === 'empty' ? [] : rules, configuration, ...(kind === 'rules-thread' ? { isolation: 'thread' as const } : {}) }
  const server = await createTokenServer({
    issuer: 'https://auth.bench.example.com/',
    engine,
    clients: [
      {
        clientId: 'reports-app',
        name: 'Reports',
        secretHash: await hashSecret(SECRET, { cost: scryptCost }),
        grants: [GRANT_TYPES.password, GRANT_TYPES.refreshToken],
      },
    ],
    apis: [{ identifier: AUDIENCE, scopes: ['read:reports', 'write:reports', 'admin'] }],
    directories: [{ name: 'Employees' }],
    passwords: { scryptCost },
    ...(options.stores === undefined ? {} : { stores: options.stores, encryptionKey: ENCRYPTION_KEY }),
  })
  if (options.createUser !== false)
    await server.users.create({
      directory: 'Employees',
      email: 'ada.lovelace@example.com',
      password: PASSWORD,
      email_verified: true,
      name: 'Ada Lovelace',
      app_metadata: { roles: ['admin', 'reports:reader'], plan: 'enterprise', org_id: 'org_7Hq2', suspended: false },
      user_metadata: { locale: 'en-GB', theme: 'dark' },
    })
  const http: Server = createServer(toNodeListener(server.handler))
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/oauth/token`
  return {
    url,
    async close() {
      http.closeAllConnections()
      http.close()
      await server.close()
      await own?.close()
    },
  }
}

const body = new URLSearchParams({
  grant_type: 'password',
  username: 'ada.lovelace@example.com',
  password: PASSWORD,
  client_id: 'reports-app',
  client_secret: SECRET,
  audience: AUDIENCE,
  scope: 'openid profile email read:reports write:reports',
}).toString()

async function load(url: string, connections: number, durationSeconds: number): Promise<LoadFigures> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    connections,
    duration: durationSeconds,
  })
  return {
    connections,
    durationSeconds,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: result.latency.average, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

async function sequential(url: string, seconds: number): Promise<SequentialFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const target = new URL(url)
  const once1 = () =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now()
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume()
          res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`status ${res.statusCode}`))))
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  const samples: number[] = []
  const start = performance.now()
  while (performance.now() - start < seconds * 1000) samples.push((await once1()) * 1000)
  const elapsed = (performance.now() - start) / 1000
  agent.destroy()
  const s = summarize(samples)
  return { requests: samples.length, requestsPerSecond: samples.length / elapsed, latencyMs: { p50: s.p50 / 1000, p99: s.p99 / 1000, mean: s.mean / 1000 } }
}

async function variant(
  name: string,
  kind: 'none' | 'empty' | 'rules' | 'rules-thread',
  scryptCost: number,
  seconds: { latency: number; throughput: number },
  connections: number,
  stores?: TokenServerStores,
) {
  const server = await startServer(kind, scryptCost, stores === undefined ? {} : { stores })
  try {
    // One checked login: the rules' claims must be in the access token (or absent without rules).
    const check = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
    const answer = (await check.json()) as { access_token?: string; error?: string }
    if (check.status !== 200 || answer.access_token === undefined) throw new Error(`${name}: login failed: ${JSON.stringify(answer)}`)
    const claims = JSON.parse(Buffer.from(answer.access_token.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>
    const hasRoles = 'https://bench.example.com/roles' in claims
    if (hasRoles !== (kind === 'rules' || kind === 'rules-thread')) throw new Error(`${name}: unexpected claims ${JSON.stringify(claims)}`)
    // No warm-up at the production cost: requests left in flight would keep scrypt's threads busy.
    const latencyRun = seconds.latency > 0 ? (await sequential(server.url, 1), await sequential(server.url, seconds.latency)) : undefined
    const throughputRun = await load(server.url, connections, seconds.throughput)
    const v: EndpointVariant = { name, scryptCost, latencyRun, throughputRun }
    const c1 =
      latencyRun === undefined
        ? 'c=1: —'
        : `c=1: p50 ${latencyRun.latencyMs.p50.toFixed(2)} ms, p99 ${latencyRun.latencyMs.p99.toFixed(2)} ms, ${latencyRun.requestsPerSecond.toFixed(0)} req/s`
    console.log(
      `  ${name.padEnd(44)} ${c1} | ` +
        `c=${connections}: ${throughputRun.requestsPerSecond.toFixed(0)} req/s, p50 ${throughputRun.latencyMs.p50} ms, p99 ${throughputRun.latencyMs.p99} ms` +
        (throughputRun.non2xx + throughputRun.errors > 0 ? ` (non-2xx ${throughputRun.non2xx}, errors ${throughputRun.errors})` : ''),
    )
    return v
  } finally {
    await server.close()
  }
}

/** `load` against several nodes at once (the connections shared out), summed: requests/s added up, the worst node's latencies. */
async function loadNodes(urls: readonly string[], connections: number, durationSeconds: number): Promise<LoadFigures> {
  const each = Math.max(1, Math.round(connections / urls.length))
  const runs = await Promise.all(urls.map((url) => load(url, each, durationSeconds)))
  const worst = (pick: (run: LoadFigures) => number) => Math.max(...runs.map(pick))
  return {
    connections: each * urls.length,
    durationSeconds,
    requestsPerSecond: runs.reduce((sum, run) => sum + run.requestsPerSecond, 0),
    latencyMs: {
      p50: worst((run) => run.latencyMs.p50),
      p90: worst((run) => run.latencyMs.p90),
      p99: worst((run) => run.latencyMs.p99),
      mean: runs.reduce((sum, run) => sum + run.latencyMs.mean, 0) / runs.length,
      max: worst((run) => run.latencyMs.max),
    },
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  }
}

/**
 * The 5-rule endpoint on stores that persist: a SQLite file, PostgreSQL (a cluster of its own on
 * loopback), and three token servers on that one PostgreSQL, each with its own pool and engine,
 * the load spread over them. Without PostgreSQL installed, its two set-ups are left out.
 */
async function storeVariants(seconds: { latency: number; throughput: number }, connections: number): Promise<EndpointVariant[]> {
  const out: EndpointVariant[] = []
  const dir = mkdtempSync(join(tmpdir(), 'tokenrules-bench-'))
  try {
    const sqlite = createSqliteStores({ path: join(dir, 'tokenrules.db') })
    try {
      out.push(await variant('engine, 5 rules, SQLite file, N=2^4', 'rules', CHEAP_COST, seconds, connections, sqlite))
    } finally {
      sqlite.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  if (postgresBinDir() === undefined) {
    console.log('  (PostgreSQL is not installed: its set-ups are left out; `pnpm setup:system` in packages/oauth installs it)')
    return out
  }
  const cluster = await startPostgresServer()
  try {
    const one = await createPostgresStores({ connectionString: await cluster.createDatabase('bench_one') })
    try {
      await sleep(200)
      out.push(await variant('engine, 5 rules, PostgreSQL, N=2^4', 'rules', CHEAP_COST, seconds, connections, one))
    } finally {
      await one.close()
    }
    const url = await cluster.createDatabase('bench_three')
    const pools = await Promise.all([1, 2, 3].map(() => createPostgresStores({ connectionString: url })))
    const nodes: Awaited<ReturnType<typeof startServer>>[] = []
    try {
      for (const [index, stores] of pools.entries()) nodes.push(await startServer('rules', CHEAP_COST, { stores, createUser: index === 0 }))
      await sleep(200)
      const throughputRun = await loadNodes(
        nodes.map((node) => node.url),
        connections,
        seconds.throughput,
      )
      console.log(
        `  ${'engine, 5 rules, 3 nodes on one PostgreSQL, N=2^4'.padEnd(44)} c=1: — | ` +
          `c=${throughputRun.connections}: ${throughputRun.requestsPerSecond.toFixed(0)} req/s, p50 ${throughputRun.latencyMs.p50} ms, p99 ${throughputRun.latencyMs.p99} ms (worst node)` +
          (throughputRun.non2xx + throughputRun.errors > 0 ? ` (non-2xx ${throughputRun.non2xx}, errors ${throughputRun.errors})` : ''),
      )
      out.push({ name: 'engine, 5 rules, 3 nodes on one PostgreSQL, N=2^4', scryptCost: CHEAP_COST, latencyRun: undefined, throughputRun })
    } finally {
      for (const node of nodes) await node.close()
      for (const stores of pools) await stores.close()
    }
  } finally {
    await cluster.stop()
  }
  return out
}

export async function benchEndpoint(options: { durationSeconds: number; connections: number }): Promise<EndpointReport> {
  const hashing = await measureHashing(options.connections)
  console.log(
    `  scrypt N=2^15 (default): verify ${hashing.verifyMsSequential.toFixed(1)} ms; ${hashing.verifiesPerSecondParallel.toFixed(0)} verifies/s with ${hashing.parallelism} in flight; ` +
      `a confidential client's login verifies 2 hashes ≈ ${hashing.perLoginAtDefaultCostMs.toFixed(0)} ms. N=2^4 (bench): ${hashing.cheapVerifyMs.toFixed(3)} ms`,
  )
  const seconds = { latency: Math.max(2, options.durationSeconds - 1), throughput: options.durationSeconds }
  const none = await variant('no rules engine (pass-through), N=2^4', 'none', CHEAP_COST, seconds, options.connections)
  await sleep(200)
  const empty = await variant('engine, empty rule set, N=2^4', 'empty', CHEAP_COST, seconds, options.connections)
  await sleep(200)
  const withRules = await variant('engine, 5 rules, N=2^4', 'rules', CHEAP_COST, seconds, options.connections)
  await sleep(200)
  const inThreads = await variant("engine, 5 rules, isolation: 'thread', N=2^4", 'rules-thread', CHEAP_COST, seconds, options.connections)
  await sleep(200)
  const production = await variant(
    'engine, 5 rules, N=2^15 (production hashing)',
    'rules',
    DEFAULT_SCRYPT_COST,
    { latency: 0, throughput: options.durationSeconds },
    options.connections,
  )
  await sleep(200)
  const stored = await storeVariants(seconds, options.connections)
  const rps = (name: string) => [withRules, ...stored].find((v) => v.name.includes(name))?.throughputRun.requestsPerSecond
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`)
  console.log(
    `  req/s ratios: SQLite ÷ memory ${ratio(rps('SQLite'), withRules.throughputRun.requestsPerSecond)}, ` +
      `PostgreSQL ÷ SQLite ${ratio(rps(', PostgreSQL,'), rps('SQLite'))}, 3 nodes ÷ 1 node on PostgreSQL ${ratio(rps('3 nodes'), rps(', PostgreSQL,'))}`,
  )
  const p50 = (v: EndpointVariant) => v.latencyRun?.latencyMs.p50 ?? Number.NaN
  return {
    hashing,
    variants: [none, empty, withRules, inThreads, production, ...stored],
    rulesShare: {
      latencyP50AddedMs: p50(withRules) - p50(none),
      latencyP50AddedPercent: ((p50(withRules) - p50(none)) / p50(none)) * 100,
      rpsLostPercent: (1 - withRules.throughputRun.requestsPerSecond / none.throughputRun.requestsPerSecond) * 100,
      versusEmptyRuleSetP50AddedPercent: ((p50(withRules) - p50(empty)) / p50(empty)) * 100,
    },
  }
}
