/**
 * `createTokenServer({ engine })` tells an engine from engine options by the engine's brand, not by
 * `instanceof`: an application may install two copies of @tokenrules/engine (its own and oauth's),
 * and an engine of the other copy must still be used as it is, and left open when the server closes.
 */
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createEngine, Engine } from '@tokenrules/engine'
import { createTokenServer, hashSecret } from '@tokenrules/oauth'
import { API, CLIENT_ID, CLIENT_SECRET, rule, TEST_SCRYPT_COST } from './helpers.js'

const engineDir = fileURLToPath(new URL('../../engine/', import.meta.url))
const copies: string[] = []
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true })
})

/**
 * A second copy of the engine's source beside the first (so it resolves the same dependencies),
 * loaded as its own module graph: another installed copy of the package, with its own `Engine`.
 */
async function secondCopy(): Promise<typeof import('@tokenrules/engine')> {
  const dir = join(engineDir, `.second-copy-${process.pid}-${copies.length}`)
  copies.push(dir)
  cpSync(join(engineDir, 'src'), join(dir, 'src'), { recursive: true })
  return (await import(pathToFileURL(join(dir, 'src', 'index.ts')).href)) as typeof import('@tokenrules/engine')
}

const login = { user: { user_id: 'auth0|1' }, context: { clientID: CLIENT_ID, protocol: 'oauth2-password' } }

describe('Engine.is: the brand, across copies of the package', () => {
  it('is true for engines of either copy, false for anything else', async () => {
    const other = await secondCopy()
    expect(other.Engine).not.toBe(Engine)
    await using mine = await createEngine({ rules: [] })
    await using theirs = await other.createEngine({ rules: [] })
    expect(theirs instanceof Engine).toBe(false)
    expect([Engine.is(mine), Engine.is(theirs), other.Engine.is(mine)]).toEqual([true, true, true])
    expect([Engine.is({ rules: [] }), Engine.is(null), Engine.is(Object.create(Engine.prototype))]).toEqual([false, false, false])
  })

  it("createTokenServer uses another copy's engine as it is, and leaves it open when it closes", async () => {
    const other = await secondCopy()
    const engine = await other.createEngine({
      rules: [rule('mark', "context.accessToken['https://t.example/copy'] = 'second'; callback(null, user, context);")],
    })
    try {
      const server = await createTokenServer({
        issuer: 'https://auth.example.com/',
        engine,
        clients: [{ clientId: CLIENT_ID, name: 'App', secretHash: await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), grants: ['password'] }],
        apis: [{ identifier: API, scopes: [] }],
        passwords: { scryptCost: TEST_SCRYPT_COST },
      })
      await server.close()
      // Had the server taken the engine for options, it would have made (and closed) its own.
      const result = await engine.run(login)
      expect(result.accessToken.claims).toEqual({ 'https://t.example/copy': 'second' })
    } finally {
      await engine.close()
    }
  })
})
