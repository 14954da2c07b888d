/**
 * docs/behaviour.md#globals: the globals a rule can use (`configuration`, `global`, `UnauthorizedError`,
 * `console`, timers, `require`) and the host things a rule must not see.
 */
import type { EngineOptions, LogEntry, RunInput, RunResult } from '@tokenrules/engine'
import { describe, expect, it, vi } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

const notAllowed = (name: string) =>
  `Cannot require '${name}': the integrator has not allowed this module in rules (allow it with the engine option modules.packages, modules.http, modules.crypto or modules.host).`

const GENERIC_500 = {
  status: 500,
  body: { error: 'server_error', error_description: 'The server encountered an unexpected error.' },
}

async function runRules(rules: EngineOptions['rules'], options: Partial<EngineOptions> = {}, input: RunInput = passwordInput()): Promise<RunResult> {
  await using engine = await engineWith(rules, options)
  return await engine.run(input)
}

/** Run one rule whose body puts what it observed in `context.idToken['https://t/…']` and calls back. */
function runBody(body: string, options: Partial<EngineOptions> = {}): Promise<RunResult> {
  return runRules([rule('globals', body)], options)
}

/** The observations a rule left under `https://t/<key>`. */
function seen(result: RunResult): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(result.idToken.claims)) out[k.replace('https://t/', '')] = v
  return out
}

describe('configuration', () => {
  const configuration = { API_KEY: 'k-123', REGION: 'eu-west-1' }

  it('exposes the rule set’s settings', async () => {
    const result = await runBody(
      `context.idToken['https://t/api'] = configuration.API_KEY;
       context.idToken['https://t/region'] = configuration.REGION;
       context.idToken['https://t/keys'] = Object.keys(configuration);
       callback(null, user, context);`,
      { configuration },
    )
    expect(seen(result)).toEqual({ api: 'k-123', region: 'eu-west-1', keys: ['API_KEY', 'REGION'] })
  })

  it('is frozen: assignment, addition and deletion are silently ignored in a sloppy-mode rule', async () => {
    const result = await runBody(
      `configuration.API_KEY = 'changed';
       configuration.NEW_KEY = 'added';
       delete configuration.REGION;
       context.idToken['https://t/frozen'] = Object.isFrozen(configuration);
       context.idToken['https://t/config'] = { API_KEY: configuration.API_KEY, NEW_KEY: String(configuration.NEW_KEY), REGION: configuration.REGION };
       callback(null, user, context);`,
      { configuration },
    )
    expect(seen(result)).toEqual({ frozen: true, config: { API_KEY: 'k-123', NEW_KEY: 'undefined', REGION: 'eu-west-1' } })
  })

  it("throws a TypeError on assignment in a 'use strict' rule", async () => {
    const result = await runBody(
      `'use strict';
       var outcomes = [];
       try { configuration.API_KEY = 'changed'; outcomes.push('assigned'); } catch (e) { outcomes.push(e instanceof TypeError ? 'TypeError' : String(e)); }
       try { configuration.NEW_KEY = 'added'; outcomes.push('added'); } catch (e) { outcomes.push(e instanceof TypeError ? 'TypeError' : String(e)); }
       try { delete configuration.API_KEY; outcomes.push('deleted'); } catch (e) { outcomes.push(e instanceof TypeError ? 'TypeError' : String(e)); }
       context.idToken['https://t/outcomes'] = outcomes;
       context.idToken['https://t/api'] = configuration.API_KEY;
       callback(null, user, context);`,
      { configuration },
    )
    expect(seen(result)).toEqual({ outcomes: ['TypeError', 'TypeError', 'TypeError'], api: 'k-123' })
  })

  it('cannot be replaced or redefined, at the global binding or deeper', async () => {
    const result = await runRules(
      [
        rule(
          'tamper',
          `configuration = { API_KEY: 'replaced' };
           global.configuration = { API_KEY: 'replaced' };
           delete global.configuration;
           var redefined;
           try { Object.defineProperty(configuration, 'API_KEY', { value: 'redefined' }); redefined = 'yes'; } catch (e) { redefined = e instanceof TypeError ? 'TypeError' : String(e); }
           try { Object.setPrototypeOf(configuration, { injected: 'x' }); } catch (e) { /* frozen */ }
           context.idToken['https://t/redefined'] = redefined;
           callback(null, user, context);`,
        ),
        rule(
          'read',
          `context.idToken['https://t/api'] = configuration.API_KEY;
           context.idToken['https://t/injected'] = String(configuration.injected);
           context.idToken['https://t/same'] = global.configuration === configuration;
           callback(null, user, context);`,
        ),
      ],
      { configuration },
    )
    expect(seen(result)).toEqual({ redefined: 'TypeError', api: 'k-123', injected: 'undefined', same: true })
  })
})

describe('global', () => {
  const counter = rule(
    'counter',
    `global.count = (global.count || 0) + 1;
     context.idToken['https://t/count'] = global.count;
     callback(null, user, context);`,
  )

  it('is shared across runs of the same engine (a counter increments)', async () => {
    await using engine = await engineWith([counter], { concurrency: 1 })
    const counts: unknown[] = []
    for (let i = 0; i < 3; i++) counts.push((await engine.run(passwordInput())).idToken.claims['https://t/count'])
    expect(counts).toEqual([1, 2, 3])
  })

  it('is shared by all rules of one run', async () => {
    const result = await runRules([
      rule('writer', `global.cache = { token: 'abc' }; callback(null, user, context);`),
      rule('reader', `context.idToken['https://t/cached'] = global.cache.token; callback(null, user, context);`),
    ])
    expect(seen(result)).toEqual({ cached: 'abc' })
  })

  it('is the global object', async () => {
    const result = await runBody(
      `var self = (0, eval)('this');
       context.idToken['https://t/isGlobalThis'] = global === globalThis;
       context.idToken['https://t/isThis'] = global === self;
       context.idToken['https://t/hasConsole'] = global.console === console && global.setTimeout === setTimeout;
       global.viaGlobal = 'yes';
       context.idToken['https://t/bare'] = viaGlobal;
       callback(null, user, context);`,
    )
    expect(seen(result)).toEqual({ isGlobalThis: true, isThis: true, hasConsole: true, bare: 'yes' })
  })

  it('is not shared between different engines', async () => {
    await using a = await engineWith([counter])
    await using b = await engineWith([
      rule(
        'probe',
        `context.idToken['https://t/count'] = typeof global.count; context.idToken['https://t/secret'] = typeof global.secret; callback(null, user, context);`,
      ),
    ])
    await using c = await engineWith([counter])
    await a.run(passwordInput())
    await a.run(passwordInput())
    const probe = await b.run(passwordInput())
    expect(seen(probe)).toEqual({ count: 'undefined', secret: 'undefined' })
    expect((await c.run(passwordInput())).idToken.claims['https://t/count']).toBe(1)
    expect((await a.run(passwordInput())).idToken.claims['https://t/count']).toBe(3)
  })
})

describe('UnauthorizedError', () => {
  it('has the shape name, message, code, description, statusCode 401 and is an Error', async () => {
    const result = await runBody(
      `var e = new UnauthorizedError('Email not verified');
       context.idToken['https://t/e'] = {
         name: e.name, message: e.message, code: e.code, description: e.description, statusCode: e.statusCode,
         isError: e instanceof Error, isUnauthorized: e instanceof UnauthorizedError,
         hasStack: typeof e.stack === 'string', text: String(e),
       };
       callback(null, user, context);`,
    )
    expect(seen(result)).toEqual({
      e: {
        name: 'UnauthorizedError',
        message: 'Email not verified',
        code: 'unauthorized',
        description: 'Email not verified',
        statusCode: 401,
        isError: true,
        isUnauthorized: true,
        hasStack: true,
        text: 'UnauthorizedError: Email not verified',
      },
    })
  })

  it('is callable without `new`', async () => {
    const result = await runBody(
      `var e = UnauthorizedError('no new');
       context.idToken['https://t/e'] = { isUnauthorized: e instanceof UnauthorizedError, isError: e instanceof Error, name: e.name, message: e.message, code: e.code, statusCode: e.statusCode };
       callback(null, user, context);`,
    )
    expect(seen(result)).toEqual({
      e: { isUnauthorized: true, isError: true, name: 'UnauthorizedError', message: 'no new', code: 'unauthorized', statusCode: 401 },
    })
  })

  it('denies with ERR_RULE_UNAUTHORIZED (401) when created without `new` and passed to the callback', async () => {
    const err = await rejection(runBody(`callback(UnauthorizedError('Email not verified'));`))
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    expect(err.message).toBe('Email not verified')
    expect(err.rule).toBe('globals')
    expect(err.toOAuthError()).toEqual({ status: 401, body: { error: 'unauthorized', error_description: 'Email not verified' } })
  })
})

describe('console', () => {
  it('captures console.log/info/warn/error into result.logs with level, rule, message and atMs', async () => {
    const result = await runRules([
      rule('first', `console.log('hello', 'world'); console.info('info line'); callback(null, user, context);`),
      rule('second', `console.warn('careful'); console.error('bad', 42); callback(null, user, context);`),
    ])
    expect(result.logs).toEqual([
      { level: 'log', rule: 'first', message: 'hello world', atMs: expect.any(Number) },
      { level: 'info', rule: 'first', message: 'info line', atMs: expect.any(Number) },
      { level: 'warn', rule: 'second', message: 'careful', atMs: expect.any(Number) },
      { level: 'error', rule: 'second', message: 'bad 42', atMs: expect.any(Number) },
    ])
    const times = result.logs.map((l) => l.atMs)
    for (const t of times) expect(t).toBeGreaterThanOrEqual(0)
    expect([...times].sort((x, y) => x - y)).toEqual(times)
  })

  it('measures atMs from the start of the run', async () => {
    const result = await runBody(`console.log('before'); setTimeout(function () { console.log('after'); callback(null, user, context); }, 40);`)
    const [before, after] = result.logs as [LogEntry, LogEntry]
    expect(before.atMs).toBeLessThan(40)
    expect(after.atMs - before.atMs).toBeGreaterThanOrEqual(35)
  })

  it('formats objects and arrays as JSON, other values as Node does', async () => {
    const result = await runBody(
      `console.log('user', { id: user.user_id, roles: ['admin'], n: 1, ok: true, none: null });
       console.log([1, 'two', { three: 3 }]);
       console.log(42, true, null, undefined);
       callback(null, user, context);`,
    )
    expect(result.logs.map((l) => l.message)).toEqual([
      'user {"id":"auth0|5f7c8ec7c33c6c004bbafe82","roles":["admin"],"n":1,"ok":true,"none":null}',
      '[1,"two",{"three":3}]',
      '42 true null undefined',
    ])
  })

  it('keeps at most limits.maxLogEntries lines and warns LOGS_TRUNCATED once', async () => {
    const result = await runBody(`for (var i = 0; i < 10; i++) console.log('line ' + i); callback(null, user, context);`, {
      limits: { maxLogEntries: 3 },
    })
    expect(result.logs.map((l) => l.message)).toEqual(['line 0', 'line 1', 'line 2'])
    expect(result.warnings).toEqual([{ code: 'LOGS_TRUNCATED', message: 'More than 3 log lines; the rest were dropped.' }])
  })

  it('sends each line to hooks.onLog', async () => {
    const onLog = vi.fn()
    const result = await runBody(`console.log('one'); console.error({ two: 2 }); callback(null, user, context);`, { hooks: { onLog } })
    expect(onLog.mock.calls).toEqual([
      [{ level: 'log', rule: 'globals', message: 'one', atMs: expect.any(Number) }],
      [{ level: 'error', rule: 'globals', message: '{"two":2}', atMs: expect.any(Number) }],
    ])
    expect(onLog.mock.calls.map(([entry]) => entry)).toEqual(result.logs)
  })

  it('sends the lines of a failed run to hooks.onLog and on the error', async () => {
    const onLog = vi.fn()
    const err = await rejection(runBody(`console.log('about to deny'); callback(new Error('nope'));`, { hooks: { onLog } }))
    expect(err.code).toBe('ERR_RULE_DENIED')
    expect(err.logs).toEqual([{ level: 'log', rule: 'globals', message: 'about to deny', atMs: expect.any(Number) }])
    expect(onLog.mock.calls).toEqual([[{ level: 'log', rule: 'globals', message: 'about to deny', atMs: expect.any(Number) }]])
  })

  it('never writes to the host’s stdout or stderr', async () => {
    const stdout = vi.spyOn(process.stdout, 'write')
    const stderr = vi.spyOn(process.stderr, 'write')
    const result = await runBody(
      `console.log('MARKER-log'); console.info('MARKER-info'); console.warn('MARKER-warn'); console.error('MARKER-error'); console.debug('MARKER-debug');
       callback(null, user, context);`,
    )
    const written = [...stdout.mock.calls, ...stderr.mock.calls].map(([chunk]) => String(chunk))
    expect(written.filter((w) => w.includes('MARKER'))).toEqual([])
    expect(result.logs).toHaveLength(5)
  })
})

describe('timers', () => {
  it('setTimeout runs its function after the delay', async () => {
    const started = performance.now()
    const result = await runBody(
      `var t0 = Date.now();
       setTimeout(function (a, b) {
         context.idToken['https://t/args'] = [a, b];
         context.idToken['https://t/waited'] = Date.now() - t0 >= 19;
         callback(null, user, context);
       }, 20, 'x', 'y');`,
    )
    expect(seen(result)).toEqual({ args: ['x', 'y'], waited: true })
    expect(performance.now() - started).toBeGreaterThanOrEqual(19)
  })

  it('clearTimeout prevents the call', async () => {
    const result = await runBody(
      `var id = setTimeout(function () { callback(new Error('the cleared timer ran')); }, 10);
       clearTimeout(id);
       setTimeout(function () { context.idToken['https://t/done'] = true; callback(null, user, context); }, 40);`,
    )
    expect(seen(result)).toEqual({ done: true })
    expect(result.warnings).toEqual([])
  })

  it('setInterval ticks until clearInterval', async () => {
    const result = await runBody(
      `var ticks = 0;
       var id = setInterval(function () {
         ticks++;
         if (ticks === 3) {
           clearInterval(id);
           setTimeout(function () { context.idToken['https://t/ticks'] = ticks; callback(null, user, context); }, 40);
         }
       }, 5);`,
    )
    expect(seen(result)).toEqual({ ticks: 3 })
  })

  it('setImmediate and queueMicrotask run, microtasks first', async () => {
    const result = await runBody(
      `var order = [];
       setImmediate(function (x) {
         order.push('immediate:' + x);
         context.idToken['https://t/order'] = order;
         callback(null, user, context);
       }, 'arg');
       queueMicrotask(function () { order.push('microtask'); });
       order.push('sync');`,
    )
    expect(seen(result)).toEqual({ order: ['sync', 'microtask', 'immediate:arg'] })
  })
})

describe('host things a rule must not see', () => {
  it.each([
    // The sandbox's own process (guest/node.js), not Node's: test/hostile/node-builtins.test.ts.
    ['process', 'object'],
    ['Buffer', 'function'],
    ['__dirname', 'undefined'],
    ['__filename', 'undefined'],
    ['module', 'undefined'],
    ['exports', 'undefined'],
    ['SharedArrayBuffer', 'undefined'],
    ['setTimeout', 'function'],
    ['require', 'function'],
  ])('typeof %s is %s', async (name, type) => {
    const result = await runBody(`context.idToken['https://t/type'] = typeof ${name}; callback(null, user, context);`)
    expect(seen(result)).toEqual({ type })
  })

  it("require('fs') throws an error with code ERR_MODULE_NOT_ALLOWED naming the module; a rule that catches it succeeds", async () => {
    const result = await runBody(
      `try {
         context.idToken['https://t/type'] = typeof require('fs');
       } catch (e) {
         context.idToken['https://t/error'] = { code: e.code, message: e.message, isError: e instanceof Error };
       }
       callback(null, user, context);`,
    )
    expect(seen(result)).toEqual({
      error: {
        code: 'ERR_MODULE_NOT_ALLOWED',
        message: notAllowed('fs'),
        isError: true,
      },
    })
  })

  it('an uncaught require of a module not allowed rejects the run with ERR_MODULE_NOT_ALLOWED (500)', async () => {
    const err = await rejection(runBody(`var fs = require('fs'); fs.readFileSync('/etc/passwd'); callback(null, user, context);`))
    expect(err.code).toBe('ERR_MODULE_NOT_ALLOWED')
    expect(err.message).toBe(notAllowed('fs'))
    expect(err.module).toBe('fs')
    expect(err.rule).toBe('globals')
    expect(err.toOAuthError()).toEqual(GENERIC_500)
  })

  it('quotes the require as written (node: prefix, version suffix) and names the module to allow', async () => {
    const err = await rejection(runBody(`require('node:child_process'); callback(null, user, context);`))
    expect(err.code).toBe('ERR_MODULE_NOT_ALLOWED')
    expect(err.module).toBe('node:child_process')
    expect(err.message).toBe(notAllowed('node:child_process'))

    const versioned = await rejection(runBody(`require('left-pad@1.3.0'); callback(null, user, context);`))
    expect(versioned.module).toBe('left-pad')
    expect(versioned.message).toBe(notAllowed('left-pad@1.3.0'))
  })
})
