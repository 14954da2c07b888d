import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import querystring from 'node:querystring'
import { format as formatUrl, parse as parseUrl, resolve as resolveUrl } from 'node:url'
import type { UrlParts } from '../../guest/contract.js'
import type { HostRegistry } from '../host-bridge.js'

const URL_PARTS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'] as const

function urlParts(url: URL): UrlParts {
  return Object.fromEntries(URL_PARTS.map((p) => [p, url[p]])) as Record<(typeof URL_PARTS)[number], string>
}

/** URL parsing, querystring and the web crypto subset: always available, pure functions of data. */
export function registerBasics(registry: HostRegistry, random?: () => number): void {
  registry.register('$url.parse', ([input, base]) => {
    try {
      return urlParts(new URL(String(input), base === undefined ? undefined : String(base)))
    } catch {
      throw new TypeError(`Invalid URL: ${String(input)}`)
    }
  })
  registry.register('$url.set', ([href, part, value]) => {
    const url = new URL(String(href))
    const key = String(part) as (typeof URL_PARTS)[number]
    if (!URL_PARTS.includes(key) || key === 'origin') throw new TypeError(`Cannot set URL.${key}`)
    ;(url as unknown as Record<string, string>)[key] = String(value)
    return urlParts(url)
  })
  registry.register('$url.legacyParse', ([text, parseQuery]) => {
    const parsed = parseUrl(String(text), parseQuery === true)
    return JSON.parse(JSON.stringify({ ...parsed }))
  })
  registry.register('$url.format', ([value]) => formatUrl(value as string))
  registry.register('$url.resolve', ([from, to]) => resolveUrl(String(from), String(to)))
  registry.register('$querystring.parse', ([text, sep, eq]) => ({ ...querystring.parse(String(text), sep as string, eq as string) }))
  registry.register('$querystring.stringify', ([value, sep, eq]) =>
    querystring.stringify(value as querystring.ParsedUrlQueryInput, sep as string, eq as string),
  )
  registry.register('$querystring.escape', ([text]) => querystring.escape(String(text)))
  registry.register('$querystring.unescape', ([text]) => querystring.unescape(String(text)))
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
