/**
 * Auth0's imported password hashes (bulk import `password_hash` / `custom_password_hash`), each
 * algorithm against vectors made by other means than the code under test:
 * - Auth0's documentation examples (bcrypt `hello`, hmac-sha1 `test`, scrypt `password`);
 * - the argon2 reference implementation's README example (argon2i, `password`, `somesalt`);
 * - Python's hashlib / hmac (the constants below, made with `python3 -c 'import hashlib, …'` for
 *   the password `correct horse battery staple`), and the openssl command line at run time;
 * - node:crypto, bcryptjs and @node-rs/argon2 producing fresh hashes at run time.
 */
import { execFileSync } from 'node:child_process'
import { createHash, getHashes, pbkdf2Sync, randomBytes } from 'node:crypto'
import { hash as argon2Hash, type Algorithm } from '@node-rs/argon2'
import bcrypt from 'bcryptjs'
import { describe, expect, it } from 'vitest'
import { PasswordHashImportError, importedPasswordHash, verifyUserPassword } from '@tokenrules/oauth'

const PASSWORD = 'correct horse battery staple'
// @node-rs/argon2's Algorithm is an ambient const enum: its values (Argon2d 0, Argon2id 2).
const ARGON2D = 0 as Algorithm
const ARGON2ID = 2 as Algorithm

type Custom = Record<string, unknown>
const custom = (spec: Custom) => importedPasswordHash({ custom_password_hash: spec }) ?? ''

async function expectVerifies(stored: string, password: string) {
  expect(await verifyUserPassword(password, stored)).toBe(true)
  expect(await verifyUserPassword(`${password}x`, stored)).toBe(false)
  expect(await verifyUserPassword(password.slice(1), stored)).toBe(false)
}

function rejectsWith(spec: { password_hash?: unknown; custom_password_hash?: unknown }, reason: 'invalid' | 'unsupported', path: string) {
  let caught: unknown
  try {
    importedPasswordHash(spec)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(PasswordHashImportError)
  expect(caught).toMatchObject({ code: 'ERR_PASSWORD_HASH_IMPORT', reason, path })
}

describe('bcrypt', () => {
  it("Auth0's documented examples: password_hash and custom_password_hash, $2b$ (and the same hash as $2y$)", async () => {
    const documented = '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K' // "generated from the string hello"
    expect(importedPasswordHash({ password_hash: documented })).toBe(documented)
    await expectVerifies(documented, 'hello')
    await expectVerifies(custom({ algorithm: 'bcrypt', hash: { value: documented } }), 'hello')
    await expectVerifies(custom({ algorithm: 'bcrypt', hash: { value: documented.replace('$2b$', '$2y$'), encoding: 'utf8' } }), 'hello')
  })

  it('a $2a$ hash bcryptjs made (the same computation as $2b$ for an ASCII password), and one over a salted password (salt prefix and suffix)', async () => {
    await expectVerifies(importedPasswordHash({ password_hash: bcrypt.hashSync(PASSWORD, 4).replace(/^\$2b\$/, '$2a$') }) ?? '', PASSWORD)
    const prefixed = bcrypt.hashSync(`pepper${PASSWORD}`, 4)
    await expectVerifies(custom({ algorithm: 'bcrypt', hash: { value: prefixed }, salt: { value: 'pepper' } }), PASSWORD)
    const suffixed = bcrypt.hashSync(`${PASSWORD}pepper`, 4)
    await expectVerifies(custom({ algorithm: 'bcrypt', hash: { value: suffixed }, salt: { value: 'pepper', position: 'suffix' } }), PASSWORD)
  })

  it('refuses what is not a bcrypt hash, and both password fields at once', () => {
    rejectsWith({ password_hash: '$2x$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K' }, 'invalid', 'password_hash')
    rejectsWith({ password_hash: 'hello' }, 'invalid', 'password_hash')
    rejectsWith({ custom_password_hash: { algorithm: 'bcrypt', hash: { value: '$sha1$abc' } } }, 'invalid', 'custom_password_hash.hash.value')
    rejectsWith(
      { password_hash: '$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K', custom_password_hash: { algorithm: 'md5', hash: { value: '00' } } },
      'invalid',
      'password_hash',
    )
  })
})

describe('argon2', () => {
  it("the reference implementation's README example (argon2i), and fresh argon2id / argon2d hashes", async () => {
    await expectVerifies(
      custom({ algorithm: 'argon2', hash: { value: '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG' } }),
      'password',
    )
    const id = await argon2Hash(PASSWORD, { algorithm: ARGON2ID, memoryCost: 4096, timeCost: 2 })
    await expectVerifies(custom({ algorithm: 'argon2', hash: { value: id, encoding: 'utf8' } }), PASSWORD)
    const d = await argon2Hash(PASSWORD, { algorithm: ARGON2D, memoryCost: 4096, timeCost: 1 })
    await expectVerifies(custom({ algorithm: 'argon2', hash: { value: d } }), PASSWORD)
  })

  it('refuses a salt field (the PHC string holds it), another encoding, a string that is not PHC', () => {
    const value = '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'
    rejectsWith({ custom_password_hash: { algorithm: 'argon2', hash: { value }, salt: { value: 'x' } } }, 'invalid', 'custom_password_hash.salt')
    rejectsWith({ custom_password_hash: { algorithm: 'argon2', hash: { value, encoding: 'hex' } } }, 'invalid', 'custom_password_hash.hash.encoding')
    rejectsWith({ custom_password_hash: { algorithm: 'argon2', hash: { value: '$argon2x$m=1$a$b' } } }, 'invalid', 'custom_password_hash.hash.value')
  })
})

describe('pbkdf2 (PHC string)', () => {
  it('hashlib vectors: sha512 and sha256 with i and l, sha1 with the defaults (i=100000, l=64)', async () => {
    await expectVerifies(
      custom({
        algorithm: 'pbkdf2',
        hash: {
          value: '$pbkdf2-sha512$i=1000,l=64$AQIDBAUGBwg$ZadI4MIBFG6ktyQ4pCpizFlD+ou8ivKOg5E+j+eKpCI34OPXtWe8uhHVQzvsiMb/5jGVQGHSsLcZ1xXYmrMAQw',
          encoding: 'utf8',
        },
      }),
      PASSWORD,
    )
    await expectVerifies(
      custom({ algorithm: 'pbkdf2', hash: { value: '$pbkdf2-sha256$i=1000,l=32$AQIDBAUGBwg$xMJFOH/NQbn2+fVZVpW+8miCe35FWVF5XjwgY4ytrNs' } }),
      PASSWORD,
    )
    await expectVerifies(
      custom({
        algorithm: 'pbkdf2',
        hash: { value: '$pbkdf2-sha1$AQIDBAUGBwg$aYt9RQSQUZUM5zOO+ECcthVouPGhNW6UlKMwyY1y4kUxlzgLBUNDOTlo3x0v9/Ex0gfj9Tib3cwho/oUaYjBvg' },
      }),
      PASSWORD,
    )
  })

  it('a fresh node:crypto hash; a key length that does not match l, unknown parameters and a salt field are refused', async () => {
    const salt = randomBytes(16)
    const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '')
    await expectVerifies(
      custom({ algorithm: 'pbkdf2', hash: { value: `$pbkdf2-sha384$i=2000,l=48$${b64(salt)}$${b64(pbkdf2Sync(PASSWORD, salt, 2000, 48, 'sha384'))}` } }),
      PASSWORD,
    )
    const key = b64(pbkdf2Sync(PASSWORD, salt, 10, 32, 'sha256'))
    rejectsWith(
      { custom_password_hash: { algorithm: 'pbkdf2', hash: { value: `$pbkdf2-sha256$i=10,l=64$${b64(salt)}$${key}` } } },
      'invalid',
      'custom_password_hash.hash.value',
    )
    rejectsWith(
      { custom_password_hash: { algorithm: 'pbkdf2', hash: { value: `$pbkdf2-sha256$i=10,l=32,x=1$${b64(salt)}$${key}` } } },
      'invalid',
      'custom_password_hash.hash.value',
    )
    rejectsWith(
      { custom_password_hash: { algorithm: 'pbkdf2', hash: { value: `$pbkdf2-sha256$i=10,l=32$${b64(salt)}$${key}` }, salt: { value: 'x' } } },
      'invalid',
      'custom_password_hash.salt',
    )
    rejectsWith(
      { custom_password_hash: { algorithm: 'pbkdf2', hash: { value: `$pbkdf2-nope$i=10,l=32$${b64(salt)}$${key}` } } },
      'unsupported',
      'custom_password_hash.hash.value',
    )
  })
})

describe('md5, sha1, sha256, sha512 with a salt', () => {
  it('hashlib vectors: prefix and suffix salts, utf8 and hex salts, hex (either case), base64 and url-safe base64 hashes', async () => {
    await expectVerifies(
      custom({
        algorithm: 'sha256',
        hash: { value: 'd1717f815a13628a9333493e2c4ecc73d2bb324b5dbf9281691393b34416ba55', encoding: 'hex' },
        salt: { value: 'NaCl-42', position: 'prefix' },
      }),
      PASSWORD,
    )
    await expectVerifies(
      custom({
        algorithm: 'sha512',
        hash: { value: 'modkFNdAnREf6fL9lr+/V5RbS+poIFiig3eXFPxitd5FL+8v3nTgtVS7nB2R9rpvjMgGXUsRePmfx06YgceHSA==', encoding: 'base64' },
        salt: { value: 'NaCl-42', position: 'suffix', encoding: 'utf8' },
      }),
      PASSWORD,
    )
    await expectVerifies(custom({ algorithm: 'sha1', hash: { value: 'ABF7AAD6438836DBE526AA231ABDE2D0EEF74D42', encoding: 'hex' } }), PASSWORD)
    await expectVerifies(
      custom({ algorithm: 'md5', hash: { value: 'df46caea2181e32db6aab0969327cb87', encoding: 'hex' }, salt: { value: 'a1b2c3d4', encoding: 'hex' } }),
      PASSWORD,
    )
    await expectVerifies(custom({ algorithm: 'md5', hash: { value: 'nMKuihunqT2jm0b8EBnEgQ', encoding: 'base64' } }), PASSWORD)
  })

  it("the password's encoding: a hash of the UTF-16LE password (hashlib)", async () => {
    await expectVerifies(
      custom({
        algorithm: 'sha256',
        hash: { value: 'a06ca8bee4d131f32f0ba795d819316250849d48f286958d3230e9c54b0398fe', encoding: 'hex' },
        password: { encoding: 'utf16le' },
      }),
      PASSWORD,
    )
  })

  it('the openssl command line: sha256 over a base64 salt and the password', async () => {
    const salt = randomBytes(12)
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: Buffer.concat([salt, Buffer.from(PASSWORD)]) }).toString('base64')
    await expectVerifies(
      custom({ algorithm: 'sha256', hash: { value: digest, encoding: 'base64' }, salt: { value: salt.toString('base64'), encoding: 'base64' } }),
      PASSWORD,
    )
  })

  it('refuses a utf8 hash encoding, bad hex and bad base64, a missing hash', () => {
    rejectsWith({ custom_password_hash: { algorithm: 'sha256', hash: { value: 'abc', encoding: 'utf8' } } }, 'invalid', 'custom_password_hash.hash.encoding')
    rejectsWith({ custom_password_hash: { algorithm: 'sha256', hash: { value: 'abz0', encoding: 'hex' } } }, 'invalid', 'custom_password_hash.hash.value')
    rejectsWith(
      { custom_password_hash: { algorithm: 'sha1', hash: { value: 'not base64!', encoding: 'base64' } } },
      'invalid',
      'custom_password_hash.hash.value',
    )
    rejectsWith({ custom_password_hash: { algorithm: 'sha1', salt: { value: 'x' } } }, 'invalid', 'custom_password_hash.hash')
    rejectsWith({ custom_password_hash: { algorithm: 'rot13', hash: { value: 'x' } } }, 'invalid', 'custom_password_hash.algorithm')
    rejectsWith({ custom_password_hash: { algorithm: 'md5', hash: { value: '00', encoding: 'hex' }, extra: 1 } }, 'invalid', 'custom_password_hash')
  })

  it('md4: verifies where this Node.js has it, else a typed unsupported error (OpenSSL 3 without the legacy provider)', async () => {
    const spec = { algorithm: 'md4', hash: { value: 'AbuUujgF0pPPkJPSFRTpmA==', encoding: 'base64' } }
    if (getHashes().includes('md4')) {
      const value = createHash('md4').update(PASSWORD).digest('base64')
      await expectVerifies(custom({ ...spec, hash: { value, encoding: 'base64' } }), PASSWORD)
    } else {
      rejectsWith({ custom_password_hash: spec }, 'unsupported', 'custom_password_hash.algorithm')
    }
  })
})

describe('hmac', () => {
  it("Auth0's documented example (sha1, hex key), and a hashlib sha256 with a base64 key", async () => {
    await expectVerifies(
      custom({
        algorithm: 'hmac',
        hash: { value: 'cg7f42jH39/2EaAU4wNd4s2lKIk=', encoding: 'base64', digest: 'sha1', key: { value: '736868', encoding: 'hex' } },
      }),
      'test',
    )
    await expectVerifies(
      custom({
        algorithm: 'hmac',
        hash: {
          value: 'Z30Zv84VcPhbf8TXJmmk5P+bx0j4i6lgye+/wjPBDkk=',
          encoding: 'base64',
          digest: 'sha256',
          key: { value: 'c2VjcmV0LWtleQ==', encoding: 'base64' },
        },
      }),
      PASSWORD,
    )
  })

  it('the openssl command line: hmac-sha512 with a utf8 key, hex', async () => {
    const digest = execFileSync('openssl', ['dgst', '-sha512', '-hmac', 'k3y', '-hex', '-r'], { input: PASSWORD }).toString().split(' ')[0] ?? ''
    await expectVerifies(custom({ algorithm: 'hmac', hash: { value: digest, encoding: 'hex', digest: 'sha512', key: { value: 'k3y' } } }), PASSWORD)
  })

  it('refuses hmac without a digest or a key, and names whirlpool unsupported where it is', () => {
    rejectsWith(
      { custom_password_hash: { algorithm: 'hmac', hash: { value: '00', encoding: 'hex', key: { value: 'k' } } } },
      'invalid',
      'custom_password_hash.hash.digest',
    )
    rejectsWith(
      { custom_password_hash: { algorithm: 'hmac', hash: { value: '00', encoding: 'hex', digest: 'sha1' } } },
      'invalid',
      'custom_password_hash.hash.key',
    )
    rejectsWith(
      { custom_password_hash: { algorithm: 'sha1', hash: { value: '00', encoding: 'hex', digest: 'sha1' } } },
      'invalid',
      'custom_password_hash.hash.digest',
    )
    if (!getHashes().includes('whirlpool')) {
      rejectsWith(
        { custom_password_hash: { algorithm: 'hmac', hash: { value: '00', encoding: 'hex', digest: 'whirlpool', key: { value: 'k' } } } },
        'unsupported',
        'custom_password_hash.hash.digest',
      )
    }
  })
})

describe('ldap (RFC 2307 userPassword)', () => {
  it('hashlib vectors: {SSHA}, {SHA256}, {SMD5}, {SSHA512}', async () => {
    for (const value of [
      '{SSHA}UA6P6sjYmVAxw3xjBYQRb6rYX0QKCwwN',
      '{SHA256}xLvLH77JnWW/WdhcjLYu4tuWPw/hBvSD2a+nO9Tjmoo=',
      '{SMD5}Q/xxzX3+TgiCboljzcdcjgoLDA0=',
      '{SSHA512}QdFhP57kTz44FrGW7zCVWJHYeVq+WmaZkzc1Vq8mPSx7dBYBbDVRxrfCrrOcK9z7bxKKxGeHB3eC+bL8YSPlTQoLDA0=',
    ]) {
      await expectVerifies(custom({ algorithm: 'ldap', hash: { value, encoding: 'utf8' } }), PASSWORD)
    }
  })

  it('an openssl {SHA} (unsalted sha1); crypt, a wrong length and a salt field are refused', async () => {
    const sha = execFileSync('openssl', ['dgst', '-sha1', '-binary'], { input: PASSWORD }).toString('base64')
    await expectVerifies(custom({ algorithm: 'ldap', hash: { value: `{SHA}${sha}` } }), PASSWORD)
    rejectsWith({ custom_password_hash: { algorithm: 'ldap', hash: { value: '{CRYPT}aa12345678' } } }, 'invalid', 'custom_password_hash.hash.value')
    rejectsWith({ custom_password_hash: { algorithm: 'ldap', hash: { value: '{SHA256}AAAA' } } }, 'invalid', 'custom_password_hash.hash.value')
    rejectsWith({ custom_password_hash: { algorithm: 'ldap', hash: { value: `{SHA}${sha}` }, salt: { value: 'x' } } }, 'invalid', 'custom_password_hash.salt')
  })
})

describe('scrypt (Auth0 custom)', () => {
  it("Auth0's documented example (password `password`), and a hashlib vector", async () => {
    await expectVerifies(
      custom({
        algorithm: 'scrypt',
        hash: { value: '097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29', encoding: 'hex' },
        salt: { value: 'abc123', encoding: 'utf8' },
        keylen: 32,
        cost: 4096,
      }),
      'password',
    )
    await expectVerifies(
      custom({
        algorithm: 'scrypt',
        hash: { value: 'a277aed3d25bda506fd83bd8323ff573fac956ae7380293c7c194faebce45bbf', encoding: 'hex' },
        salt: { value: 'pepper' },
        keylen: 32,
        cost: 1024,
        blockSize: 8,
        parallelization: 1,
      }),
      PASSWORD,
    )
  })

  it('refuses scrypt without keylen, a cost that is not a power of two, parameters beyond 1 GiB; keylen on another algorithm', () => {
    const hash = { value: '00', encoding: 'hex' }
    rejectsWith({ custom_password_hash: { algorithm: 'scrypt', hash } }, 'invalid', 'custom_password_hash.keylen')
    rejectsWith({ custom_password_hash: { algorithm: 'scrypt', hash, keylen: 1, cost: 1000 } }, 'invalid', 'custom_password_hash.cost')
    rejectsWith({ custom_password_hash: { algorithm: 'scrypt', hash, keylen: 1, cost: 2 ** 20, blockSize: 16 } }, 'invalid', 'custom_password_hash.cost')
    rejectsWith({ custom_password_hash: { algorithm: 'sha1', hash, keylen: 1 } }, 'invalid', 'custom_password_hash.keylen')
  })
})

describe('what a store holds', () => {
  it('no password field: nothing to store; stored garbage or a user without a password never verifies', async () => {
    expect(importedPasswordHash({})).toBeUndefined()
    expect(await verifyUserPassword('hello', '$none$')).toBe(false)
    expect(await verifyUserPassword('', '$none$')).toBe(false)
    expect(await verifyUserPassword('hello', '$auth0$e30')).toBe(false) // {} is not a custom hash
    expect(await verifyUserPassword('hello', '')).toBe(false)
  })
})
