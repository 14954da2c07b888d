/**
 * A small warm-path benchmark of the engine: one 5-rule set, sequential and concurrent runs.
 * `pnpm bench` prints latency percentiles and throughput; nothing here is asserted.
 */
import { availableParallelism } from 'node:os'
import { createEngine, type RunInput } from '@tokenrules/engine'

const rules = [
  {
    name: 'roles',
    script: `function (user, context, callback) {
      context.accessToken['https://bench.example/roles'] = (user.app_metadata && user.app_metadata.roles) || [];
      callback(null, user, context);
    }`,
  },
  {
    name: 'email-claim',
    script: `function (user, context, callback) {
      context.idToken['https://bench.example/email'] = user.email;
      callback(null, user, context);
    }`,
  },
  {
    name: 'scopes-by-client',
    script: `function (user, context, callback) {
      if (context.clientID === 'reports-app') context.accessToken.scope = ['read:reports'];
      callback(null, user, context);
    }`,
  },
  {
    name: 'deny-blocked-domain',
    script: `function (user, context, callback) {
      if (/@blocked\\.example$/.test(user.email)) return callback(new UnauthorizedError('blocked domain'));
      callback(null, user, context);
    }`,
  },
  {
    name: 'global-cache',
    script: `function (user, context, callback) {
      global.plans = global.plans || { gold: ['a', 'b'], silver: ['a'] };
      context.accessToken['https://bench.example/features'] = global.plans[user.app_metadata.plan] || [];
      callback(null, user, context);
    }`,
  },
]

const input: RunInput = {
  user: {
    user_id: 'auth0|bench',
    email: 'ada@example.com',
    email_verified: true,
    app_metadata: { roles: ['admin', 'reader'], plan: 'gold' },
    user_metadata: { theme: 'dark' },
  },
  context: {
    clientID: 'reports-app',
    protocol: 'oauth2-password',
    connection: 'Employees',
    request: { ip: '203.0.113.7', body: { grant_type: 'password', scope: 'openid read:reports' } },
  },
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

const cores = availableParallelism()
const coldStart = performance.now()
const engine = await createEngine({ rules: [...rules, ...rules.map((r) => ({ ...r, name: `${r.name}-2` }))], concurrency: 1 })
const coldMs = performance.now() - coldStart
await engine.close()

await using sequential = await createEngine({ rules, concurrency: 1 })
for (let i = 0; i < 500; i++) await sequential.run(input)
const samples: number[] = []
for (let i = 0; i < 3000; i++) {
  const t = performance.now()
  await sequential.run(input)
  samples.push((performance.now() - t) * 1000)
}
samples.sort((a, b) => a - b)

await using parallel = await createEngine({ rules, concurrency: cores })
const runs = 6000
let done = 0
const started = performance.now()
await Promise.all(
  Array.from({ length: cores * 4 }, async () => {
    while (done < runs) {
      done++
      await parallel.run(input)
    }
  }),
)
const throughput = runs / ((performance.now() - started) / 1000)

console.log(`tokenrules engine, 5-rule set, Node ${process.version}, ${cores} cores`)
console.log(`  cold createEngine, 10 rules, 1 isolate : ${coldMs.toFixed(1)} ms`)
console.log(`  warm run, concurrency 1   p50 / p99   : ${percentile(samples, 50).toFixed(0)} µs / ${percentile(samples, 99).toFixed(0)} µs`)
console.log(`  throughput, concurrency ${cores}            : ${throughput.toFixed(0)} runs/s`)
