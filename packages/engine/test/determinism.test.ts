import { describe, expect, it } from 'vitest'
import { engineWith, passwordInput, rule } from './helpers.js'

describe('run options and deterministic time and randomness (for rule authors’ tests)', () => {
  it('includeContext returns the context as the last rule left it, before the claims policy', async () => {
    await using engine = await engineWith([rule('c', "context.idToken.plain = 1; context.note = 'kept'; callback(null, user, context);")])
    const result = await engine.run(passwordInput(), { includeContext: true })
    expect(result.context).toMatchObject({ note: 'kept', idToken: { plain: 1 }, protocol: 'oauth2-password' })
    expect(result.idToken.claims).toEqual({})
    expect((await engine.run(passwordInput())).context).toBeUndefined()
  })

  it('clock: Date.now() and new Date() read the integrator’s clock; explicit dates are unchanged', async () => {
    let now = Date.UTC(2024, 0, 15, 9, 30)
    await using engine = await engineWith(
      [
        rule(
          't',
          `
        context.idToken['https://t.example/now'] = Date.now();
        context.idToken['https://t.example/iso'] = new Date().toISOString();
        context.idToken['https://t.example/fixed'] = new Date(0).toISOString();
        context.idToken['https://t.example/isDate'] = new Date() instanceof Date;
        callback(null, user, context);`,
        ),
      ],
      { clock: () => now },
    )
    const first = await engine.run(passwordInput())
    expect(first.idToken.claims).toEqual({
      'https://t.example/now': Date.UTC(2024, 0, 15, 9, 30),
      'https://t.example/iso': '2024-01-15T09:30:00.000Z',
      'https://t.example/fixed': '1970-01-01T00:00:00.000Z',
      'https://t.example/isDate': true,
    })
    now += 60_000
    expect((await engine.run(passwordInput())).idToken.claims['https://t.example/iso']).toBe('2024-01-15T09:31:00.000Z')
  })

  it('random: Math.random, crypto.randomUUID and randomBytes come from the integrator’s source', async () => {
    const source = () => {
      let i = 0
      return () => ((i++ * 37) % 100) / 100
    }
    const body = `
      const crypto = require('crypto');
      context.idToken['https://t.example/r'] = [Math.random(), crypto.randomUUID(), crypto.randomBytes(4).toString('hex')];
      callback(null, user, context);`
    const runOnce = async () => {
      await using engine = await engineWith([rule('r', body)], { random: source(), modules: { crypto: true } })
      return (await engine.run(passwordInput())).idToken.claims['https://t.example/r']
    }
    const [a, b] = [await runOnce(), await runOnce()]
    expect(a).toEqual(b)
    expect((a as unknown[])[0]).toBe(0)
    expect((a as string[])[1]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})
