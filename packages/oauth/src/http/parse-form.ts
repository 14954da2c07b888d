import { invalidRequest } from '../errors.js'

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * `application/x-www-form-urlencoded`, strictly: malformed percent escapes, bytes that are not
 * UTF-8 once decoded, empty names and repeated names are refused (RFC 6749 §3.2: parameters MUST
 * NOT be included more than once). `URLSearchParams` would silently repair all of these.
 */
export function parseForm(text: string): Map<string, string> {
  const params = new Map<string, string>()
  if (text === '') return params
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1))
    if (name === '') throw invalidRequest('The request body has a parameter without a name.')
    if (params.has(name)) throw repeated(name)
    params.set(name, value)
  }
  return params
}

/** One form component: `+` is a space, `%XX` a byte; the bytes must be UTF-8. */
export function decodeComponent(raw: string): string {
  if (!raw.includes('%')) return raw.replaceAll('+', ' ')
  const bytes: number[] = []
  for (let i = 0; i < raw.length;) {
    const c = raw.codePointAt(i) as number
    if (c === 0x25 /* % */) {
      const hex = raw.slice(i + 1, i + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw invalidRequest('The request body has a malformed percent-encoding.')
      bytes.push(Number.parseInt(hex, 16))
      i += 3
    } else if (c === 0x2b /* + */) {
      bytes.push(0x20)
      i += 1
    } else {
      const char = String.fromCodePoint(c)
      for (const b of Buffer.from(char, 'utf8')) bytes.push(b)
      i += char.length
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes))
  } catch {
    throw invalidRequest('The request body is not valid UTF-8.')
  }
}

/** 400 for a parameter given more than once. */
export function repeated(name: string) {
  return invalidRequest(`Parameter '${truncate(name)}' is given more than once.`)
}

/** Input echoed in an error description is cut short. */
export function truncate(value: string, max = 64): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`
}
