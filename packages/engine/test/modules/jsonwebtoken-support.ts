/**
 * The sandbox's `jsonwebtoken` side by side with the real jsonwebtoken 9 (a dev dependency): the
 * same JavaScript expression, over the same tokens and keys, evaluated by both; each gives the
 * value (as JSON) or the error it threw (name, message, class, the dates jsonwebtoken attaches).
 */
import { createHmac, generateKeyPairSync, sign as nodeSign, type KeyObject, type RSAPSSKeyPairKeyObjectOptions } from 'node:crypto'
import realJwt from 'jsonwebtoken'
import { evaluate } from './support.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
const ec256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const ec384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
// @types/node types saltLength as a string; node:crypto wants the number.
const pssOptions = { modulusLength: 2048, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256', saltLength: 32 } as unknown as RSAPSSKeyPairKeyObjectOptions
const pss = generateKeyPairSync('rsa-pss', pssOptions)
const ed = generateKeyPairSync('ed25519')

const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }) as string
const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }) as string

/** The keys both sides see as `K` (the rule's `configuration`: strings only). */
export const K = {
  SECRET: 'a-shared-secret-of-reasonable-length-0123',
  OTHER_SECRET: 'another-shared-secret-0123456789',
  PRIVATE_PEM: pkcs8(rsa.privateKey),
  PRIVATE_PKCS1_PEM: rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
  PUBLIC_PEM: spki(rsa.publicKey),
  PUBLIC_PKCS1_PEM: rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string,
  PUBLIC_JWK: JSON.stringify(rsa.publicKey.export({ format: 'jwk' })),
  ENCRYPTED_PRIVATE_PEM: rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass-phrase' }) as string,
  OTHER_PUBLIC_PEM: spki(otherRsa.publicKey),
  SMALL_PRIVATE_PEM: pkcs8(smallRsa.privateKey),
  SMALL_PUBLIC_PEM: spki(smallRsa.publicKey),
  EC256_PRIVATE_PEM: pkcs8(ec256.privateKey),
  EC256_PUBLIC_PEM: spki(ec256.publicKey),
  EC384_PRIVATE_PEM: pkcs8(ec384.privateKey),
  EC384_PUBLIC_PEM: spki(ec384.publicKey),
  PSS_PRIVATE_PEM: pkcs8(pss.privateKey),
  PSS_PUBLIC_PEM: spki(pss.publicKey),
  ED_PUBLIC_PEM: spki(ed.publicKey),
}
export type KeyName = keyof typeof K

/** What one evaluation gave. */
export type Outcome = { value: unknown } | { error: { name: string; message: string; jwtError: boolean; error: boolean; expiredAt?: string; date?: string } }

// Defined on both sides: `settle(fn)` runs fn(callback) and gives what the callback heard at once
// (throwing the error it heard), or '<not called>'; `later(fn)` is a promise of what it hears.
// A case that gives a promise is waited for.
const PRELUDE = `
function describeOutcome(e, jwt) {
  var out = { name: e && e.name, message: e && e.message, jwtError: e instanceof jwt.JsonWebTokenError, error: e instanceof Error };
  if (e && e.expiredAt !== undefined) out.expiredAt = e.expiredAt instanceof Date ? e.expiredAt.toISOString() : 'not a Date';
  if (e && e.date !== undefined) out.date = e.date instanceof Date ? e.date.toISOString() : 'not a Date';
  return out;
}
function settle(fn) {
  var heard = null;
  fn(function (err, value) { if (heard === null) heard = { err: err, value: value }; });
  if (heard === null) return '<not called>';
  if (heard.err) throw heard.err;
  return heard.value;
}
function later(fn) {
  return new Promise(function (resolve, reject) {
    fn(function (err, value) { if (err) reject(err); else resolve(value); });
  });
}
function evaluateAll(cases, jwt, K) {
  var out = {};
  var names = Object.keys(cases);
  function record(name, value) { out[name] = { value: value === undefined ? '<undefined>' : JSON.parse(JSON.stringify(value)) }; }
  function fail(name, e) { out[name] = { error: describeOutcome(e, jwt) }; }
  function step(i) {
    if (i === names.length) return Promise.resolve(out);
    var name = names[i];
    var value;
    try {
      value = cases[name](jwt, K);
    } catch (e) {
      fail(name, e);
      return step(i + 1);
    }
    if (value === null || typeof value !== 'object' || typeof value.then !== 'function') {
      record(name, value);
      return step(i + 1);
    }
    return value.then(function (v) { record(name, v); }, function (e) { fail(name, e); }).then(function () { return step(i + 1); });
  }
  return step(0);
}`

function casesSource(cases: Record<string, string>): string {
  return `{${Object.entries(cases)
    .map(([name, expr]) => `${JSON.stringify(name)}: function (jwt, K) { return (${expr}); }`)
    .join(',\n')}}`
}

/** Evaluate each expression (over `jwt`, `K`, `Buffer`, `settle`, `later`) with the real jsonwebtoken 9 here. */
export async function inNode(cases: Record<string, string>): Promise<Record<string, Outcome>> {
  const run = new Function('jwt', 'K', 'Buffer', `${PRELUDE}\nreturn evaluateAll(${casesSource(cases)}, jwt, K);`) as (
    ...args: unknown[]
  ) => Promise<Record<string, Outcome>>
  return run(realJwt, K, Buffer)
}

/** Evaluate each expression with the sandbox's jsonwebtoken, in one run. */
export async function inSandbox(cases: Record<string, string>, options: Record<string, unknown> = {}): Promise<Record<string, Outcome>> {
  return evaluate(`${PRELUDE}\nevaluateAll(${casesSource(cases)}, require('jsonwebtoken'), configuration).then(done);`, {
    modules: { crypto: true },
    configuration: K,
    // Dozens of key parses and signatures in one run, on the worker pool of a busy 2-core machine.
    limits: { timeoutMs: 60_000 },
    ...options,
  })
}

/** Both sides' outcomes, by case. */
export async function sideBySide(cases: Record<string, string>): Promise<{ sandbox: Record<string, Outcome>; real: Record<string, Outcome> }> {
  const real = await inNode(cases)
  const sandbox = await inSandbox(cases)
  return { sandbox, real }
}

// ---- tokens made here, with node:crypto, as an attacker would ----
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const HASH: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

/** A token whose header says `header.alg` and whose signature is an HMAC with `secret` (any bytes: a public key's PEM, say). */
export function macToken(payload: unknown, secret: string | Buffer, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }, hash?: string): string {
  const input = `${b64(header)}.${b64(payload)}`
  const digest = hash ?? HASH[String(header['alg']).toUpperCase()] ?? 'sha256'
  return `${input}.${createHmac(digest, secret).update(input).digest('base64url')}`
}

/** A token with `signature` as its third part, as is. */
export function rawToken(payload: unknown, header: Record<string, unknown>, signature: string): string {
  return `${b64(header)}.${b64(payload)}.${signature}`
}

/** An RS256 token signed with the test's RSA private key. */
export function rsToken(payload: unknown, header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' }): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${nodeSign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url')}`
}

/** `text` as a JavaScript string literal. */
export const lit = (text: string) => JSON.stringify(text)
