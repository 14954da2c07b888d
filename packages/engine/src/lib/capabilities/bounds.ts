/**
 * How much one host call may carry. Whatever a host capability does runs on Node's main thread,
 * where every tenant's runs and every HTTP request of the process wait their turn: each capability
 * bounds its arguments so that one call costs the main thread well under a millisecond or two
 * (measured in test/hostile/main-thread-stalls.test.ts), and the work that can run inside the
 * isolate (hashes, HMAC, `timingSafeEqual`, `querystring`) does, counted against the rule's own
 * time and memory.
 *
 * A rule that passes more gets a `RangeError` with code {@link HOST_ARGUMENT_TOO_LARGE}, which it
 * can catch; the host never starts the work.
 */

/** The `code` of the RangeError a rule gets for an argument past its bound. */
export const HOST_ARGUMENT_TOO_LARGE = 'ERR_HOST_ARGUMENT_TOO_LARGE'

export const HOST_BOUNDS = {
  /**
   * Characters of one host call's encoded arguments (JSON, bytes as base64), checked in the guest
   * before the text is copied out of the isolate, and again on the host before it is parsed.
   */
  maxCallChars: 2 * 1024 * 1024,
  /** Characters of a URL, a base URL, or a value set on a URL part (`URL`, `url.parse/resolve/format`). */
  maxUrlChars: 16 * 1024,
  /** Characters of a JWT's signing input (`header.payload`). */
  maxJwtInputChars: 64 * 1024,
  /** Bytes of a JWT secret or characters of a PEM key. */
  maxJwtKeyChars: 32 * 1024,
} as const

/** A RangeError with {@link HOST_ARGUMENT_TOO_LARGE}, naming what was too large and its bound. */
export function tooLarge(what: string, size: number, max: number, unit = 'characters'): RangeError {
  const error = new RangeError(`${what} is too large for the sandbox: ${size} ${unit}, at most ${max}.`)
  Object.defineProperty(error, 'code', { value: HOST_ARGUMENT_TOO_LARGE, enumerable: true, writable: true, configurable: true })
  return error
}

/** `value` as a string of at most `max` characters, or a {@link tooLarge} error. */
export function boundedString(value: unknown, max: number, what: string): string {
  const text = String(value)
  if (text.length > max) throw tooLarge(what, text.length, max)
  return text
}
