import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { generate } from 'selfsigned'

/** Where and how the demo listens, and the issuer its tokens carry, from the environment. */
export interface ListenSettings {
  port: number
  /** The bind address (`HOST`, default 127.0.0.1: loopback only). */
  host: string
  https: boolean
  /** The URL the demo's own pages and API reach it at, e.g. `https://localhost:3000`. */
  origin: string
  /** The tokens' `iss` and discovery's `issuer`, with the trailing slash Auth0's has. */
  issuer: string
}

/** A configuration the demo refuses to start with; `main.ts` prints the message and exits 2. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError'
}

/**
 * `PORT` (default 3000), `HOST` (default 127.0.0.1), `HTTPS=1` (TLS on `PORT` with the development
 * certificate) and `ISSUER` (default `http(s)://localhost:PORT/`). Auth0 SDKs build
 * `https://<domain>/…` and compare `iss` with `https://<domain>/`, so an issuer is normalised as
 * Auth0's is: an origin with a trailing slash.
 */
export function listenSettings(env: NodeJS.ProcessEnv): ListenSettings {
  const portText = env['PORT'] ?? '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65_535) throw new SettingsError(`PORT must be a port number (0–65535), not '${portText}'.`)
  const host = env['HOST'] ?? '127.0.0.1'
  if (host === '' || (isIP(host) === 0 && !/^[a-z0-9.-]+$/i.test(host))) throw new SettingsError(`HOST must be an IP address or a host name, not '${host}'.`)
  const httpsText = env['HTTPS']
  if (httpsText !== undefined && httpsText !== '0' && httpsText !== '1') throw new SettingsError(`HTTPS must be 1 (TLS) or 0 (plain HTTP), not '${httpsText}'.`)
  const https = httpsText === '1'
  const origin = `${https ? 'https' : 'http'}://localhost:${port}`
  return { port, host, https, origin, issuer: normaliseIssuer(env['ISSUER'] ?? `${origin}/`) }
}

/** `https://auth.example.com` → `https://auth.example.com/`; a path, query or fragment is refused. */
export function normaliseIssuer(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new SettingsError(`ISSUER must be a URL such as https://auth.example.com/, not '${text}'.`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SettingsError(`ISSUER must be an http(s) URL, not '${text}'.`)
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new SettingsError(`ISSUER must be an origin (like an Auth0 domain: https://auth.example.com/), not '${text}'.`)
  }
  return `${url.origin}/`
}

/** The development certificate's files under the data directory. */
export interface DevCertificate {
  certPath: string
  keyPath: string
  cert: string
  key: string
  created: boolean
}

/**
 * The development certificate for `HTTPS=1`: made once under `dataDir` (a self-signed P-256
 * certificate for localhost, 127.0.0.1 and ::1, valid one year, key owner-only), then reused until
 * it is within a week of expiring. Clients trust it with `NODE_EXTRA_CA_CERTS=<certPath>`.
 */
export async function devCertificate(dataDir: string, now: Date = new Date()): Promise<DevCertificate> {
  const certPath = join(dataDir, 'dev-cert.pem')
  const keyPath = join(dataDir, 'dev-key.pem')
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, 'utf8')
    const key = readFileSync(keyPath, 'utf8')
    const validTo = new Date(new X509Certificate(cert).validTo)
    if (validTo.getTime() - now.getTime() > 7 * 86_400_000) return { certPath, keyPath, cert, key, created: false }
  }
  const notAfterDate = new Date(now.getTime() + 365 * 86_400_000)
  const pems = await generate([{ name: 'commonName', value: 'tokenrules development certificate' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  })
  writeFileSync(keyPath, pems.private, { mode: 0o600 })
  writeFileSync(certPath, pems.cert)
  return { certPath, keyPath, cert: pems.cert, key: pems.private, created: true }
}
