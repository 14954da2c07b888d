import { describe, expect, it } from 'vitest'
import { FIXED_NOW, fixedClock, loadRule, makeContext, makeUser, manualClock, runRules, seededRandom } from '@tokenrules/testing'

const draw = `function (user, context, callback) {
  const crypto = require('crypto');
  context.idToken['https://t.example/draw'] = {
    now: Date.now(),
    iso: new Date().toISOString(),
    random: Math.random(),
    uuid: crypto.randomUUID(),
    bytes: crypto.randomBytes(4).toString('hex'),
  };
  callback(null, user, context);
}`

const drawOnce = async (options: Parameters<typeof runRules>[0] | object = {}) =>
  (await runRules({ rules: [draw], modules: { crypto: true }, ...options })).idToken.claims['https://t.example/draw'] as Record<string, unknown>

describe('deterministic time and ids', () => {
  it('rules see FIXED_NOW and the same random sequence on every run, by default', async () => {
    const [a, b] = [await drawOnce(), await drawOnce()]
    expect(a).toEqual(b)
    expect(a).toMatchObject({ now: FIXED_NOW, iso: '2025-01-15T09:30:00.000Z' })
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('loadRule is deterministic in the same way', async () => {
    const once = async () => {
      await using loaded = loadRule(draw, { modules: { crypto: true } })
      const [, , context] = await loaded(makeUser(), makeContext())
      return (context as { idToken: Record<string, unknown> }).idToken['https://t.example/draw']
    }
    expect(await once()).toEqual(await once())
  })

  it('takes the clock and randomness a test gives, or the real ones', async () => {
    expect(await drawOnce({ clock: fixedClock('2030-01-01T00:00:00Z') })).toMatchObject({ iso: '2030-01-01T00:00:00.000Z' })
    expect(await drawOnce({ random: seededRandom(7) })).toEqual(await drawOnce({ random: seededRandom(7) }))
    expect((await drawOnce({ random: seededRandom(7) })).uuid).not.toEqual((await drawOnce()).uuid)
    const before = Date.now()
    const real = await drawOnce({ clock: Date.now, random: Math.random })
    expect(real.now as number).toBeGreaterThanOrEqual(before)
    expect(real.uuid).not.toEqual((await drawOnce({ clock: Date.now, random: Math.random })).uuid)
  })
})

describe('clock and randomness helpers', () => {
  it('fixedClock reads one instant; manualClock moves when told', () => {
    expect(fixedClock()()).toBe(FIXED_NOW)
    expect(fixedClock(new Date(0))()).toBe(0)
    expect(() => fixedClock('not a date')).toThrow(TypeError)
    const clock = manualClock(1_000)
    clock.advance(500)
    expect(clock()).toBe(1_500)
    clock.set('1970-01-01T00:00:02.000Z')
    expect(clock()).toBe(2_000)
  })

  it('seededRandom is reproducible, in [0, 1), and spread', () => {
    const a = seededRandom(42)
    const b = seededRandom(42)
    const values = Array.from({ length: 1_000 }, () => a())
    expect(values).toEqual(Array.from({ length: 1_000 }, () => b()))
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...values)).toBeLessThan(1)
    expect(new Set(values.map((v) => Math.floor(v * 10))).size).toBe(10)
    expect(seededRandom(1)()).not.toBe(seededRandom(2)())
  })
})

describe('one clock option and one random option, each spelled one way (issue 13)', () => {
  it('clock is () => number, as in the engine: Date.now is the real clock, and the old "real" is a TypeError', async () => {
    const rules = ['function (user, context, callback) { callback(null, user, context); }']
    const options = { rules, clock: 'real' }
    // @ts-expect-error -- 'real' is not a clock
    await expect(runRules(options)).rejects.toThrow(
      /^clock must be a function returning milliseconds since the epoch \(Date\.now for the real clock\), not "real"\.$/,
    )
  })

  it('random is () => number, as in the engine: Math.random is unseeded randomness, and the old "real" is a TypeError', async () => {
    const rules = ['function (user, context, callback) { callback(null, user, context); }']
    const options = { rules, random: 'real' }
    // @ts-expect-error -- 'real' is not a source of numbers
    await expect(runRules(options)).rejects.toThrow(
      /^random must be a function returning numbers in \[0, 1\) \(Math\.random for unseeded randomness\), not "real"\.$/,
    )
  })
})
