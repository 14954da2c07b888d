import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startDemo, type Demo } from './demo-process.js'
import { totp } from './totp.js'

/**
 * The login page and the rules playground, end to end in Debian's Chromium (`setup:system`
 * installs it) driven by playwright-core, against the demo server started as a subprocess.
 * Screenshots land in `test-artifacts/` (gitignored).
 */
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'tokenrules-browser-'))
const CHROMIUM = '/usr/bin/chromium'

let demo: Demo
let browser: Browser

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  ;[demo, browser] = await Promise.all([
    freePort().then((port) => startDemo(port, dataDir)),
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    }),
  ])
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await demo?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

async function page(path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  // The pages must work offline: anything not from the demo's origin fails the test.
  const foreign: string[] = []
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(demo.origin)) return route.continue()
    foreign.push(url)
    return route.abort()
  })
  const p = await context.newPage()
  const errors: string[] = []
  p.on('pageerror', (error) => errors.push(error.message))
  problems.set(p, { errors, foreign })
  await p.goto(demo.origin + path)
  return p
}

const problems = new WeakMap<Page, { errors: string[]; foreign: string[] }>()

/** Close the page; it must have thrown no error and requested nothing outside the demo. */
async function finish(p: Page): Promise<void> {
  await p.context().close()
  expect(problems.get(p)).toEqual({ errors: [], foreign: [] })
}

async function signIn(p: Page, realm: string, username: string, password: string): Promise<void> {
  await p.selectOption('#realm', realm)
  await p.fill('#username', username)
  await p.fill('#password', password)
  await p.click('#submit')
}

const shot = (p: Page, name: string) => p.screenshot({ path: join(artifacts, name), fullPage: true })

describe('the login page (/)', () => {
  it('signs alice in (Employees), shows the decoded claims and scopes, and calls the API with the access token', async () => {
    const p = await page('/')
    expect(await p.locator('#realm option').allTextContents()).toEqual(['Employees', 'Customers'])
    await signIn(p, 'Employees', 'alice@example.com', 'correct horse battery staple')
    await p.locator('#tokens').waitFor()
    expect(await p.textContent('#welcome')).toBe('Signed in as Alice.')
    const accessClaims = await p.textContent('#access-claims')
    expect(accessClaims).toContain('https://example.com/roles["admin"]')
    expect(accessClaims).toContain('azpdemo-app')
    expect(await p.locator('#scopes .chip').allTextContents()).toEqual(['openid', 'profile', 'email', 'offline_access', 'read:messages', 'write:messages'])
    expect(await p.textContent('#id-claims')).toContain('emailalice@example.com')
    await p.click('#call-api')
    await p.locator('#api-result', { hasText: 'HTTP 200' }).waitFor()
    expect(await p.textContent('#api-result')).toContain('Welcome to tokenrules.')
    await shot(p, 'login-alice.png')
    await finish(p)
  })

  it('shows a wrong password readably (invalid_grant)', async () => {
    const p = await page('/')
    await signIn(p, 'Employees', 'alice@example.com', 'not her password')
    await p.locator('#error').waitFor()
    expect(await p.textContent('#error-title')).toBe('Wrong email or password.')
    expect(await p.textContent('#error-raw')).toBe('HTTP 403 {"error":"invalid_grant","error_description":"Wrong email or password."}')
    expect(await p.locator('#tokens').isVisible()).toBe(false)
    await shot(p, 'login-wrong-password.png')
    await finish(p)
  })

  it('asks carol for a one-time code (mfa_required), enrolls her authenticator, and completes with the mfa-otp grant', async () => {
    const p = await page('/')
    await signIn(p, 'Employees', 'carol@example.com', 'open sesame seed bagel')
    await p.locator('#mfa').waitFor()
    const secret = (await p.textContent('#mfa-secret')) ?? ''
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/)
    expect(await p.textContent('#mfa-uri')).toMatch(/^otpauth:\/\/totp\//)
    await shot(p, 'login-mfa.png')

    // A wrong code is refused readably; the right one completes the login.
    const right = totp(secret)
    await p.fill('#otp', right === '000000' ? '111111' : '000000')
    await p.click('#verify')
    await p.locator('#error').waitFor()
    expect(await p.textContent('#error-raw')).toContain('"error":"invalid_grant"')
    expect(await p.textContent('#error-text')).toContain('That code is not valid.')

    await p.fill('#otp', right)
    await p.click('#verify')
    await p.locator('#tokens').waitFor()
    expect(await p.textContent('#welcome')).toBe('Signed in as Carol.')
    expect(await p.textContent('#access-claims')).toContain('amr["mfa"]')
    expect(await p.textContent('#access-claims')).toContain('https://example.com/roles["support"]')
    await finish(p)
  })

  it('shows too_many_attempts once a user and IP passed the brute-force threshold', async () => {
    const wrong = { realm: 'Customers', username: 'bob@example.com', password: 'wrong password' }
    for (let i = 0; i < 10; i++) {
      const answer = await fetch(`${demo.origin}/demo/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(wrong) })
      expect(((await answer.json()) as { error: string }).error).toBe('invalid_grant')
    }
    const p = await page('/')
    await signIn(p, 'Customers', 'bob@example.com', 'hunter2hunter2')
    await p.locator('#error').waitFor()
    expect(await p.textContent('#error-title')).toBe('Too many failed attempts.')
    expect(await p.textContent('#error-text')).toMatch(/Try again in \d+ minute\(s\)\./)
    expect(await p.textContent('#error-raw')).toContain('HTTP 429 {"error":"too_many_attempts"')
    await shot(p, 'login-too-many-attempts.png')
    await finish(p)
  })
})

describe('the rules playground (/playground)', () => {
  it('runs the sample rules: claims, scopes, a dropped claim, logs and per-rule timings', async () => {
    const p = await page('/playground')
    await p.click('#run')
    await p.locator('#status', { hasText: 'Token issued' }).waitFor()
    expect(JSON.parse((await p.textContent('#access-claims')) ?? '')).toEqual({ 'https://example.com/roles': ['admin'] })
    expect(await p.textContent('#warnings')).toContain("CLAIM_DROPPED: 'favourite_colour' is not namespaced")
    expect(await p.textContent('#logs')).toBe('[add-roles] log: roles for alice@example.com ["admin"]')
    expect(await p.locator('#timings td:first-child').allTextContents()).toEqual(['require-verified-email', 'add-roles'])

    // A third rule that sets scopes and a claim from configuration.
    await p.click('#add-rule')
    await p.locator('.rule-box').nth(2).locator('.rule').fill(`function (user, context, callback) {
  context.accessToken.scope = ['read:messages'];
  context.accessToken['https://example.com/support'] = configuration.SUPPORT_EMAIL;
  callback(null, user, context);
}`)
    await p.click('#run')
    await p.locator('#access-claims', { hasText: 'help@example.com' }).waitFor()
    expect(await p.locator('#scopes .chip').allTextContents()).toEqual(['read:messages'])
    expect(await p.locator('#timings td:first-child').allTextContents()).toEqual(['require-verified-email', 'add-roles', 'rule-3'])
    await shot(p, 'playground-claims.png')
    await finish(p)
  })

  it('shows a denial with its OAuth answer', async () => {
    const p = await page('/playground')
    const user = JSON.parse(await p.inputValue('#user')) as Record<string, unknown>
    await p.fill('#user', JSON.stringify({ ...user, email_verified: false }, null, 2))
    await p.click('#run')
    await p.locator('#failure').waitFor()
    expect(await p.textContent('#status')).toBe("ERR_RULE_UNAUTHORIZED in rule 'require-verified-email' → HTTP 401 unauthorized")
    expect(await p.textContent('#oauth')).toBe(
      'HTTP 401\n' + JSON.stringify({ error: 'unauthorized', error_description: 'Please verify your email before logging in.' }, null, 2),
    )
    await shot(p, 'playground-denied.png')

    // A rule that never calls back hits the demo's 1 s budget: a typed error and its generic answer.
    await p.locator('.rule-box').nth(0).locator('.rule').fill('function (user, context, callback) { /* never calls back */ }')
    await p.click('#run')
    await p.locator('#status', { hasText: 'ERR_RULE_TIMEOUT' }).waitFor()
    expect(await p.textContent('#oauth')).toContain('"error": "server_error"')

    // JSON that does not parse never leaves the page.
    await p.fill('#context', '{ not json')
    await p.click('#run')
    await p.locator('#status', { hasText: 'context is not valid JSON' }).waitFor()
    await finish(p)
  })

  it('answers 400 with a clear message for bad JSON and malformed input, 413 for an oversized body', async () => {
    const run = async (body: string, type = 'application/json') => {
      const response = await fetch(`${demo.origin}/playground/run`, { method: 'POST', headers: { 'content-type': type }, body })
      return { status: response.status, body: (await response.json()) as { error: string; error_description: string } }
    }
    expect(await run('{ nope')).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: expect.stringMatching(/^The body is not valid JSON/) },
    })
    expect(await run('x'.repeat(70_000))).toEqual({
      status: 413,
      body: { error: 'invalid_request', error_description: 'The body is too large: at most 65536 bytes.' },
    })
    expect(await run('{}', 'text/plain')).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'Send the body as application/json.' } })
    expect(await run(JSON.stringify({ rules: [], user: {}, context: {} }))).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'rules must be a non-empty array of { name, script }.' },
    })
    expect(
      await run(JSON.stringify({ rules: [{ name: 'a', script: 'function (u, c, cb) { cb(null, u, c) }' }], user: {}, context: {}, configuration: { N: 1 } })),
    ).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: "configuration.N must be a string (Auth0's rule settings are strings)." },
    })
    // require is not allowed in the playground: the typed error comes back as the run's outcome.
    const denied = await run(
      JSON.stringify({
        rules: [{ name: 'fs', script: "function (user, context, callback) { require('fs'); callback(null, user, context) }" }],
        user: { user_id: 'auth0|1' },
        context: { clientID: 'demo-app', protocol: 'oauth2-password' },
      }),
    )
    expect(denied.status).toBe(200)
    expect(denied.body).toMatchObject({ ok: false, error: { code: 'ERR_MODULE_NOT_ALLOWED', oauth: { status: 500, body: { error: 'server_error' } } } })
  })
})
