// Issue 14, class 9: NUL bytes. `secret + "\0"` and `password + "\0"` were accepted as the real
// secret and password: scrypt's HMAC pads a short key with zero bytes, so trailing NULs did not
// change the hash. Passwords and secrets with control characters (or lone surrogates) are now
// refused where they enter, answered as wrong ones, and hashes (format version 2) count every byte;
// version 1 hashes still verify and are rehashed at the next login.
import { randomBytes, scryptSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { GRANT_TYPES, createMemoryStores, hashPassword, hashSecret, verifyPassword } from '@tokenrules/oauth'
import { ALICE, ALL_GRANTS, API, CLIENT_ID, CLIENT_SECRET, TEST_SCRYPT_COST, startServer, type TestServer } from '../helpers.js'

const WRONG = { error: 'invalid_grant', error_description: 'Wrong email or password.' }
const BAD_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed.' }
/** Control characters of every kind: C0, DEL, C1. */
const CONTROL = ['\0', '\u0001', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0085', '\u009f']
/** UTF-8 encodes both as U+FFFD: two different texts, the same bytes. */
const LONE_SURROGATES = ['\ud800', '\udc00']

/** A hash in format version 1, as hashPassword wrote it before: scrypt on the text itself. */
function versionOneHash(text: string, cost = TEST_SCRYPT_COST): string {
  const salt = randomBytes(16)
  const key = scryptSync(text.normalize('NFC'), salt, 32, { N: cost, r: 8, p: 1 })
  const unpad = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '')
  return `$scrypt$ln=${Math.log2(cost)},r=8,p=1$${unpad(salt)}$${unpad(key)}`
}

const realmLogin = (password: string) => ({ grant_type: GRANT_TYPES.passwordRealm, username: ALICE.email, password, realm: 'Employees', audience: API })

/** A server whose alice was imported with a version 1 hash of her password. */
async function withImportedAlice(): Promise<{ t: TestServer; stores: ReturnType<typeof createMemoryStores>; userId: string }> {
  const stores = createMemoryStores()
  const t = await startServer({ stores })
  const { user_id } = await t.server.users.create({ directory: 'Employees', ...ALICE })
  // Created with a version 2 hash; put the old format in its place, as an import from before would.
  await stores.users.setPasswordHash(user_id, versionOneHash(ALICE.password), { at: t.clock.now, reset: false })
  return { t, stores, userId: user_id }
}

describe('NUL bytes and control characters in passwords (issue 14, class 9)', () => {
  it('answers password + "\\0" as a wrong password, in a form and in JSON, wherever the NUL sits', async () => {
    await using t = await startServer()
    for (const password of [`${ALICE.password}\0`, `${ALICE.password}\0\0\0`, `\0${ALICE.password}`, 'correct horse\0battery staple']) {
      const form = await t.token(realmLogin(password))
      expect([form.status, form.body]).toEqual([403, WRONG])
      const json = await t.token(realmLogin(password), { json: true })
      expect([json.status, json.body]).toEqual([403, WRONG])
    }
    // A raw %00 in the form body, as an attacker sends it.
    const body = `grant_type=password&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}&username=${encodeURIComponent(ALICE.email)}&password=${encodeURIComponent(ALICE.password)}%00&audience=${encodeURIComponent(API)}`
    const raw = await t.send(
      new Request('http://localhost/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }),
    )
    expect([raw.status, raw.body]).toEqual([403, WRONG])
    expect((await t.token(realmLogin(ALICE.password))).status).toBe(200)
  })

  it('refuses password + "\\0" against a version 1 hash too, and upgrades that hash to version 2 at the right login', async () => {
    const imported = await withImportedAlice()
    await using t = imported.t
    const { stores, userId } = imported
    // The root cause, shown: version 1 hashed `password` and `password + "\0"` alike.
    const v1 = (await stores.users.getUser(userId))?.passwordHash ?? ''
    expect(v1).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$/)
    const [, , , salt] = v1.split('$')
    const derive = (text: string) => scryptSync(text, Buffer.from(salt as string, 'base64'), 32, { N: TEST_SCRYPT_COST, r: 8, p: 1 }).toString('hex')
    expect(derive(`${ALICE.password}\0`)).toBe(derive(ALICE.password))

    expect((await t.token(realmLogin(`${ALICE.password}\0`))).body).toEqual(WRONG)
    expect((await stores.users.getUser(userId))?.passwordHash).toBe(v1)
    expect((await t.token(realmLogin(ALICE.password))).status).toBe(200)
    const after = await stores.users.getUser(userId)
    expect(after?.passwordHash).toMatch(/^\$scrypt\$v=2\$ln=4,r=8,p=1\$/)
    expect(after?.profile.last_password_reset).toBeUndefined()
    expect(await verifyPassword(ALICE.password, after?.passwordHash ?? '')).toBe(true)
    expect((await t.token(realmLogin(`${ALICE.password}\0`))).body).toEqual(WRONG)
    expect((await t.token(realmLogin(ALICE.password))).status).toBe(200)
  })

  it('answers every control character as a wrong password, and counts it as a failed attempt', async () => {
    await using t = await startServer()
    for (const character of CONTROL) {
      const answer = await t.token(realmLogin(`${ALICE.password}${character}`), { json: true })
      expect([character, answer.status, answer.body]).toEqual([character, 403, WRONG])
    }
    // A lone surrogate never gets this far: the JSON body is refused (a form cannot carry one).
    const surrogate = await t.token(realmLogin(`${ALICE.password}\ud800`), { json: true })
    expect([surrogate.status, surrogate.body.error]).toEqual([400, 'invalid_request'])
    // Ten failures of the (user, IP) pair: the right password is blocked now.
    const blocked = await t.token(realmLogin(ALICE.password))
    expect([blocked.status, blocked.body.error]).toEqual([429, 'too_many_attempts'])
  })

  it('refuses client_secret + "\\0" (body and HTTP Basic) with the answer of a wrong secret, against both hash versions', async () => {
    for (const secretHash of [await hashSecret(CLIENT_SECRET, { cost: TEST_SCRYPT_COST }), versionOneHash(CLIENT_SECRET)]) {
      await using t = await startServer({ clients: [{ clientId: CLIENT_ID, secretHash, grants: ALL_GRANTS }] })
      const post = await t.token({ ...realmLogin(ALICE.password), client_secret: `${CLIENT_SECRET}\0` })
      expect([post.status, post.body]).toEqual([401, BAD_CLIENT])
      const basic = await t.post('/oauth/token', realmLogin(ALICE.password), {
        headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}%00`).toString('base64')}` },
      })
      expect([basic.status, basic.body, basic.headers.get('www-authenticate')]).toEqual([401, BAD_CLIENT, 'Basic realm="tokenrules"'])
      const tab = await t.token({ ...realmLogin(ALICE.password), client_secret: `${CLIENT_SECRET}\t` }, { json: true })
      expect([tab.status, tab.body]).toEqual([401, BAD_CLIENT])
      expect((await t.token(realmLogin(ALICE.password))).status).toBe(200)
    }
  })

  it('never hashes a password or a secret with a control character: hashPassword, hashSecret, users.create and users.setPassword throw TypeError', async () => {
    await using t = await startServer()
    for (const character of [...CONTROL, ...LONE_SURROGATES]) {
      await expect(hashPassword(`pass${character}word`, { cost: TEST_SCRYPT_COST })).rejects.toThrow(TypeError)
      await expect(hashSecret(`secret${character}`, { cost: TEST_SCRYPT_COST })).rejects.toThrow(TypeError)
    }
    await expect(t.server.users.create({ directory: 'Employees', email: 'carol@example.com', password: 'carol\0' })).rejects.toThrow(/control character/)
    await expect(t.server.users.setPassword(t.aliceId, 'new password\0')).rejects.toThrow(TypeError)
    expect((await t.token(realmLogin(ALICE.password))).status).toBe(200)
  })

  it('counts every byte in version 2: no two different passwords share a hash, NFC forms still match', async () => {
    const hash = await hashPassword('abc', { cost: TEST_SCRYPT_COST })
    expect(hash).toMatch(/^\$scrypt\$v=2\$ln=4,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(await verifyPassword('abc', hash)).toBe(true)
    for (const other of ['abc\0', 'abc\0\0', 'ab', 'abc ', 'ABC']) expect(await verifyPassword(other, hash)).toBe(false)
    // Lone surrogates would reach scrypt as U+FFFD: refused, never taken for the U+FFFD they encode as.
    const replacement = await hashPassword('abc\ufffd', { cost: TEST_SCRYPT_COST })
    for (const surrogate of LONE_SURROGATES) expect(await verifyPassword(`abc${surrogate}`, replacement)).toBe(false)
    expect(await verifyPassword('abc\ufffd', replacement)).toBe(true)
    // Longer than scrypt's HMAC block (64 bytes): the full text still counts.
    const long = 'x'.repeat(100)
    const longHash = await hashPassword(long, { cost: TEST_SCRYPT_COST })
    expect([await verifyPassword(long, longHash), await verifyPassword(`${long}y`, longHash), await verifyPassword(long.slice(1), longHash)]).toEqual([
      true,
      false,
      false,
    ])
    // Surrogate pairs are text like any other: an emoji password works.
    expect(await verifyPassword('p\u{1f600}ss', await hashPassword('p\u{1f600}ss', { cost: TEST_SCRYPT_COST }))).toBe(true)
    // Composed and decomposed é are one password (NFC), as before.
    expect(await verifyPassword('caf\u0065\u0301', await hashPassword('caf\u00e9', { cost: TEST_SCRYPT_COST }))).toBe(true)
  })

  it('still verifies version 1 hashes, and refuses hashes of an unknown version', async () => {
    const v1 = versionOneHash('legacy password')
    expect(await verifyPassword('legacy password', v1)).toBe(true)
    expect(await verifyPassword('legacy password\0', v1)).toBe(false)
    expect(await verifyPassword('legacy password ', v1)).toBe(false)
    const [, , params, salt, key] = v1.split('$')
    for (const version of ['1', '3', '02x']) expect(await verifyPassword('legacy password', `$scrypt$v=${version}$${params}$${salt}$${key}`)).toBe(false)
    // A version 2 hash whose version is removed is not taken for version 1.
    const v2 = await hashPassword('legacy password', { cost: TEST_SCRYPT_COST })
    expect(await verifyPassword('legacy password', v2.replace('$v=2$', '$'))).toBe(false)
  })
})
