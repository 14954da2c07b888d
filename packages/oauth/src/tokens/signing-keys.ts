import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWTPayload } from 'jose'
import type { SecretBox } from '../lib/secret-box.js'
import type { KeyStore, SigningKeyRecord } from '../stores/types.js'
import type { SigningAlgorithm } from '../options.js'

const PURPOSE = 'signing-key'

/**
 * A public key as published in the JWKS (`server.keys.jwks()`, `GET /.well-known/jwks.json`):
 * JWK members with `kid`, `alg` and `use: "sig"`.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createPublicKey, verify } from 'node:crypto'
 * import { GRANT_TYPES, createTokenServer, type PublicJwk } from '@tokenrules/oauth'
 *
 * await using server = await createTokenServer({
 *   issuer: 'https://auth.example.com/',
 *   engine: { rules: [] },
 *   clients: [{ clientId: 'mobile', grants: [GRANT_TYPES.password], allowPublic: true }],
 *   apis: [{ identifier: 'https://api.example.com', scopes: ['read:messages'] }],
 *   directories: [{ name: 'Employees' }],
 *   keys: { algorithm: 'ES256' },
 *   passwords: { scryptCost: 2 ** 12 },
 * })
 * await server.users.create({ directory: 'Employees', email: 'alice@example.com', password: 'correct horse battery staple' })
 * const response = await server.handler(
 *   new Request('http://localhost/oauth/token', {
 *     method: 'POST',
 *     body: new URLSearchParams({ grant_type: 'password', client_id: 'mobile', username: 'alice@example.com', password: 'correct horse battery staple', audience: 'https://api.example.com' }),
 *   }),
 *   { remoteAddress: '127.0.0.1' },
 * )
 * const { access_token } = (await response.json()) as { access_token: string }
 *
 * // An API verifies the token with the published key of its `kid`.
 * const [header = '', payload = '', signature = ''] = access_token.split('.')
 * const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string }
 * const jwk: PublicJwk | undefined = server.keys.jwks().keys.find((key) => key.kid === kid)
 * assert.equal(jwk?.use, 'sig')
 * const key = createPublicKey({ key: jwk, format: 'jwk' })
 * const valid = verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))
 * assert.equal(valid, true)
 * ```
 */
export type PublicJwk = Record<string, string>

/**
 * The server's signing keys: the newest signs, the `published` newest are in the JWKS, so tokens
 * signed before a rotation still verify until they expire.
 */
export class SigningKeys {
  #records: SigningKeyRecord[] = []
  #current: { kid: string; alg: SigningAlgorithm; key: CryptoKey } | undefined
  /** Reloads started and the newest one applied: a slow read never overwrites a newer one. */
  #started = 0
  #applied = 0

  constructor(
    readonly store: KeyStore,
    readonly box: SecretBox,
    readonly published: number,
    readonly now: () => number,
  ) {}

  /**
   * Load the stored keys; make one of `algorithm` when there is none (or the newest is of another
   * algorithm). On an empty store the first key goes in through `addFirst` when the store has it,
   * so servers starting at once on one shared store all sign with the one key that won.
   */
  async init(algorithm: SigningAlgorithm): Promise<void> {
    await this.reload()
    if (this.#records.length === 0 && this.store.addFirst !== undefined) {
      await this.store.addFirst(await this.#newKey(algorithm))
      await this.reload()
    }
    if (this.#records[0]?.alg !== algorithm) await this.rotate(algorithm)
  }

  /**
   * Re-read the store (another server may have rotated). All or nothing: when the store cannot be
   * read or the newest key cannot be opened, the keys loaded before stay in use and published.
   */
  async reload(): Promise<void> {
    const started = ++this.#started
    const records = await this.store.list()
    const newest = records[0]
    let current = newest === undefined ? undefined : this.#current
    if (newest !== undefined && current?.kid !== newest.kid) {
      let jwk: JWK
      try {
        jwk = JSON.parse(this.box.open(newest.sealedPrivateJwk, PURPOSE)) as JWK
      } catch (error) {
        throw new Error(`Signing key ${newest.kid} cannot be opened: it was sealed with another encryptionKey.`, { cause: error })
      }
      current = { kid: newest.kid, alg: newest.alg, key: (await importJWK(jwk, newest.alg)) as CryptoKey }
    }
    if (started < this.#applied) return
    this.#applied = started
    this.#records = records
    this.#current = current
  }

  /**
   * Make a new key the signing key. The previous ones stay published up to `published` keys;
   * older ones are deleted. Returns the new `kid`.
   */
  async rotate(algorithm: SigningAlgorithm = this.#current?.alg ?? 'RS256'): Promise<string> {
    const record = await this.#newKey(algorithm)
    const { kid } = record
    await this.store.add(record)
    const all = await this.store.list()
    for (const old of all.slice(this.published)) await this.store.remove(old.kid)
    await this.reload()
    return kid
  }

  /** A new key of `algorithm`, sealed for the store. */
  async #newKey(algorithm: SigningAlgorithm): Promise<SigningKeyRecord> {
    const { privateKey, publicKey } = await generateKeyPair(algorithm, algorithm === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true })
    const publicJwk = await exportJWK(publicKey)
    const kid = await calculateJwkThumbprint(publicJwk)
    return {
      kid,
      alg: algorithm,
      sealedPrivateJwk: this.box.seal(JSON.stringify(await exportJWK(privateKey)), PURPOSE),
      publicJwk: { ...(publicJwk as PublicJwk), kid, alg: algorithm, use: 'sig' },
      createdAt: this.now(),
    }
  }

  /** The JWKS document. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.#records.slice(0, this.published).map((record) => ({ ...record.publicJwk })) }
  }

  /** The signing algorithm in use. */
  get algorithm(): SigningAlgorithm {
    return this.#signer().alg
  }

  /** Sign `payload` with the current key. */
  async sign(payload: JWTPayload, typ: string): Promise<string> {
    const { kid, alg, key } = this.#signer()
    return new SignJWT(payload).setProtectedHeader({ alg, kid, typ }).sign(key)
  }

  #signer() {
    if (this.#current === undefined) throw new Error('No signing key is loaded.')
    return this.#current
  }
}
