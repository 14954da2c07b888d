/**
 * The conformance suite's harness (issue 16, "How to prove it"): the demo started once per test
 * file over HTTPS with its development certificate, and the real client SDKs run in child Node
 * processes that trust that certificate the way a user does, with `NODE_EXTRA_CA_CERTS` (read at
 * process start, so the test process itself cannot take it). The SDKs get the domain alone
 * (`localhost:PORT`); nothing rewrites their requests.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, demoRoot, startDemo, type Demo } from '../demo-process.js'

export interface HttpsDemo {
  /** `localhost:PORT`: what an Auth0 SDK is given as its domain. */
  domain: string
  /** `https://localhost:PORT/`: the issuer, with Auth0's trailing slash. */
  issuer: string
  /** The development certificate's path, for `NODE_EXTRA_CA_CERTS`. */
  certPath: string
  dataDir: string
  demo: Demo
  stop: () => Promise<void>
}

/** The demo over HTTPS on a free port and a fresh data directory. */
export async function startHttpsDemo(): Promise<HttpsDemo> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tokenrules-conformance-'))
  const port = await freePort()
  const demo = await startDemo(port, dataDir, { flags: [], env: { HTTPS: '1' } })
  return {
    domain: `localhost:${port}`,
    issuer: `https://localhost:${port}/`,
    certPath: join(dataDir, 'dev-cert.pem'),
    dataDir,
    demo,
    stop: async () => {
      await demo.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** What a scenario ended with: its value, or the error the SDK threw with its own fields. */
export type Outcome<T = any> = { ok: true; value: T } | { ok: false; error: SdkError }

/** An SDK's error as the scenario saw it: its class name, message and own enumerable fields (statusCode, error, cause…). */
export interface SdkError {
  name: string
  message: string
  [field: string]: any
}

/**
 * The ES module body the child runs: `input` is the JSON given, `DOMAIN`, `ISSUER`, `CLIENT_ID`
 * and `CLIENT_SECRET` are defined; the body's `return` value is the outcome. It runs in the demo's
 * directory, so it imports the SDKs the demo installed as a user's app would.
 */
const PRELUDE = `
const input = JSON.parse(process.env.CONFORMANCE_INPUT);
const DOMAIN = process.env.CONFORMANCE_DOMAIN;
const ISSUER = 'https://' + DOMAIN + '/';
const CLIENT_ID = 'demo-app';
const CLIENT_SECRET = 'demo-secret';
function describeError(e, depth = 0) {
  if (e === null || typeof e !== 'object') return { name: typeof e, message: String(e) };
  const out = { name: e.constructor && e.constructor.name !== 'Object' ? e.constructor.name : String(e.name), message: String(e.message) };
  for (const key of Object.keys(e)) {
    const v = e[key];
    if (v instanceof Headers) out[key] = Object.fromEntries(v);
    else if (v instanceof Response) out[key] = { status: v.status };
    else if (v instanceof Error) out[key] = depth < 2 ? describeError(v, depth + 1) : String(v);
    else if (typeof v !== 'function') out[key] = v;
  }
  if (e.cause !== undefined && out.cause === undefined) out.cause = e.cause instanceof Error ? describeError(e.cause, depth + 1) : e.cause;
  if (e.code !== undefined) out.code = e.code;
  return out;
}
`

/** Runs `body` (an async ES module body, see {@link PRELUDE}) in a child `node` that trusts the demo's certificate. */
export async function runSdk<T = any>(server: HttpsDemo, body: string, input: unknown = {}): Promise<Outcome<T>> {
  const source = `${PRELUDE}
let outcome;
try {
  outcome = { ok: true, value: await (async () => {\n${body}\n})() };
} catch (e) {
  outcome = { ok: false, error: describeError(e) };
}
process.stdout.write('\\n@@OUTCOME@@' + JSON.stringify(outcome === undefined ? { ok: true, value: null } : outcome, (k, v) => (v === undefined ? null : v)));
process.exit(0);
`
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', source],
      {
        cwd: demoRoot,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? '',
          NODE_EXTRA_CA_CERTS: server.certPath,
          CONFORMANCE_DOMAIN: server.domain,
          CONFORMANCE_INPUT: JSON.stringify(input),
        },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        error && !stdout.includes('@@OUTCOME@@')
          ? reject(new Error(`the scenario's node failed (${error.code ?? error.signal}):\n${stderr}`))
          : resolve({ stdout, stderr }),
    )
  })
  const marker = stdout.lastIndexOf('@@OUTCOME@@')
  if (marker === -1) throw new Error(`the scenario printed no outcome:\n${stdout}\n${stderr}`)
  return JSON.parse(stdout.slice(marker + '@@OUTCOME@@'.length)) as Outcome<T>
}

/** The value of a scenario that must succeed; its error in the assertion message otherwise. */
export function value<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`the SDK failed: ${JSON.stringify(outcome.error, null, 2)}`)
  return outcome.value
}

/** The error of a scenario that must fail. */
export function failure(outcome: Outcome): SdkError {
  if (outcome.ok) throw new Error(`the SDK succeeded where it must fail: ${JSON.stringify(outcome.value)}`)
  return outcome.error
}

/** A JWT's payload and header, unverified (the SDKs verified it). */
export function decodeJwt(jwt: string): { header: Record<string, any>; payload: Record<string, any> } {
  const [header = '', payload = ''] = jwt.split('.')
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) }
}

export const USERS = {
  alice: { username: 'alice@example.com', password: 'correct horse battery staple', realm: 'Employees' },
  bob: { username: 'bob@example.com', password: 'hunter2hunter2', realm: 'Customers' },
  carol: { username: 'carol@example.com', password: 'open sesame seed bagel', realm: 'Employees' },
} as const

export const AUDIENCE = 'https://api.example.com'
