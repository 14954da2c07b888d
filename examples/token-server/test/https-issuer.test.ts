import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { devCertificate, listenSettings, normaliseIssuer, SettingsError } from '../src/listen.js'
import { demoArgs, demoCommand, demoRoot, freePort, startDemo } from './demo-process.js'

const dataDir = mkdtempSync(join(tmpdir(), 'tokenrules-https-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

/** An HTTPS request that trusts only `ca` (what NODE_EXTRA_CA_CERTS does for an SDK). */
function httpsJson(url: string, ca: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? 'GET', ca, headers: init.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }))
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>

describe('the demo over HTTPS with its development certificate (issue 16, item 1)', () => {
  it('serves TLS on PORT with a certificate made once under DATA_DIR, and the issuer is https://localhost:PORT/ in discovery and tokens alike', async () => {
    const port = await freePort()
    const demo = await startDemo(port, dataDir, { env: { HTTPS: '1' } })
    const certPath = join(dataDir, 'dev-cert.pem')
    try {
      expect(demo.stdout()).toContain(`listening on https://localhost:${port}`)
      expect(demo.stdout()).toContain(`  issuer: https://localhost:${port}/\n`)
      expect(demo.stdout()).toContain(`NODE_EXTRA_CA_CERTS=${certPath}`)
      const ca = readFileSync(certPath, 'utf8')
      const origin = `https://localhost:${port}`
      const discovery = await httpsJson(`${origin}/.well-known/openid-configuration`, ca)
      expect(discovery.body['issuer']).toBe(`${origin}/`)
      expect(discovery.body['token_endpoint']).toBe(`${origin}/oauth/token`)
      const tokens = await httpsJson(`${origin}/oauth/token`, ca, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          username: 'bob@example.com',
          password: 'hunter2hunter2',
          realm: 'Customers',
          client_id: 'demo-app',
          client_secret: 'demo-secret',
          audience: 'https://api.example.com',
          scope: 'openid',
        }).toString(),
      })
      expect(tokens.status).toBe(200)
      // Byte for byte: what Auth0 SDKs compare.
      expect(payload(tokens.body['id_token'] as string)['iss']).toBe(discovery.body['issuer'])
      expect(payload(tokens.body['access_token'] as string)['iss']).toBe(discovery.body['issuer'])
      // The printed curl command trusts the certificate and logs in.
      const printed = /Get a token \(password-realm grant\):\n\n([\s\S]+?)\n\n/.exec(demo.stdout())?.[1] ?? ''
      expect(printed).toContain(`--cacert ${certPath}`)
      const { stdout } = await promisify(execFile)('bash', ['-c', printed], { timeout: 20_000 })
      expect(JSON.parse(stdout)).toMatchObject({ token_type: 'Bearer' })
      // The API behind the same TLS port accepts the token.
      const api = await new Promise<number>((resolve, reject) => {
        const req = request(`${origin}/api/messages`, { ca, headers: { authorization: `Bearer ${tokens.body['access_token'] as string}` } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
      expect(api).toBe(200)
    } finally {
      await demo.stop()
    }
    // A restart keeps the certificate (clients keep trusting it).
    const again = await startDemo(port, dataDir, { env: { HTTPS: '1' } })
    try {
      expect(again.stdout()).toContain(`development certificate ${certPath} (existing)`)
    } finally {
      await again.stop()
    }
  }, 120_000)

  it('takes ISSUER as given, normalised to an origin with a trailing slash as Auth0’s is', async () => {
    const port = await freePort()
    const demo = await startDemo(port, mkdtempSync(join(dataDir, 'issuer-')), { env: { ISSUER: 'https://auth.example.com' } })
    try {
      expect(demo.stdout()).toContain('  issuer: https://auth.example.com/\n')
      const discovery = (await (await fetch(`http://localhost:${port}/.well-known/openid-configuration`)).json()) as Record<string, unknown>
      expect(discovery['issuer']).toBe('https://auth.example.com/')
      expect(discovery['token_endpoint']).toBe('https://auth.example.com/oauth/token')
    } finally {
      await demo.stop()
    }
  }, 120_000)

  it('refuses a bad PORT, HOST, HTTPS or ISSUER with a message and exit code 2', async () => {
    for (const [env, message] of [
      [{ HTTPS: 'yes' }, "HTTPS must be 1 (TLS) or 0 (plain HTTP), not 'yes'."],
      [{ ISSUER: 'https://auth.example.com/tenant' }, 'ISSUER must be an origin'],
      [{ PORT: 'eighty' }, "PORT must be a port number (0–65535), not 'eighty'."],
    ] as const) {
      const failure = await promisify(execFile)(demoCommand, demoArgs([]), {
        cwd: demoRoot,
        env: { ...process.env, DATA_DIR: mkdtempSync(join(dataDir, 'bad-')), ...env },
        timeout: 60_000,
      }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      )
      expect(failure?.code).toBe(2)
      expect(failure?.stderr).toContain(message)
    }
  }, 120_000)
})

describe('listenSettings and the development certificate', () => {
  it('defaults to plain HTTP on 127.0.0.1:3000 with the issuer http://localhost:3000/', () => {
    expect(listenSettings({})).toEqual({ port: 3000, host: '127.0.0.1', https: false, origin: 'http://localhost:3000', issuer: 'http://localhost:3000/' })
    expect(listenSettings({ HTTPS: '1', PORT: '8443', HOST: '0.0.0.0' })).toEqual({
      port: 8443,
      host: '0.0.0.0',
      https: true,
      origin: 'https://localhost:8443',
      issuer: 'https://localhost:8443/',
    })
  })

  it('normalises issuers as Auth0 writes its own', () => {
    expect(normaliseIssuer('https://auth.example.com')).toBe('https://auth.example.com/')
    expect(normaliseIssuer('https://AUTH.example.com:443/')).toBe('https://auth.example.com/')
    expect(() => normaliseIssuer('auth.example.com')).toThrow(SettingsError)
    expect(() => normaliseIssuer('ftp://auth.example.com/')).toThrow('ISSUER must be an http(s) URL')
    expect(() => normaliseIssuer('https://auth.example.com/?x=1')).toThrow('ISSUER must be an origin')
  })

  it('makes a certificate for localhost, 127.0.0.1 and ::1 once, and replaces it near its expiry', async () => {
    const dir = mkdtempSync(join(dataDir, 'cert-'))
    const now = new Date('2026-12-01T00:00:00Z')
    const first = await devCertificate(dir, now)
    expect(first.created).toBe(true)
    const { X509Certificate } = await import('node:crypto')
    const cert = new X509Certificate(first.cert)
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(first.key))).toBe(true)
    expect((await devCertificate(dir, now)).created).toBe(false)
    const nearExpiry = new Date(now.getTime() + 360 * 86_400_000)
    const renewed = await devCertificate(dir, nearExpiry)
    expect(renewed.created).toBe(true)
    expect(renewed.cert).not.toBe(first.cert)
  })
})
