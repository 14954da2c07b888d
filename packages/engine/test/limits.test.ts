import { describe, expect, it } from 'vitest'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

const benign = rule(
  'benign',
  `
  if (user.app_metadata.attack) return ATTACK;
  context.accessToken['https://t.example/user'] = user.user_id;
  callback(null, user, context);
`,
)
const withAttack = (attack: string) => ({ ...benign, script: benign.script.replace('ATTACK', `(function () { ${attack} })()`) })
const attackInput = () => passwordInput({ user: { app_metadata: { attack: true } } })

async function expectHealthy(engine: Awaited<ReturnType<typeof engineWith>>): Promise<void> {
  const result = await engine.run(passwordInput())
  expect(result.accessToken.claims).toEqual({ 'https://t.example/user': 'auth0|5f7c8ec7c33c6c004bbafe82' })
}

describe('limits.timeoutMs covers the whole pipeline', () => {
  it('stops a synchronous loop and serves the next run on the same isolate', async () => {
    await using engine = await engineWith([withAttack('while (true) {}')], { limits: { timeoutMs: 200 } })
    expect((await rejection(engine.run(attackInput()))).code).toBe('ERR_RULE_TIMEOUT')
    await expectHealthy(engine)
    expect(engine.stats).toMatchObject({ isolatesCreated: 1, recycled: 0 })
  })

  it('stops a rule awaiting a promise that never settles', async () => {
    await using engine = await engineWith([withAttack('new Promise(function () {}).then(function () { callback(null, user, context); });')], {
      limits: { timeoutMs: 200 },
    })
    const started = performance.now()
    expect((await rejection(engine.run(attackInput()))).code).toBe('ERR_RULE_TIMEOUT')
    expect(performance.now() - started).toBeLessThan(2_000)
    await expectHealthy(engine)
  })

  it('counts the time of every rule: two waits of 150 ms do not fit in 200 ms', async () => {
    const wait = (name: string) => rule(name, `setTimeout(function () { callback(null, user, context); }, 150);`)
    await using engine = await engineWith([wait('first'), wait('second')], { limits: { timeoutMs: 200 } })
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_RULE_TIMEOUT')
    expect(error.rule).toBe('second')
  })

  it('stops an interval that never ends and clears it for the next run', async () => {
    await using engine = await engineWith([withAttack('setInterval(function () { global.ticks = (global.ticks || 0) + 1; }, 1);')], {
      limits: { timeoutMs: 150 },
    })
    expect((await rejection(engine.run(attackInput()))).code).toBe('ERR_RULE_TIMEOUT')
    await expectHealthy(engine)
    const ticks = await engine.run(passwordInput({ user: { app_metadata: {} } }))
    expect(ticks.accessToken.claims).toBeDefined()
  })

  it('stops a microtask loop', async () => {
    await using engine = await engineWith([withAttack('(function loop() { Promise.resolve().then(loop); })();')], { limits: { timeoutMs: 200 } })
    expect((await rejection(engine.run(attackInput()))).code).toBe('ERR_RULE_TIMEOUT')
    await expectHealthy(engine)
  })

  it('ignores a callback that arrives after the budget ran out', async () => {
    await using engine = await engineWith([withAttack('setTimeout(function () { callback(null, user, context); }, 400);')], { limits: { timeoutMs: 100 } })
    expect((await rejection(engine.run(attackInput()))).code).toBe('ERR_RULE_TIMEOUT')
    await new Promise((resolve) => setTimeout(resolve, 400))
    await expectHealthy(engine)
  })
})

describe('limits.memoryLimitMb', () => {
  it('fails only the run at fault, recycles its isolate, and the engine keeps serving', async () => {
    await using engine = await engineWith([withAttack('const keep = []; while (true) keep.push({ n: keep.length, s: String(keep.length) });')], {
      limits: { memoryLimitMb: 32, timeoutMs: 10_000 },
    })
    const error = await rejection(engine.run(attackInput()))
    expect(error.code).toBe('ERR_RULE_MEMORY_LIMIT')
    expect(error.message).toBe("Rule 'benign' exceeded the memory limit of 32 MB; its isolate was recycled.")
    await expectHealthy(engine)
    expect(engine.stats).toMatchObject({ isolates: 1, isolatesCreated: 2, recycled: 1 })
  })

  it('names the rule that ran out of memory, also when its isolate is gone', async () => {
    const hog = 'const keep = []; while (true) keep.push({ n: keep.length, s: String(keep.length) });'
    await using engine = await engineWith(
      [
        rule('first', `context.idToken['https://t.example/a'] = 1; callback(null, user, context);`),
        rule('hog', `if (user.app_metadata.attack) { ${hog} } callback(null, user, context);`),
        rule('last', `callback(null, user, context);`),
      ],
      { limits: { memoryLimitMb: 32, timeoutMs: 10_000 } },
    )
    const error = await rejection(engine.run(attackInput()))
    expect({ code: error.code, rule: error.rule }).toEqual({ code: 'ERR_RULE_MEMORY_LIMIT', rule: 'hog' })
  })

  it('names the rule whose timer ran out of memory while a later rule waited', async () => {
    const hog = 'const keep = []; while (true) keep.push({ n: keep.length, s: String(keep.length) });'
    await using engine = await engineWith(
      [
        rule('leaky', `setTimeout(function () { ${hog} }, 10); callback(null, user, context);`),
        rule('waiting', `setTimeout(function () { callback(null, user, context); }, 2000);`),
      ],
      { limits: { memoryLimitMb: 32, timeoutMs: 10_000 } },
    )
    const error = await rejection(engine.run(passwordInput()))
    expect({ code: error.code, rule: error.rule }).toEqual({ code: 'ERR_RULE_MEMORY_LIMIT', rule: 'leaky' })
  })

  it('never fails a run in another isolate of the same engine', async () => {
    await using engine = await engineWith(
      [
        {
          ...benign,
          script: benign.script
            .replace('ATTACK', '(function () { const a = []; while (true) a.push(new Array(100000).fill(1)); })()')
            .replace('callback(null, user, context);', 'setTimeout(function () { callback(null, user, context); }, 100);'),
        },
      ],
      { concurrency: 2, limits: { memoryLimitMb: 32, timeoutMs: 10_000 } },
    )
    const innocent = engine.run(passwordInput())
    const attack = rejection(engine.run(attackInput()))
    expect((await attack).code).toBe('ERR_RULE_MEMORY_LIMIT')
    expect((await innocent).accessToken.claims).toEqual({ 'https://t.example/user': 'auth0|5f7c8ec7c33c6c004bbafe82' })
  })

  it('loses `global` with the recycled isolate, as docs/behaviour.md#globals allows', async () => {
    await using engine = await engineWith(
      [
        rule(
          'count',
          `
          if (user.app_metadata.attack) { const a = []; while (true) a.push(new Array(100000).fill(1)); }
          global.runs = (global.runs || 0) + 1;
          context.accessToken['https://t.example/runs'] = global.runs;
          callback(null, user, context);`,
        ),
      ],
      { limits: { memoryLimitMb: 32, timeoutMs: 10_000 } },
    )
    expect((await engine.run(passwordInput())).accessToken.claims['https://t.example/runs']).toBe(1)
    expect((await engine.run(passwordInput())).accessToken.claims['https://t.example/runs']).toBe(2)
    expect((await rejection(engine.run(attackInput()))).code).toBe('ERR_RULE_MEMORY_LIMIT')
    expect((await engine.run(passwordInput())).accessToken.claims['https://t.example/runs']).toBe(1)
  })
})
