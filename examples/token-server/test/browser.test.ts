import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateRawSync } from 'node:zlib'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startDemo, type Demo } from './demo-process.js'
import { totp } from './totp.js'

// The functions handed to page.evaluate run in the browser; the project's lib has no DOM types,
// so their globals are declared here, for this file only.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any, navigator: any, location: any, getComputedStyle: any
type Element = any
type Document = any
type HTMLImageElement = any

/**
 * The login page and the rules playground as a person sees them, end to end in Debian's Chromium
 * (`setup:system` installs it) driven by playwright-core, against the demo server started as a
 * subprocess. Every page state is looked at on a phone (390×844) and a desk (1280×800): no
 * horizontal overflow on the page or a card, no element outside the viewport or clipping its text,
 * axe-core finds no serious or critical violation, and the state says what it should. Screenshots
 * land in `test-artifacts/` (gitignored), one per state and viewport.
 */
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'tokenrules-browser-'))
const CHROMIUM = '/usr/bin/chromium'
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desk', width: 1280, height: 800 },
] as const
type Viewport = (typeof VIEWPORTS)[number]['name']

let demo: Demo
let browser: Browser
/** One context and one page per viewport, reused by every test (the page navigates between states). */
const pages = new Map<Viewport, Page>()
const problems = new Map<Viewport, string[]>()

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
  for (const viewport of VIEWPORTS) {
    const context: BrowserContext = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.origin })
    // The pages must work offline: anything not from the demo's origin fails the test, as does
    // any request the demo answers with an error (a missing favicon, a missing script).
    const seen: string[] = []
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(demo.origin) || url.startsWith('data:')) return route.continue()
      seen.push(`requested outside the demo: ${url}`)
      return route.abort()
    })
    const page = await context.newPage()
    page.on('pageerror', (error) => seen.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      // Chromium logs every 4xx answer to a fetch; the page's own calls answer 4xx for a refused input on purpose.
      const fetched = /^\/(demo\/|playground\/run$)/.test(new URL(message.location().url || 'about:blank', demo.origin).pathname)
      if (message.type() === 'error' && !(fetched && message.text().startsWith('Failed to load resource'))) seen.push(`console error: ${message.text()}`)
    })
    page.on('response', (response) => {
      if (response.status() >= 400 && response.request().resourceType() !== 'fetch') seen.push(`HTTP ${response.status()} for ${response.url()}`)
    })
    pages.set(viewport.name, page)
    problems.set(viewport.name, seen)
  }
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await demo?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const pageOf = (viewport: Viewport): Page => {
  const page = pages.get(viewport)
  if (page === undefined) throw new Error(`no page for ${viewport}`)
  return page
}

/** Load `path` afresh (never the same document: a fragment-only change would not reload). */
async function open(viewport: Viewport, path: string): Promise<Page> {
  const page = pageOf(viewport)
  await page.goto('about:blank')
  await page.goto(demo.origin + path)
  return page
}

interface Layout {
  overflow: string[]
}

/** What sticks out: the page or a card wider than its box, elements past the viewport's edges, clipped content. */
function layoutProblems(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    const overflow: string[] = []
    const name = (element: Element) =>
      element.tagName.toLowerCase() + (element.id ? `#${element.id}` : '') + (element.classList.length ? `.${[...element.classList].join('.')}` : '')
    const root = document.documentElement
    if (root.scrollWidth > root.clientWidth) overflow.push(`page: scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`)
    for (const card of document.querySelectorAll('.card'))
      if (card.scrollWidth > card.clientWidth) overflow.push(`${name(card)}: scrollWidth ${card.scrollWidth} > clientWidth ${card.clientWidth}`)
    const width = root.clientWidth
    for (const element of document.body.querySelectorAll('*')) {
      const style = getComputedStyle(element)
      if (style.visibility === 'hidden' || style.display === 'none') continue
      const box = element.getBoundingClientRect()
      if (box.width === 0 || box.height === 0) continue
      // CodeMirror keeps its aria-live announcer off-screen on purpose.
      if (element.classList.contains('cm-announced')) continue
      if (box.left < -0.5 || box.right > width + 0.5)
        overflow.push(`${name(element)} is outside the viewport: ${Math.round(box.left)}…${Math.round(box.right)} of ${width}`)
      if (style.overflowX !== 'visible' && element.scrollWidth > element.clientWidth + 1)
        overflow.push(`${name(element)} clips or scrolls its content: scrollWidth ${element.scrollWidth} > clientWidth ${element.clientWidth}`)
      if (style.overflowY === 'hidden' && element.scrollHeight > element.clientHeight + 1 && element.tagName !== 'HTML')
        overflow.push(`${name(element)} clips its content vertically: scrollHeight ${element.scrollHeight} > clientHeight ${element.clientHeight}`)
    }
    return { overflow }
  })
}

/** axe-core's serious and critical violations (WCAG 2.1 A/AA and best practices), as `id: targets`. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE)
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            context: Document,
            options: unknown,
          ) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }>
        }
      }
    ).axe
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => JSON.stringify(node.target)),
    }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.join(', ')}`)
}

/** The state as a person sees it: laid out within the viewport, accessible, screenshot saved, nothing gone wrong. */
async function looksRight(viewport: Viewport, state: string): Promise<void> {
  const page = pageOf(viewport)
  await page.screenshot({ path: join(artifacts, `${state}-${viewport}.png`), fullPage: true })
  expect((await layoutProblems(page)).overflow, `${state} at ${viewport}: layout`).toEqual([])
  expect(await accessibilityProblems(page), `${state} at ${viewport}: axe-core`).toEqual([])
  expect(problems.get(viewport)?.splice(0), `${state} at ${viewport}: errors and requests`).toEqual([])
}

const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim()

async function signIn(page: Page, realm: string, username: string, password: string): Promise<void> {
  await page.selectOption('#realm', realm)
  await page.fill('#username', username)
  await page.fill('#password', password)
  await page.click('#submit')
}

/**
 * A code for `secret` in a time step later than any used so far: the server accepts the step
 * before and after the current one, each step once and only steps later than the last used. The
 * current step or the next is taken (the step before may have passed by the time the server checks
 * the code); when both are used, this waits for the next step to begin.
 */
let lastStep = 0
async function freshCode(secret: string): Promise<string> {
  for (;;) {
    const now = Math.floor(Date.now() / 30_000)
    const step = Math.max(now, lastStep + 1)
    if (step <= now + 1) {
      lastStep = step
      return totp(secret, step * 30_000 + 1000)
    }
    await new Promise((resolve) => setTimeout(resolve, (now + 1) * 30_000 - Date.now() + 50))
  }
}

/** Wait for the tokens, or fail with the error the page shows instead. */
async function tokensShown(page: Page): Promise<void> {
  await page.locator('#tokens:not([hidden]), #error:not([hidden])').first().waitFor()
  expect((await page.locator('#error').isVisible()) ? await text(page, '#error-raw') : '').toBe('')
}

let carolSecret = ''

describe('the login page (/), on a phone and a desk', () => {
  it('signs alice in: decoded claims, scopes, the API answer; a new attempt clears the old result', async () => {
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, '/')
      expect(await page.locator('#realm option').allTextContents()).toEqual(['Employees', 'Customers'])
      await signIn(page, 'Employees', 'alice@example.com', 'correct horse battery staple')
      await page.locator('#tokens').waitFor()
      expect(await text(page, '#welcome')).toBe('Signed in as Alice.')
      const accessClaims = await text(page, '#access-claims')
      expect(accessClaims).toContain('https://example.com/roles["admin"]')
      expect(accessClaims).toContain('azpdemo-app')
      expect(await page.locator('#scopes .chip').allTextContents()).toEqual(['openid', 'profile', 'email', 'offline_access', 'read:messages', 'write:messages'])
      expect(await text(page, '#id-claims')).toContain('emailalice@example.com')
      await page.click('#call-api')
      await page.locator('#api-result', { hasText: 'HTTP 200' }).waitFor()
      expect(await text(page, '#api-result')).toContain('Welcome to tokenrules.')
      await looksRight(viewport, 'login-ok')

      // The next attempt fails: alice's tokens are gone, the error says what failed.
      await page.fill('#password', 'not her password')
      await page.click('#submit')
      await page.locator('#error').waitFor()
      expect(await page.locator('#tokens').isVisible()).toBe(false)
      expect(await page.locator('#access-claims .claim').count()).toBe(0)
      expect(await text(page, '#error-title')).toBe('Wrong email or password.')
      expect(await text(page, '#error-raw')).toBe('HTTP 403 {"error":"invalid_grant","error_description":"Wrong email or password."}')
      await looksRight(viewport, 'login-error-invalid-grant')
    }
  }, 120_000)

  it('says what is missing (invalid_request) and that a blocked pair must wait (too_many_attempts)', async () => {
    const wrong = { realm: 'Customers', username: 'bob@example.com', password: 'wrong password' }
    for (let i = 0; i < 10; i++) {
      const answer = await fetch(`${demo.origin}/demo/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(wrong) })
      expect(((await answer.json()) as { error: string }).error).toBe('invalid_grant')
    }
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, '/')
      await page.fill('#username', 'alice@example.com')
      await page.click('#submit')
      await page.locator('#error').waitFor()
      expect(await text(page, '#error-title')).toBe('Something is missing.')
      expect(await text(page, '#error-text')).toBe('Enter your email and password.')
      await looksRight(viewport, 'login-error-invalid-request')

      await signIn(page, 'Customers', 'bob@example.com', 'hunter2hunter2')
      await page.locator('#error-title', { hasText: 'Too many failed attempts.' }).waitFor()
      expect(await text(page, '#error-text')).toMatch(/^This account is blocked from this address after repeated failures\. Try again in \d+ minutes?\.$/)
      expect(await text(page, '#error-raw')).toContain('HTTP 429 {"error":"too_many_attempts"')
      await looksRight(viewport, 'login-error-too-many-attempts')
    }
  }, 120_000)

  it('creates an account (weak password and taken email refused readably), which the rules then refuse until verified (unauthorized)', async () => {
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, '/')
      const email = `dana-${viewport}@example.com`
      await page.click('#to-signup')
      expect(await page.locator('#login').isVisible()).toBe(false)
      await page.fill('#signup-email', email)
      await page.fill('#signup-password', 'short')
      await page.click('#signup-submit')
      await page.locator('#error').waitFor()
      expect(await text(page, '#error-title')).toBe('That password is too weak.')
      expect(await text(page, '#error-text')).toMatch(/^The realm's password policy:\n\* At least 8 characters in length\n/)
      await looksRight(viewport, 'signup-error-weak-password')

      await page.fill('#signup-password', 'Correct Horse 42')
      await page.click('#signup-submit')
      await page.locator('#notice').waitFor()
      expect(await page.locator('#error').isVisible()).toBe(false)
      expect(await text(page, '#notice')).toBe(
        `Account created for ${email} in Customers. Verify your email address before you sign in: the demo's require-verified-email rule refuses unverified users.`,
      )
      expect(await page.inputValue('#username')).toBe(email)
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('password')

      await page.fill('#password', 'Correct Horse 42')
      await page.click('#submit')
      await page.locator('#error').waitFor()
      expect(await page.locator('#notice').isVisible()).toBe(false)
      expect(await text(page, '#error-title')).toBe('You are not allowed to sign in.')
      expect(await text(page, '#error-text')).toBe('Please verify your email before logging in.')
      await looksRight(viewport, 'login-error-unauthorized')

      await page.click('#to-signup')
      await page.fill('#signup-password', 'Correct Horse 42')
      await page.click('#signup-submit')
      await page.locator('#error').waitFor()
      expect(await text(page, '#error-title')).toBe('The account could not be created.')
      await looksRight(viewport, 'signup-error-taken')
      await page.locator('#signup button.back').click()
      expect(await page.locator('#login').isVisible()).toBe(true)
      expect(await page.locator('#error').isVisible()).toBe(false)
    }
  }, 120_000)

  it('requests a password reset link from the sign-in step and comes back', async () => {
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, '/')
      await page.fill('#username', 'bob@example.com')
      await page.click('#to-reset')
      expect(await page.inputValue('#reset-email')).toBe('bob@example.com')
      await looksRight(viewport, 'reset-form')
      await page.selectOption('#reset-realm', 'Customers')
      await page.click('#reset-submit')
      await page.locator('#notice').waitFor()
      expect(await text(page, '#notice')).toBe(
        "We've just sent you an email to reset your password. (The demo writes the link to DATA_DIR/outbox instead of sending an email.)",
      )
      expect(await page.locator('#login').isVisible()).toBe(true)
      await looksRight(viewport, 'reset-sent')
    }
  }, 120_000)

  it('enrolls carol: QR code beside the key, copyable recovery codes, cancel starts again; a wrong code says so', async () => {
    // Phone: enrolment shown, then cancelled (the enrolment stays unconfirmed and is offered again).
    let page = await open('phone', '/')
    await signIn(page, 'Employees', 'carol@example.com', 'open sesame seed bagel')
    await page.locator('#enrollment').waitFor()
    expect(await text(page, '#mfa-secret')).toMatch(/^[A-Z2-7]{16,}$/)
    expect(await page.textContent('#mfa-uri')).toMatch(/^otpauth:\/\/totp\//)
    const qr = await page.locator('#mfa-qr').evaluate((image: HTMLImageElement) => ({ src: image.src.slice(0, 26), width: image.naturalWidth }))
    expect(qr).toEqual({ src: 'data:image/svg+xml;base64,', width: expect.any(Number) })
    expect(qr.width).toBeGreaterThan(0)
    const codes = await page.locator('#mfa-recovery li').allTextContents()
    expect(codes.length).toBeGreaterThan(0)
    await page.click('#copy-recovery')
    await page.locator('#copy-status', { hasText: 'Recovery codes copied.' }).waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join('\n'))
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('BUTTON')
    await looksRight('phone', 'mfa-enrol')
    await page.click('#mfa-cancel')
    expect(await page.locator('#login').isVisible()).toBe(true)
    expect(await page.locator('#mfa').isVisible()).toBe(false)
    expect(await text(page, '#mfa-secret')).toBe('')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password')

    // Desk: enrolment offered again (a new key), a wrong code, then the right one.
    page = await open('desk', '/')
    await signIn(page, 'Employees', 'carol@example.com', 'open sesame seed bagel')
    await page.locator('#enrollment').waitFor()
    carolSecret = await text(page, '#mfa-secret')
    await looksRight('desk', 'mfa-enrol')
    await page.fill('#otp', totp(carolSecret) === '000000' ? '111111' : '000000')
    await page.click('#verify')
    await page.locator('#error').waitFor()
    expect(await text(page, '#error-title')).toBe('Wrong one-time code.')
    expect(await text(page, '#error-text')).toContain('That code is not valid.')
    expect(await text(page, '#error-raw')).toBe('HTTP 403 {"error":"invalid_grant","error_description":"Invalid otp_code."}')
    await looksRight('desk', 'mfa-error-wrong-code')
    await page.fill('#otp', await freshCode(carolSecret))
    await page.click('#verify')
    await tokensShown(page)
    expect(await text(page, '#welcome')).toBe('Signed in as Carol.')
    expect(await text(page, '#access-claims')).toContain('amr["mfa"]')
  }, 120_000)

  it('asks an enrolled carol for her code (MFA verify), on both viewports', async () => {
    expect(carolSecret).not.toBe('')
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, '/')
      await signIn(page, 'Employees', 'carol@example.com', 'open sesame seed bagel')
      await page.locator('#mfa').waitFor()
      expect(await page.locator('#enrollment').isVisible()).toBe(false)
      expect(await text(page, '#mfa-prompt')).toBe('Enter the 6-digit code your authenticator app shows for this account.')
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Two-step verification')
      await looksRight(viewport, 'mfa-verify')
      if (viewport === 'desk') {
        // Each code's time step works once, later steps only: the desk leaves by the cancel path.
        await page.click('#mfa-cancel')
        expect(await page.locator('#login').isVisible()).toBe(true)
        continue
      }
      await page.fill('#otp', await freshCode(carolSecret))
      await page.click('#verify')
      await tokensShown(page)
      expect(await text(page, '#welcome')).toBe('Signed in as Carol.')
      expect(await text(page, '#access-claims')).toContain('https://example.com/roles["support"]')
      await looksRight(viewport, 'mfa-signed-in')
    }
  }, 120_000)

  it('is usable from the keyboard alone and has a favicon', async () => {
    const page = await open('desk', '/')
    await page.keyboard.press('Tab')
    const order: string[] = []
    for (let i = 0; i < 7; i++) {
      order.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent || ''))
      await page.keyboard.press('Tab')
    }
    expect(order).toEqual(['Rules playground', 'realm', 'username', 'password', 'submit', 'to-signup', 'to-reset'])
    await page.focus('#username')
    await page.keyboard.type('alice@example.com')
    await page.keyboard.press('Tab')
    await page.keyboard.type('correct horse battery staple')
    await page.keyboard.press('Enter')
    await page.locator('#tokens').waitFor()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('result-title')
    for (const path of ['/favicon.ico', '/favicon.svg']) {
      const response = await fetch(demo.origin + path)
      expect([response.status, response.headers.get('content-type')]).toEqual([200, 'image/svg+xml'])
      expect(await response.text()).toMatch(/^<svg /)
    }
    expect(await page.getAttribute('link[rel=icon]', 'href')).toBe('/favicon.svg')
    expect(problems.get('desk')?.splice(0)).toEqual([])
  }, 120_000)
})

/** The playground's address holding `state` (its fragment as the page writes it). */
function playgroundLink(state: { rules: Array<{ name: string; script: string }>; user: unknown; context: unknown; configuration: unknown }): string {
  const fields = {
    rules: state.rules,
    user: JSON.stringify(state.user, null, 2),
    context: JSON.stringify(state.context, null, 2),
    configuration: JSON.stringify(state.configuration, null, 2),
  }
  return `/playground#state=${deflateRawSync(JSON.stringify(fields)).toString('base64url')}`
}

const SAMPLE_USER = { user_id: 'auth0|alice', email: 'alice@example.com', email_verified: true, name: 'Alice', app_metadata: { roles: ['admin'] } }
const SAMPLE_CONTEXT = {
  clientID: 'demo-app',
  protocol: 'oauth2-password',
  connection: 'Employees',
  request: { body: { scope: 'openid read:messages', audience: 'https://api.example.com' } },
}

describe('the rules playground (/playground), on a phone and a desk', () => {
  it('runs the sample: decoded claims, scopes, a dropped claim, logs, timings; the editor is CodeMirror with line numbers and highlighting', async () => {
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, '/playground')
      await page.locator('.rule-box .cm-editor').nth(1).waitFor()
      expect(await page.locator('.rule-box').count()).toBe(2)
      expect(await page.locator('.rule-box').first().locator('.cm-lineNumbers .cm-gutterElement').allTextContents()).toContain('6')
      // Highlighting: the keyword `function` is a token of its own, coloured unlike plain text.
      const colours = await page
        .locator('.rule-box')
        .first()
        .locator('.cm-line')
        .first()
        .evaluate((line) => {
          const keyword = [...line.querySelectorAll('span')].find((span) => span.textContent === 'function')
          return { keyword: keyword ? getComputedStyle(keyword).color : null, line: getComputedStyle(line).color }
        })
      expect(colours.keyword).not.toBeNull()
      expect(colours.keyword).not.toBe(colours.line)
      await page.click('#run')
      await page.locator('#status', { hasText: 'Token issued' }).waitFor()
      const access = await text(page, '#access-claims')
      expect(access).toContain('https://example.com/rolesadded by the rules["admin"]')
      expect(access).toContain('subset by the token serverauth0|alice')
      expect(await text(page, '#warnings')).toContain("CLAIM_DROPPED: 'favourite_colour' is not namespaced")
      expect(await text(page, '#logs')).toBe('[add-roles] log: roles for alice@example.com ["admin"]')
      expect(await page.locator('#timings td:first-child').allTextContents()).toEqual(['require-verified-email', 'add-roles'])
      // The address now holds the state: opened afresh, the page shows the same rules.
      expect(new URL(page.url()).hash).toMatch(/^#state=[\w-]+$/)
      await looksRight(viewport, 'playground-ok')
    }
  }, 120_000)

  it('keeps edits in the address: a third rule typed in the editor survives a reload and sets scopes', async () => {
    const page = await open('desk', '/playground')
    await page.locator('.rule-box .cm-editor').nth(1).waitFor()
    await page.click('#add-rule')
    const third = page.locator('.rule-box').nth(2).locator('.cm-content')
    await third.click()
    await page.keyboard.press('Control+A')
    await page.keyboard.insertText(
      "function (user, context, callback) {\n  context.accessToken.scope = ['read:messages'];\n  context.accessToken['https://example.com/support'] = configuration.SUPPORT_EMAIL;\n  callback(null, user, context);\n}",
    )
    await page.waitForFunction(() => location.hash.startsWith('#state='))
    await page.waitForTimeout(400)
    const link = page.url()
    await page.goto('about:blank')
    await page.goto(link)
    await page.locator('.rule-box .cm-editor').nth(2).waitFor()
    expect(await page.locator('.rule-name').nth(2).inputValue()).toBe('rule-3')
    await page.click('#run')
    await page.locator('#access-claims', { hasText: 'help@example.com' }).waitFor()
    expect(await page.locator('#scopes .chip').allTextContents()).toEqual(['read:messages'])
    expect(await page.locator('#timings td:first-child').allTextContents()).toEqual(['require-verified-email', 'add-roles', 'rule-3'])
    await page.click('#share')
    await page.locator('#share-status', { hasText: 'Link copied.' }).waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url())
    expect(problems.get('desk')?.splice(0)).toEqual([])
  }, 120_000)

  const rules = [
    {
      name: 'require-verified-email',
      script:
        "function (user, context, callback) {\n  if (!user.email_verified) return callback(new UnauthorizedError('Please verify your email before logging in.'));\n  callback(null, user, context);\n}",
    },
  ]

  it('shows a denial with its OAuth answer', async () => {
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, playgroundLink({ rules, user: { ...SAMPLE_USER, email_verified: false }, context: SAMPLE_CONTEXT, configuration: {} }))
      await page.locator('.rule-box .cm-editor').waitFor()
      await page.click('#run')
      await page.locator('#failure').waitFor()
      expect(await text(page, '#status')).toBe("ERR_RULE_UNAUTHORIZED in rule 'require-verified-email' → HTTP 401 unauthorized")
      expect(await text(page, '#oauth')).toBe(
        'HTTP 401\n' + JSON.stringify({ error: 'unauthorized', error_description: 'Please verify your email before logging in.' }, null, 2),
      )
      await looksRight(viewport, 'playground-deny')
    }
  }, 120_000)

  it('shows a compile error whole, with its rule and line, and goes to that line', async () => {
    const broken = [
      {
        name: 'a-rule-with-a-rather-long-name-that-must-wrap',
        script:
          'function (user, context, callback) {\n  const roles = user.app_metadata.roles.map((role) => role.toUpperCase()\n  callback(null, user, context);\n}',
      },
    ]
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, playgroundLink({ rules: broken, user: SAMPLE_USER, context: SAMPLE_CONTEXT, configuration: {} }))
      await page.locator('.rule-box .cm-editor').waitFor()
      await page.click('#run')
      await page.locator('#failure').waitFor()
      expect(await text(page, '#status')).toMatch(/^ERR_RULE_COMPILE in rule 'a-rule-with-a-rather-long-name-that-must-wrap', line 2 → HTTP 500 server_error$/)
      const detail = await text(page, '#error-detail')
      expect(detail).toMatch(/^RuleCompileError: Rule 'a-rule-with-a-rather-long-name-that-must-wrap' does not compile: .+ \(line 2\)$/)
      // Shown whole: the element is as tall as its text needs.
      expect(await page.locator('#error-detail').evaluate((element) => element.scrollHeight <= element.clientHeight + 1)).toBe(true)
      await page.click('#goto-line')
      expect(await page.evaluate(() => window.getSelection()?.toString())).toBe('  const roles = user.app_metadata.roles.map((role) => role.toUpperCase()')
      await looksRight(viewport, 'playground-compile-error')
    }
  }, 120_000)

  it('shows a timeout (a rule that never calls back) and JSON that does not parse', async () => {
    const never = [{ name: 'never-calls-back', script: 'function (user, context, callback) {\n  // never calls back\n}' }]
    for (const viewport of ['phone', 'desk'] as const) {
      const page = await open(viewport, playgroundLink({ rules: never, user: SAMPLE_USER, context: SAMPLE_CONTEXT, configuration: {} }))
      await page.locator('.rule-box .cm-editor').waitFor()
      await page.click('#run')
      await page.locator('#status', { hasText: 'ERR_RULE_TIMEOUT' }).waitFor()
      expect(await text(page, '#status')).toBe("ERR_RULE_TIMEOUT in rule 'never-calls-back' → HTTP 500 server_error")
      expect(await text(page, '#oauth')).toContain('"error": "server_error"')
      await looksRight(viewport, 'playground-timeout')
    }
    const page = await open('desk', '/playground#state=not-a-state')
    await page.locator('#status', { hasText: "The link's playground state could not be read" }).waitFor()
    expect(await page.locator('.rule-box').count()).toBe(2)
    await page.locator('#context .cm-content').click()
    await page.keyboard.press('Control+A')
    await page.keyboard.insertText('{ not json')
    await page.click('#run')
    await page.locator('#status', { hasText: 'context is not valid JSON' }).waitFor()
    expect(problems.get('desk')?.splice(0)).toEqual([])
  }, 120_000)

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
