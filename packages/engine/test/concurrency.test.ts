import { describe, expect, it } from 'vitest'
import { createEngine } from '@tokenrules/engine'
import { engineWith, passwordInput, rejection, rule } from './helpers.js'

const userInput = (id: string) => passwordInput({ user: { user_id: id } })

describe('speed and concurrency', () => {
  it('creates isolates and compiles only at createEngine, never per run', async () => {
    await using engine = await engineWith([rule('a', 'callback(null, user, context);'), rule('b', 'callback(null, user, context);')], { concurrency: 2 })
    expect(engine.stats).toEqual({ isolates: 2, isolatesCreated: 2, recycled: 0, runs: 0, catastrophes: 0, parked: 0 })
    for (let i = 0; i < 50; i++) await engine.run(passwordInput())
    expect(engine.stats).toEqual({ isolates: 2, isolatesCreated: 2, recycled: 0, runs: 50, catastrophes: 0, parked: 0 })
  })

  it('defaults concurrency to the number of CPU cores', async () => {
    const { availableParallelism } = await import('node:os')
    await using engine = await createEngine({ rules: [] })
    expect(engine.stats.isolates).toBe(availableParallelism())
  })

  it('does not block the host event loop while a rule waits on a timer', async () => {
    await using engine = await engineWith([rule('waits', 'setTimeout(function () { callback(null, user, context); }, 200);')])
    let ticks = 0
    const interval = setInterval(() => ticks++, 10)
    await engine.run(passwordInput())
    clearInterval(interval)
    expect(ticks).toBeGreaterThanOrEqual(5)
  })

  it('does not block the host event loop while a rule computes (the isolate runs on its own thread)', async () => {
    await using engine = await engineWith([rule('busy', 'const end = Date.now() + 200; while (Date.now() < end) {} callback(null, user, context);')])
    let ticks = 0
    const interval = setInterval(() => ticks++, 10)
    await engine.run(passwordInput())
    clearInterval(interval)
    expect(ticks).toBeGreaterThanOrEqual(5)
  })

  it('serves concurrent runs from several isolates', async () => {
    await using engine = await engineWith(
      [
        rule(
          'tag',
          `
        global.isolateTag = global.isolateTag || Math.random().toString(36).slice(2);
        context.accessToken['https://t.example/isolate'] = global.isolateTag;
        setTimeout(function () { callback(null, user, context); }, 50);`,
        ),
      ],
      { concurrency: 2 },
    )
    const [a, b] = await Promise.all([engine.run(passwordInput()), engine.run(passwordInput())])
    expect(a.accessToken.claims['https://t.example/isolate']).not.toBe(b.accessToken.claims['https://t.example/isolate'])
  })

  it('never lets concurrent runs see each other’s user or context', async () => {
    await using engine = await engineWith(
      [
        rule(
          'remember',
          `
          context.idToken['https://t.example/seen-by-first-rule'] = user.user_id;
          setTimeout(function () { callback(null, user, context); }, Math.floor(Math.random() * 20));`,
        ),
        rule(
          'echo',
          `
          context.accessToken['https://t.example/user'] = user.user_id;
          context.accessToken['https://t.example/client'] = context.clientID;
          callback(null, user, context);`,
        ),
      ],
      { concurrency: 2 },
    )
    const ids = Array.from({ length: 30 }, (_, i) => `auth0|user-${i}`)
    const results = await Promise.all(ids.map((id, i) => engine.run(passwordInput({ user: { user_id: id }, context: { clientID: `client-${i}` } }))))
    results.forEach((result, i) => {
      expect(result.accessToken.claims).toEqual({ 'https://t.example/user': ids[i], 'https://t.example/client': `client-${i}` })
      expect(result.idToken.claims).toEqual({ 'https://t.example/seen-by-first-rule': ids[i] })
      expect(result.user.user_id).toBe(ids[i])
    })
  })

  it('queues runs beyond the number of isolates and finishes them all', async () => {
    await using engine = await engineWith([rule('w', 'setTimeout(function () { callback(null, user, context); }, 5);')], { concurrency: 1 })
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.run(userInput(`u${i}`))))
    expect(results.map((r) => r.user.user_id)).toEqual(Array.from({ length: 20 }, (_, i) => `u${i}`))
  })
})

describe('engine.update(rules): hot swap', () => {
  const version = (v: string, waitMs = 0) =>
    rule('version', `context.accessToken['https://t.example/v'] = '${v}'; setTimeout(function () { callback(null, user, context); }, ${waitMs});`)

  it('switches atomically: runs in flight finish on the old set, later runs use the new one', async () => {
    await using engine = await engineWith([version('v1', 100)])
    const inFlight = engine.run(passwordInput())
    await new Promise((resolve) => setTimeout(resolve, 20))
    await engine.update([version('v2')])
    const after = await engine.run(passwordInput())
    expect((await inFlight).accessToken.claims['https://t.example/v']).toBe('v1')
    expect(after.accessToken.claims['https://t.example/v']).toBe('v2')
  })

  it('keeps the old set when the new one does not compile', async () => {
    await using engine = await engineWith([version('v1')])
    const error = await rejection(engine.update([{ name: 'broken', script: 'function (user, context, callback) {' }]))
    expect(error.code).toBe('ERR_RULE_COMPILE')
    expect((await engine.run(passwordInput())).accessToken.claims['https://t.example/v']).toBe('v1')
  })

  it('validates the new set like createEngine does', async () => {
    await using engine = await engineWith([version('v1')])
    const error = await rejection(engine.update([version('a'), version('b')]))
    expect(error.code).toBe('ERR_CONFIG_INVALID')
    expect(error.issues[0].path).toEqual(['rules', 1, 'name'])
  })
})

describe('engine.close()', () => {
  it('lets runs in flight finish, then rejects new runs with ERR_ENGINE_CLOSED', async () => {
    const engine = await engineWith([rule('w', 'setTimeout(function () { callback(null, user, context); }, 50);')])
    const inFlight = engine.run(passwordInput())
    await engine.close()
    expect((await inFlight).user.user_id).toBe('auth0|5f7c8ec7c33c6c004bbafe82')
    const error = await rejection(engine.run(passwordInput()))
    expect(error.code).toBe('ERR_ENGINE_CLOSED')
    expect(engine.stats.isolates).toBe(0)
    await engine.close()
  })

  it('closes with `await using`', async () => {
    let leaked: Awaited<ReturnType<typeof engineWith>> | undefined
    {
      await using engine = await engineWith([])
      leaked = engine
    }
    expect((await rejection(leaked.run(passwordInput()))).code).toBe('ERR_ENGINE_CLOSED')
  })
})
