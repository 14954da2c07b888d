import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSite, htmlFiles, serveSite } from './site.js'

// The functions handed to page.evaluate run in the browser; the project's lib has no DOM types,
// so their globals are declared here, for this file only.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any, getComputedStyle: any
type Element = any

/**
 * The docs site as a reader sees it, in Debian's Chromium (`pnpm --filter
 * @tokenrules/example-token-server setup:system` installs it) driven by playwright-core, served
 * over HTTP from a fresh build: every page built from Markdown, a source view, a folder listing and
 * the API reference's pages, on a phone (390×844) and a desk (1280×800). Nothing overflows the page
 * sideways (code and tables scroll inside their own box), axe-core finds no serious or critical
 * violation, nothing is requested from another origin and nothing answers 404. Screenshots land in
 * `test-artifacts/` (gitignored), one per page and viewport.
 */
const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url))
const out = join(mkdtempSync(join(tmpdir(), 'tokenrules-site-browser-')), 'site')
const CHROMIUM = '/usr/bin/chromium'
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desk', width: 1280, height: 800 },
] as const
type Viewport = (typeof VIEWPORTS)[number]['name']

let site: { origin: string; stop: () => Promise<void> }
let browser: Browser
const pages = new Map<Viewport, Page>()
const problems = new Map<Viewport, string[]>()

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  await buildSite(out)
  ;[site, browser] = await Promise.all([
    serveSite(out),
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
    const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } })
    const seen: string[] = []
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(site.origin) || url.startsWith('data:')) return route.continue()
      seen.push(`requested outside the site: ${url}`)
      return route.abort()
    })
    const page = await context.newPage()
    page.on('pageerror', (error) => seen.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error') seen.push(`console error: ${message.text()}`)
    })
    page.on('response', (response) => {
      if (response.status() >= 400) seen.push(`HTTP ${response.status()} for ${response.url()}`)
    })
    pages.set(viewport.name, page)
    problems.set(viewport.name, seen)
  }
}, 420_000)

afterAll(async () => {
  await browser?.close()
  await site?.stop()
  rmSync(join(out, '..'), { recursive: true, force: true })
})

const pageOf = (viewport: Viewport): Page => {
  const page = pages.get(viewport)
  if (page === undefined) throw new Error(`no page for ${viewport}`)
  return page
}

async function open(viewport: Viewport, path: string): Promise<Page> {
  const page = pageOf(viewport)
  await page.goto(`${site.origin}/${path}`)
  return page
}

/**
 * What sticks out sideways: the page wider than the viewport, or an element past its edges that
 * no box of its own scrolls (a long line inside a code block is fine: the block scrolls).
 */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = []
    const name = (element: Element) =>
      element.tagName.toLowerCase() + (element.id ? `#${element.id}` : '') + (element.classList.length ? `.${[...element.classList].join('.')}` : '')
    const root = document.documentElement
    if (root.scrollWidth > root.clientWidth) found.push(`page: scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}`)
    const width = root.clientWidth
    const scrolls = (element: Element) => ['auto', 'scroll'].includes(getComputedStyle(element).overflowX)
    for (const element of document.body.querySelectorAll('*')) {
      const style = getComputedStyle(element)
      if (style.visibility === 'hidden' || style.display === 'none' || style.position === 'absolute' || style.position === 'fixed') continue
      if (style.overflowX === 'hidden' && element.scrollWidth > element.clientWidth + 1)
        found.push(`${name(element)} clips its content: scrollWidth ${element.scrollWidth} > clientWidth ${element.clientWidth}`)
      const box = element.getBoundingClientRect()
      if (box.width === 0 || box.height === 0 || (box.left >= -0.5 && box.right <= width + 0.5)) continue
      let scroller = element.parentElement
      while (scroller !== null && scroller !== document.body && !scrolls(scroller)) scroller = scroller.parentElement
      if (scroller === null || scroller === document.body)
        found.push(`${name(element)} is outside the viewport: ${Math.round(box.left)}…${Math.round(box.right)} of ${width}`)
    }
    return found.slice(0, 10)
  })
}

/** axe-core's serious and critical violations (WCAG 2.1 A/AA and best practices), as `id: targets`. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE)
  const violations: { id: string; impact: string | null; help: string; targets: string[] }[] = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })
    // typedoc's sidebar tree (built by its script) puts each module's link inside the summary that
    // folds the module; that markup is typedoc's own. Everything else on its pages counts.
    const typedocTree = (node: any) => document.querySelector(node.target[0])?.closest('.tsd-navigation #tsd-nav-container') != null
    return result.violations.map((violation: any) => {
      const nodes = violation.nodes.filter((node: any) => !(violation.id === 'nested-interactive' && typedocTree(node)))
      return { id: violation.id, impact: violation.impact, help: violation.help, targets: nodes.slice(0, 5).map((node: any) => JSON.stringify(node.target)) }
    })
  })
  return violations
    .filter((v) => (v.impact === 'serious' || v.impact === 'critical') && v.targets.length > 0)
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.join(', ')}`)
}

/**
 * The page as a reader sees it: within the viewport, nothing failed to load, accessible (axe-core
 * when `axe`: on a desk for every page, where the sidebar shows; on a phone for a few, the pages
 * being the same but for the layout); screenshot saved.
 */
async function looksRight(viewport: Viewport, path: string, axe = true): Promise<void> {
  const page = await open(viewport, path)
  await page.screenshot({ path: join(artifacts, `${path.replace(/\.html$/, '').replace(/\//g, '_')}-${viewport}.png`) })
  expect(await layoutProblems(page), `${path} at ${viewport}: layout`).toEqual([])
  if (axe) expect(await accessibilityProblems(page), `${path} at ${viewport}: axe-core`).toEqual([])
  expect(problems.get(viewport)?.splice(0), `${path} at ${viewport}: errors and requests`).toEqual([])
}

/** Pages checked with axe-core on a phone too: the home page, the longest guide (tables, lists), one with long code lines, a README. */
const PHONE_AXE = new Set(['index.html', 'behaviour.html', 'testing-rules.html', 'packages/engine/index.html'])

describe('the docs site, on a phone and a desk', () => {
  it('lays out every guide and README page within the screen, accessibly', async () => {
    const markdownPages = htmlFiles(out).filter((page) => !page.startsWith('api/') && !page.startsWith('source/'))
    expect(markdownPages.length).toBeGreaterThan(15)
    for (const path of markdownPages) {
      await looksRight('phone', path, PHONE_AXE.has(path))
      await looksRight('desk', path)
    }
  }, 600_000)

  it('shows a source file, a folder and the API reference the same way', async () => {
    const paths = [
      'source/examples/quickstart/src/main.ts.html',
      'source/examples/quickstart/index.html',
      'api/index.html',
      'api/functions/_tokenrules_engine.createEngine.html',
    ]
    for (const viewport of ['phone', 'desk'] as const) for (const path of paths) await looksRight(viewport, path)
  }, 300_000)

  it('scrolls a long line inside its code block instead of cutting it off', async () => {
    for (const viewport of ['phone', 'desk'] as const) {
      const blocks: { overflowX: string; whiteSpace: string; scrollWidth: number; clientWidth: number; right: number }[] = []
      // Guides whose examples have lines of 150 characters and more (a test's name, a command with its flags).
      for (const path of ['testing-rules.html', 'token-endpoint.html', 'errors.html', 'concepts.html']) {
        const page = await open(viewport, path)
        blocks.push(
          ...(await page.evaluate(() =>
            [...document.querySelectorAll('main pre')].map((pre: Element) => ({
              overflowX: getComputedStyle(pre).overflowX,
              whiteSpace: getComputedStyle(pre.querySelector('code')).whiteSpace,
              scrollWidth: pre.scrollWidth,
              clientWidth: pre.clientWidth,
              right: pre.getBoundingClientRect().right,
            })),
          )),
        )
      }
      const long = blocks.filter((block) => block.scrollWidth > block.clientWidth)
      expect(long.length, `${viewport}: a block with a line longer than the screen`).toBeGreaterThan(0)
      for (const block of blocks) {
        expect(block.overflowX).toBe('auto')
        expect(block.whiteSpace).toBe('pre')
        expect(block.right).toBeLessThanOrEqual(VIEWPORTS.find((v) => v.name === viewport)!.width)
      }
    }
  }, 60_000)

  it('folds the sidebar into a Contents menu on a phone and shows it beside the page on a desk', async () => {
    const phone = await open('phone', 'getting-started.html')
    const sidebarLink = phone.getByRole('link', { name: 'Writing rules' })
    expect(await sidebarLink.isVisible()).toBe(false)
    await phone.getByText('Contents', { exact: true }).click()
    expect(await sidebarLink.isVisible()).toBe(true)
    await phone.screenshot({ path: join(artifacts, 'contents-open-phone.png') })
    expect(await accessibilityProblems(phone), 'phone, Contents open').toEqual([])
    await sidebarLink.click()
    await phone.waitForURL(/writing-rules\.html$/)

    const desk = await open('desk', 'getting-started.html')
    expect(await desk.getByRole('link', { name: 'Writing rules' }).isVisible()).toBe(true)
    expect(await desk.getByText('Contents', { exact: true }).isVisible()).toBe(false)
    // From the guides to the API reference and back.
    await desk.getByRole('link', { name: 'API reference' }).click()
    await desk.waitForURL(/\/api\/index\.html$/)
    await desk.locator('#tsd-toolbar-links').getByRole('link', { name: 'Guides' }).click()
    await desk.waitForURL(/\/index\.html$/)
    expect(await desk.title()).toBe('tokenrules documentation · tokenrules')
    expect(problems.get('phone')?.splice(0)).toEqual([])
    expect(problems.get('desk')?.splice(0)).toEqual([])
  }, 60_000)

  it('lands an in-guide anchor on its heading', async () => {
    const page = await open('desk', 'behaviour.html')
    await page.locator('main a[href="#mfa"]').first().click()
    const top: number = await page.evaluate(() => document.getElementById('mfa').getBoundingClientRect().top)
    expect(top).toBeGreaterThanOrEqual(0)
    expect(top).toBeLessThan(40)
  }, 30_000)
})
