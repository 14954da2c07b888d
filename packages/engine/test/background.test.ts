/**
 * docs/behaviour.md#work-after-the-callback (issue 15, class 7): work a rule leaves running as the
 * pipeline ends (a request in a setTimeout after the callback, a promise not awaited) goes on after
 * the answer, as on Auth0, for limits.backgroundMs at most, and is reported (result.background,
 * hooks.onBackground). The answer never waits for it: ordering is asserted with events (a request
 * the test holds open until the answer came), not wall time. Both isolation modes.
 */
import { createEngine, type BackgroundReport, type EngineOptions } from '@tokenrules/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type LoopbackServer } from './loopback-server.js'
import { passwordInput, rejection, rule } from './helpers.js'

let server: LoopbackServer
beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  await server.close()
})

/** A gate the test opens: a handler waits on it, so the request is in flight for as long as the test wants. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

describe.each(['thread', 'process'] as const)("work after the callback (isolation: '%s')", (isolation) => {
  const engineWith = (rules: EngineOptions['rules'], options: Partial<EngineOptions> = {}) =>
    createEngine({
      concurrency: 1,
      isolation,
      ...options,
      rules,
      modules: { http: { allow: [server.host] }, ...options.modules },
      limits: { timeoutMs: 2_000, memoryLimitMb: 64, ...options.limits },
    })

  it('a request in a setTimeout after the callback completes after the answer and is reported', async () => {
    const events: string[] = []
    const held = gate()
    server.on('/audit', async (req, res) => {
      events.push(`server got ${req.method} /audit`)
      await held.opened
      res.writeHead(202).end()
    })
    await using engine = await engineWith([
      rule(
        'audit',
        `context.idToken['https://example.com/ok'] = true;
        callback(null, user, context);
        setTimeout(function () {
          fetch('${server.origin}/audit', { method: 'POST', body: user.user_id }).then(function (r) { console.log('audit answered', r.status); });
        }, 1);`,
      ),
    ])
    const result = await engine.run(passwordInput())
    events.push('answered')
    expect(result.idToken.claims).toEqual({ 'https://example.com/ok': true })
    expect(result.background).toBeInstanceOf(Promise)
    // The request goes out after the answer and is held there: the answer did not wait for it.
    await waitFor(() => events.includes('server got POST /audit'))
    held.open()
    const report = (await result.background) as BackgroundReport
    expect(events).toEqual(['answered', 'server got POST /audit'])
    expect(report.end).toBe('settled')
    expect(report.tasks).toEqual([
      { rule: 'audit', kind: 'timer', outcome: 'completed' },
      { rule: 'audit', kind: 'http', outcome: 'completed', status: 202 },
    ])
    expect(report.logs.map((l) => [l.rule, l.message])).toEqual([['audit', 'audit answered 202']])
    expect(server.requests.filter((r) => r.url === '/audit').map((r) => r.body)).toEqual(['auth0|5f7c8ec7c33c6c004bbafe82'])
    server.reset()
  })

  it('a promise not awaited finishes after the answer; the answer carries no trace of it', async () => {
    const held = gate()
    const events: string[] = []
    server.on('/notify', async (_req, res) => {
      events.push('server got /notify')
      await held.opened
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
    await using engine = await engineWith([
      rule(
        'notify',
        `fetch('${server.origin}/notify').then(function (r) { return r.json(); }).then(function (body) { console.log('notified', body.ok); });
        callback(null, user, context);`,
      ),
    ])
    const result = await engine.run(passwordInput())
    events.push('answered')
    expect(result.logs).toEqual([])
    await waitFor(() => events.includes('server got /notify'))
    held.open()
    const report = (await result.background) as BackgroundReport
    expect(events.indexOf('answered')).toBeGreaterThanOrEqual(0)
    expect(report.end).toBe('settled')
    expect(report.tasks).toEqual([{ rule: 'notify', kind: 'http', outcome: 'completed', status: 200 }])
    expect(report.logs.map((l) => l.message)).toEqual(['notified true'])
    server.reset()
  })

  it('work past limits.backgroundMs is cut and reported: the request is cancelled, the interval stopped', async () => {
    server.on('/hang', () => new Promise<void>(() => undefined))
    const reports: BackgroundReport[] = []
    await using engine = await engineWith(
      [
        rule(
          'forever',
          `fetch('${server.origin}/hang').catch(function (e) { console.log('never seen'); });
          setInterval(function () {}, 5);
          callback(null, user, context);`,
        ),
      ],
      { limits: { backgroundMs: 150 }, hooks: { onBackground: (report) => void reports.push(report) } },
    )
    const result = await engine.run(passwordInput())
    const report = (await result.background) as BackgroundReport
    expect(report.end).toBe('grace')
    expect(report.tasks).toEqual([
      { rule: 'forever', kind: 'timer', outcome: 'cut' },
      { rule: 'forever', kind: 'http', outcome: 'cut' },
    ])
    expect(report.logs).toEqual([])
    expect(reports).toEqual([report])
    await waitFor(() => server.aborted.includes('/hang'))
    // The isolate serves the next run as usual.
    const next = await engine.run(passwordInput())
    expect((await next.background)?.end).toBe('grace')
    server.reset()
  })

  it('a background stuck in a synchronous loop is cut at the grace; the next run is served', async () => {
    await using engine = await engineWith([rule('spin', `callback(null, user, context); if (!context.stop) setTimeout(function () { for (;;) {} }, 1);`)], {
      limits: { backgroundMs: 200 },
    })
    const result = await engine.run(passwordInput())
    const report = (await result.background) as BackgroundReport
    expect(['grace', 'recycled']).toContain(report.end)
    const next = await engine.run(passwordInput({ context: { stop: true } }))
    expect(next.background).toBeUndefined()
  })

  it('hostile: a microtask loop in the background is stopped at the grace; a late second callback changes nothing', async () => {
    await using engine = await engineWith(
      [
        rule(
          'late',
          `context.idToken['https://example.com/first'] = true;
          callback(null, user, context);
          if (context.stop) return;
          setTimeout(function () {
            context.idToken['https://example.com/second'] = true;
            callback(new Error('too late'));
            (function loop() { Promise.resolve().then(loop); })();
          }, 1);`,
        ),
      ],
      { limits: { backgroundMs: 200 } },
    )
    const result = await engine.run(passwordInput())
    expect(result.idToken.claims).toEqual({ 'https://example.com/first': true })
    const report = (await result.background) as BackgroundReport
    expect(['grace', 'recycled']).toContain(report.end)
    const next = await engine.run(passwordInput({ context: { stop: true } }))
    expect(next.idToken.claims).toEqual({ 'https://example.com/first': true })
    expect(next.warnings).toEqual([])
  })

  it('limits.backgroundMs: 0 cuts at once and still reports', async () => {
    await using engine = await engineWith([rule('later', `callback(null, user, context); setTimeout(function () { console.log('late'); }, 50);`)], {
      limits: { backgroundMs: 0 },
    })
    const report = (await (await engine.run(passwordInput())).background) as BackgroundReport
    expect(report.end).toBe('grace')
    expect(report.tasks).toEqual([{ rule: 'later', kind: 'timer', outcome: 'cut' }])
    expect(report.logs).toEqual([])
  })

  it('no leakage: the next run waits for the background, which sees only its own run', async () => {
    const events: string[] = []
    await using engine = await engineWith(
      [rule('remember', `callback(null, user, context); setTimeout(function () { console.log('bg of', user.user_id, context.clientID); }, 30);`)],
      { hooks: { onBackground: (report) => void events.push(`background: ${report.logs.map((l) => l.message).join('; ')}`) } },
    )
    const a = engine.run(passwordInput({ user: { user_id: 'auth0|a' }, context: { clientID: 'client-a' } })).then((r) => {
      events.push('answered a')
      return r
    })
    const b = engine.run(passwordInput({ user: { user_id: 'auth0|b' }, context: { clientID: 'client-b' } })).then((r) => {
      events.push('answered b')
      return r
    })
    const [ra, rb] = await Promise.all([a, b])
    const [bga, bgb] = await Promise.all([ra.background, rb.background])
    // One isolate: b started only after a's background ended.
    expect(events).toEqual(['answered a', 'background: bg of auth0|a client-a', 'answered b', 'background: bg of auth0|b client-b'])
    expect(bga?.logs.map((l) => l.message)).toEqual(['bg of auth0|a client-a'])
    expect(bgb?.logs.map((l) => l.message)).toEqual(['bg of auth0|b client-b'])
    expect(rb.logs).toEqual([])
  })

  it('a throw in a background timer is a warning of the report; changes to user and context are not in the token', async () => {
    await using engine = await engineWith([
      rule(
        'late-throw',
        `callback(null, user, context);
        setTimeout(function () { context.idToken['https://example.com/late'] = 1; throw new Error('boom'); }, 1);`,
      ),
    ])
    const result = await engine.run(passwordInput())
    const report = (await result.background) as BackgroundReport
    expect(result.idToken.claims).toEqual({})
    expect(report.tasks).toEqual([{ rule: 'late-throw', kind: 'timer', outcome: 'failed', message: 'boom' }])
    expect(report.warnings).toEqual([
      { code: 'RULE_THREW_AFTER_CALLBACK', rule: 'late-throw', message: "Rule 'late-throw' threw after calling its callback: boom" },
    ])
  })

  it('a metadata write after the callback persists through the hook, as on Auth0, and is reported (not on the result)', async () => {
    const written: unknown[] = []
    await using engine = await engineWith(
      [
        rule(
          'count-logins',
          `callback(null, user, context);
          setTimeout(function () {
            auth0.users.updateAppMetadata(user.user_id, { seen: true }).then(function () { console.log('saved'); });
          }, 1);`,
        ),
      ],
      { hooks: { updateAppMetadata: (userId, metadata) => void written.push([userId, metadata]) } },
    )
    const result = await engine.run(passwordInput())
    expect(result.metadataUpdates).toEqual([])
    const report = (await result.background) as BackgroundReport
    expect(report.tasks).toEqual([
      { rule: 'count-logins', kind: 'timer', outcome: 'completed' },
      { rule: 'count-logins', kind: 'metadata', outcome: 'completed' },
    ])
    expect(report.metadataUpdates).toEqual([{ userId: 'auth0|5f7c8ec7c33c6c004bbafe82', kind: 'app_metadata', metadata: { seen: true } }])
    expect(written).toEqual([['auth0|5f7c8ec7c33c6c004bbafe82', { seen: true }]])
    expect(report.logs.map((l) => l.message)).toEqual(['saved'])
  })

  it('a failed metadata write after the callback rejects the rule’s promise with its code, and is reported failed', async () => {
    await using engine = await engineWith(
      [
        rule(
          'write-late',
          `callback(null, user, context);
          setTimeout(function () {
            auth0.users.updateAppMetadata(user.user_id, { seen: true }).catch(function (e) { console.log('refused', e.code); });
          }, 1);`,
        ),
      ],
      {
        hooks: {
          updateAppMetadata: () => {
            throw new Error('store down')
          },
        },
      },
    )
    const report = (await (await engine.run(passwordInput())).background) as BackgroundReport
    expect(report.tasks[1]).toMatchObject({ kind: 'metadata', outcome: 'failed' })
    expect(report.logs.map((l) => l.message)).toEqual(['refused ERR_METADATA_UPDATE_FAILED'])
    expect(report.metadataUpdates).toEqual([])
  })

  it('counts against the run’s caps: timers started in the background are bounded by maxTimers', async () => {
    await using engine = await engineWith(
      [
        rule(
          'flood',
          `callback(null, user, context);
        setTimeout(function () {
          try { for (var i = 0; i < 5000; i++) setTimeout(function () {}, 1000000); } catch (e) { console.log(e.code, e.limit); }
        }, 1);`,
        ),
      ],
      { limits: { backgroundMs: 1_000 } },
    )
    const report = (await (await engine.run(passwordInput())).background) as BackgroundReport
    expect(report.logs.map((l) => l.message)).toEqual(['ERR_RUN_LIMIT maxTimers'])
    expect(report.tasks).toHaveLength(100)
    expect(report.untracked).toBeGreaterThan(800)
    expect(report.end).toBe('grace')
  })

  it('a run that is denied still reports its background to hooks.onBackground', async () => {
    const reports: BackgroundReport[] = []
    await using engine = await engineWith([rule('deny', `callback(new UnauthorizedError('no')); setTimeout(function () { console.log('alerted'); }, 1);`)], {
      hooks: { onBackground: (report) => void reports.push(report) },
    })
    const err = await rejection(engine.run(passwordInput()))
    expect(err.code).toBe('ERR_RULE_UNAUTHORIZED')
    await waitFor(() => reports.length === 1)
    expect(reports[0]?.tasks).toEqual([{ rule: 'deny', kind: 'timer', outcome: 'completed' }])
    expect(reports[0]?.logs.map((l) => l.message)).toEqual(['alerted'])
  })

  it('a run the engine failed (an exception, an invalid result) is over, work and all: no background', async () => {
    const reports: BackgroundReport[] = []
    await using engine = await engineWith(
      [
        rule(
          'crash',
          `setTimeout(function () { console.log('never'); }, 1); if (context.invalid) return callback(null, 'not a user'); throw new Error('crash');`,
        ),
      ],
      { hooks: { onBackground: (report) => void reports.push(report) } },
    )
    expect((await rejection(engine.run(passwordInput()))).code).toBe('ERR_RULE_EXCEPTION')
    expect((await rejection(engine.run(passwordInput({ context: { invalid: true } })))).code).toBe('ERR_RULE_RESULT_INVALID')
    // The isolate is free at once: a third run is answered, and no report ever comes.
    expect((await rejection(engine.run(passwordInput()))).code).toBe('ERR_RULE_EXCEPTION')
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(reports).toEqual([])
  })

  it('a run that leaves nothing running has no background', async () => {
    await using engine = await engineWith([rule('plain', `setTimeout(function () { callback(null, user, context); }, 1);`)])
    const result = await engine.run(passwordInput())
    expect('background' in result).toBe(false)
  })

  // The HubSpot, Salesforce, Intercom and Segment templates of auth0/rules: a request started in
  // the rule's own synchronous code, then `return callback(...)` at once, no timer anywhere. The
  // client sends on a later microtask (request, request-promise) or at the end of a promise chain
  // (axios); the run must count that as open work, or the request is never sent.
  it.each([
    [
      'request',
      `request.post({ url: '${'$ORIGIN'}/track', json: { id: user.user_id } }, function (err, res) { console.log('tracked', err ? err.message : res.statusCode); });`,
    ],
    [
      'request-promise',
      `require('request-promise').post({ uri: '${'$ORIGIN'}/track', json: { id: user.user_id } }).then(function () { console.log('tracked'); });`,
    ],
    ['axios', `require('axios').post('${'$ORIGIN'}/track', { id: user.user_id }).then(function (r) { console.log('tracked', r.status); });`],
    ['node-fetch', `require('node-fetch')('${'$ORIGIN'}/track', { method: 'POST', body: user.user_id });`],
    ['https', `require('http').request('${'$ORIGIN'}/track', { method: 'POST' }).end(user.user_id);`],
  ])('with %s, a request started just before a synchronous callback is sent after the answer', async (_client, call) => {
    const reports: BackgroundReport[] = []
    server.on('/track', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
    await using engine = await engineWith([rule('track', `${call.replaceAll('$ORIGIN', server.origin)}\nreturn callback(null, user, context);`)], {
      hooks: { onBackground: (report: BackgroundReport) => void reports.push(report) },
    })
    const result = await engine.run(passwordInput())
    expect(result.background).toBeInstanceOf(Promise)
    const report = (await result.background) as BackgroundReport
    expect(report.end).toBe('settled')
    expect(report.tasks.filter((t) => t.kind === 'http')).toEqual([{ rule: 'track', kind: 'http', outcome: 'completed', status: 200 }])
    expect(server.requests.filter((r) => r.url === '/track')).toHaveLength(1)
    expect(reports).toHaveLength(1)
    server.reset()
  })
})

describe('limits.backgroundMs', () => {
  it.each([-1, 20_001, 1.5])('refuses %s with ERR_CONFIG_INVALID', async (backgroundMs) => {
    const err = await rejection(createEngine({ rules: [rule('noop', 'callback(null, user, context);')], limits: { backgroundMs } }))
    expect(err.code).toBe('ERR_CONFIG_INVALID')
    expect(err.issues[0].path).toEqual(['limits', 'backgroundMs'])
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
