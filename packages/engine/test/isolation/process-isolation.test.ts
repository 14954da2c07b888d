/**
 * `isolation: 'process'` (issue 14, class 1: the process boundary). The isolates live in a child
 * process the engine supervises; the host functions stay in this one. Rules see the same thing as
 * with `isolation: 'thread'` (each case runs on both and compares), and a thread that parks in
 * native code V8 cannot interrupt costs a child process, which the supervisor replaces and ends:
 * no thread is left behind in any process, and runs are never refused for it.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, isTokenRulesError, type Engine, type EngineOptions } from '@tokenrules/engine'
import { passwordInput, rule } from '../helpers.js'

/** The isolates' child processes this test process has started (lib/process-child). */
function childProcesses(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim()
  return out
    .split('\n')
    .filter((line) => line.includes('process-child'))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
}

async function outcome(engine: Engine, input = passwordInput()) {
  try {
    const result = await engine.run(input, { includeContext: true })
    return {
      ok: true,
      accessToken: result.accessToken.claims,
      idToken: result.idToken.claims,
      scope: result.accessToken.scope,
      user: result.user,
      // When a line was written (atMs) is timing, not behaviour.
      logs: result.logs.map(({ atMs: _atMs, ...entry }) => entry),
    }
  } catch (error) {
    return { ok: false, code: isTokenRulesError(error) ? error.code : String(error), message: (error as Error).message }
  }
}

const engines: Engine[] = []
afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()))
})

async function both(options: EngineOptions) {
  const thread = await createEngine({ concurrency: 1, ...options, isolation: 'thread' })
  const proc = await createEngine({ concurrency: 1, ...options, isolation: 'process' })
  engines.push(thread, proc)
  return { thread, proc }
}

const updates: unknown[] = []
const CASES: Record<string, EngineOptions> = {
  'claims, scope and user changes': {
    rules: [
      rule(
        'claims',
        `context.accessToken['https://x.example/roles'] = user.app_metadata.roles
         context.idToken['https://x.example/email'] = user.email
         context.accessToken.scope = ['read:a']
         user.app_metadata.seen = true
         console.log('hello', user.email)
         callback(null, user, context)`,
      ),
    ],
  },
  'a synchronous global, an object of functions, and a callback-style host function': {
    rules: [
      rule(
        'host',
        `const n = ping(2)
         const word = lookup.word('b')
         lookup.later(7, function (err, value) {
           context.accessToken['https://x.example/r'] = [n, word, value]
           callback(null, user, context)
         })`,
      ),
    ],
    globals: {
      ping: (n: number) => n * 21,
      lookup: { word: (s: string) => s.toUpperCase(), later: (n: number, cb: (e: null, v: number) => void) => setTimeout(() => cb(null, n * 2), 5) },
    },
  },
  'a host function that returns a promise, awaited by an async rule': {
    rules: [
      {
        name: 'async',
        script: `async function (user, context, callback) {
          const geo = require('geo')
          const [a, b] = await Promise.all([geo.country(user.email), geo.country('x')])
          context.idToken['https://x.example/geo'] = a + '/' + b
          callback(null, user, context)
        }`,
      },
    ],
    modules: { host: { geo: { country: async (s: string) => (s.includes('@') ? 'NL' : 'unknown') } } },
  },
  'timers and a metadata update through the hook': {
    rules: [
      rule(
        'meta',
        `setTimeout(function () {
           auth0.users.updateAppMetadata(user.user_id, { plan: 'platinum' }).then(function () {
             context.accessToken['https://x.example/plan'] = 'platinum'
             callback(null, user, context)
           }, callback)
         }, 5)`,
      ),
    ],
    hooks: { updateAppMetadata: async (userId: string, metadata: Record<string, unknown>) => void updates.push([userId, metadata]) },
  },
  'a host function that throws': {
    rules: [rule('throws', `try { fail() } catch (e) { context.accessToken['https://x.example/e'] = e.message } callback(null, user, context)`)],
    globals: {
      fail: () => {
        throw new Error('no such user')
      },
    },
  },
  UnauthorizedError: { rules: [rule('deny', `callback(new UnauthorizedError('blocked'))`)] },
  'an exception': { rules: [rule('throw', `null.x`)], errors: { exposeExceptionMessages: true } },
  'a sync loop past the budget': { rules: [rule('spin', `for (;;) {}`)], limits: { timeoutMs: 300 } },
  'a heap bomb': { rules: [rule('bomb', `const a = []; for (;;) a.push({ s: 'x' + a.length })`)], limits: { timeoutMs: 5_000, memoryLimitMb: 16 } },
}

describe("isolation: 'process' answers as isolation: 'thread' does", () => {
  it.each(Object.entries(CASES))('%s', async (_name, options) => {
    const { thread, proc } = await both(options)
    const a = await outcome(thread)
    const b = await outcome(proc)
    expect(b).toEqual(a)
    // Twice: the second run in the same child sees what the second in-process run sees.
    expect(await outcome(proc)).toEqual(await outcome(thread))
  })

  it('a rule that does not compile is refused at creation, with its line (RuleCompileError)', async () => {
    const broken = { name: 'broken', script: 'function (user, context, callback) {\n  callback(null, user, context\n}' }
    const fail = (isolation: 'thread' | 'process') =>
      createEngine({ isolation, rules: [broken] }).then(
        () => undefined,
        (e: unknown) => e as { code: string; rule: string; line: number; message: string },
      )
    const [inThread, inProcess] = [await fail('thread'), await fail('process')]
    expect(inProcess).toMatchObject({ code: 'ERR_RULE_COMPILE', rule: 'broken', line: inThread?.line, message: inThread?.message })
  })

  it('engine.update() compiles the new rules in a new child; the old child ends', async () => {
    const engine = await createEngine({
      isolation: 'process',
      concurrency: 1,
      rules: [rule('v1', `context.idToken['https://x.example/v'] = 1; callback(null, user, context)`)],
    })
    engines.push(engine)
    expect((await engine.run(passwordInput())).idToken.claims['https://x.example/v']).toBe(1)
    await engine.update([rule('v2', `context.idToken['https://x.example/v'] = 2; callback(null, user, context)`)])
    expect((await engine.run(passwordInput())).idToken.claims['https://x.example/v']).toBe(2)
  })
})

const NATIVE_LOOP = `'x'.repeat(2 ** 24).replace(/x/g, () => 'y'.repeat(31))`

describe('a thread that parks costs its child process, not this one', () => {
  it('the run settles by its deadline; the next login gets its token; the parked child ends; no isolate is ever refused', async () => {
    const before = childProcesses().length
    const heard: string[] = []
    const engine = await createEngine({
      isolation: 'process',
      concurrency: 2,
      // With threads, a limit of 1 refuses isolates after two parks; a process boundary never needs to.
      limits: { timeoutMs: 600, maxParkedThreads: 1 },
      rules: [rule('attack', `if (user.app_metadata.attack) { ${NATIVE_LOOP} } context.idToken['https://x.example/ok'] = true; callback(null, user, context)`)],
      hooks: { onCatastrophicError: (message) => void heard.push(message) },
    })
    engines.push(engine)
    const attack = passwordInput({ user: { app_metadata: { attack: true } } })
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      expect(await outcome(engine, attack)).toMatchObject({ ok: false, code: 'ERR_RULE_TIMEOUT' })
      // Deadline 600 ms, the sandbox's grace 250 ms, and slack for a loaded machine.
      expect(performance.now() - t0).toBeLessThan(600 + 250 + 1_500)
      expect(await outcome(engine)).toMatchObject({ ok: true, idToken: { 'https://x.example/ok': true } })
    }
    // A park is heard when a thread is still out 3 s after its isolate's disposal (these loops end
    // some seconds after the kill; how many depends on the machine), unless its child ended first.
    // Each child that heard one ends: what is left is the one serving child.
    for (const message of heard) expect(message).toMatch(/parked in native code|failed to terminate/)
    // Parked threads end with their children: none is parked anywhere once they are gone.
    await expect.poll(() => engine.stats.parked, { timeout: 15_000 }).toBe(0)
    await expect.poll(() => childProcesses().length - before, { timeout: 15_000 }).toBe(1)
    expect(await outcome(engine)).toMatchObject({ ok: true })
  })

  it('a fatal out-of-memory error in the child: the run is ERR_RULE_MEMORY_LIMIT, a fresh child serves the next logins, nothing is refused', async () => {
    const heard: string[] = []
    const engine = await createEngine({
      isolation: 'process',
      concurrency: 1,
      limits: { timeoutMs: 5_000, memoryLimitMb: 64, maxParkedThreads: 1 },
      rules: [rule('bomb', `if (user.app_metadata.attack) { var k = 'n'.repeat(40 * 1024 * 1024); var o = {}; o[k] = 1 } callback(null, user, context)`)],
      hooks: { onCatastrophicError: (message) => void heard.push(message) },
    })
    engines.push(engine)
    const attack = passwordInput({ user: { app_metadata: { attack: true } } })
    const codes: string[] = []
    // V8 usually gives up on this isolate; each time, the child that held it is replaced.
    for (let i = 0; i < 3; i++) {
      const result = await outcome(engine, attack)
      codes.push(result.ok ? 'resolved' : String(result.code))
      expect(await outcome(engine)).toMatchObject({ ok: true })
    }
    expect(codes).toContain('ERR_RULE_MEMORY_LIMIT')
    expect(heard.length).toBeGreaterThan(0)
    expect(engine.stats.catastrophes).toBe(heard.length)
  })

  it('a child killed from outside: its runs fail typed (ERR_ENGINE_INTERNAL), a fresh child serves the next', async () => {
    const engine = await createEngine({
      isolation: 'process',
      concurrency: 1,
      limits: { timeoutMs: 5_000 },
      rules: [rule('slow', `setTimeout(function () { callback(null, user, context) }, 2000)`)],
    })
    engines.push(engine)
    const running = outcome(engine)
    await new Promise((resolve) => setTimeout(resolve, 200))
    // Kill every child this test process has: the other engines' children come back as well.
    for (const pid of childProcesses()) process.kill(pid, 'SIGKILL')
    expect(await running).toMatchObject({ ok: false, code: 'ERR_ENGINE_INTERNAL', message: expect.stringMatching(/ended while the rules ran \(SIGKILL\)/) })
    expect(await outcome(engine)).toMatchObject({ ok: true })
  })

  it('close() ends the child', async () => {
    const before = childProcesses().length
    const engine = await createEngine({ isolation: 'process', concurrency: 1, rules: [rule('ok', 'callback(null, user, context)')] })
    expect(childProcesses().length).toBe(before + 1)
    await engine.run(passwordInput())
    await engine.close()
    await expect.poll(() => childProcesses().length, { timeout: 5_000 }).toBe(before)
  })
})
