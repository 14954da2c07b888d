import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { format as formatUrl, parse as parseUrl, resolve as resolveUrl } from 'node:url'
import type { UrlParts } from '../../guest/contract.js'
import type { HostRegistry } from '../host-bridge.js'
import { boundedString, HOST_BOUNDS, tooLarge } from './bounds.js'

const URL_PARTS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const

function urlParts(url: URL): UrlParts {
  if (url.href.length > HOST_BOUNDS.maxUrlChars) throw tooLarge('The URL', url.href.length, HOST_BOUNDS.maxUrlChars)
  return Object.fromEntries(URL_PARTS.map((p) => [p, url[p]])) as Record<(typeof URL_PARTS)[number], string>
}

const URL_MAX = HOST_BOUNDS.maxUrlChars

/** Characters of `value` as JSON (a bound on the work of formatting it), or a tooLarge error past `max`. */
function boundedData(value: unknown, max: number, what: string): void {
  const size = JSON.stringify(value)?.length ?? 0
  if (size > max) throw tooLarge(what, size, max)
}

/** The output of a host function that builds text, at most `max` characters. */
function boundedOutput(text: string, max: number, what: string): string {
  if (text.length > max) throw tooLarge(what, text.length, max)
  return text
}

/** URL parsing and randomness: always available, pure functions of data (querystring runs in the isolate, guest/modules.js). */
export function registerBasics(registry: HostRegistry, random?: () => number): void {
  // Every size is checked before the work starts: each call costs the main thread microseconds.
  registry.register('$url.parse', ([input, base]) => {
    const text = boundedString(input, URL_MAX, 'The URL')
    const baseText = base === undefined ? undefined : boundedString(base, URL_MAX, 'The base URL')
    let url: URL
    try {
      url = new URL(text, baseText)
    } catch {
      throw new TypeError(`Invalid URL: ${text}`)
    }
    return urlParts(url)
  })
  registry.register('$url.set', ([href, part, value]) => {
    const url = new URL(boundedString(href, URL_MAX, 'The URL'))
    value = boundedString(value, URL_MAX, 'The value of a URL part')
    const key = String(part) as (typeof URL_PARTS)[number]
    if (!URL_PARTS.includes(key) || key === 'origin') throw new TypeError(`Cannot set URL.${key}`)
    ;(url as unknown as Record<string, string>)[key] = String(value)
    return urlParts(url)
  })
  registry.register('$url.legacyParse', ([text, parseQuery]) => {
    const parsed = parseUrl(boundedString(text, URL_MAX, 'The URL'), parseQuery === true)
    return JSON.parse(JSON.stringify({ ...parsed }))
  })
  registry.register('$url.format', ([value]) => {
    boundedData(value, URL_MAX, 'The URL to format')
    return boundedOutput(formatUrl(value as string), URL_MAX, 'The formatted URL')
  })
  registry.register('$url.resolve', ([from, to]) =>
    boundedOutput(resolveUrl(boundedString(from, URL_MAX, 'The base URL'), boundedString(to, URL_MAX, 'The URL')), URL_MAX, 'The resolved URL'),
  )
  const size = (n: unknown) => Math.max(0, Math.min(1 << 20, Number(n) | 0))
  if (random === undefined) {
    registry.register('$crypto.randomBytes', ([n]) => randomBytes(size(n)))
    registry.register('$crypto.randomUUID', () => randomUUID())
    registry.register('$crypto.randomInt', ([min, max]) => randomInt(Number(min), Number(max)))
    return
  }
  // The integrator's deterministic source, for tests.
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256) & 255))
  registry.register('$random', () => random())
  registry.register('$crypto.randomBytes', ([n]) => bytes(size(n)))
  registry.register('$crypto.randomUUID', () => {
    const b = bytes(16)
    b[6] = ((b[6] as number) & 0x0f) | 0x40
    b[8] = ((b[8] as number) & 0x3f) | 0x80
    const hex = b.toString('hex')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  })
  registry.register('$crypto.randomInt', ([min, max]) => Number(min) + Math.floor(random() * (Number(max) - Number(min))))
}
