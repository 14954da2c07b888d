/**
 * Which addresses rules may reach. The default transport resolves every name itself, checks every
 * address it got, and connects only to those (http-transport.ts), so a name on the allow-list that
 * resolves to loopback, a private network or the cloud's metadata service is refused, and a second
 * resolution (DNS rebinding) is never made.
 *
 * Classification is ipaddr.js's (the address library of Express's `proxy-addr`): it knows the
 * special-purpose ranges of both families (RFC 6890 and successors) and IPv4-mapped IPv6, which a
 * hand-written list of prefixes tends to get wrong.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'
import { HttpError } from './http-error.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6

/** An `allowAddresses` entry, parsed: a network address and its prefix length. */
export type AddressRange = readonly [Address, number]

/** Every address of a host name, as text (engine option `modules.http.lookup`). */
export type Resolver = (hostname: string) => Promise<readonly string[]> | readonly string[]

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address in the order it gives. */
export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, order: 'verbatim' })).map((entry) => entry.address)

/** Global unicast IPv6 (2000::/3): the rest (unique-local, link-local, IPv4-compatible ::/96…) is not the internet. */
const GLOBAL_IPV6: [Address, number] = [ipaddr.IPv6.parse('2000::'), 3]

/**
 * Instance-metadata services (AWS, GCP, Azure, OpenStack: 169.254.169.254; AWS over IPv6:
 * fd00:ec2::254; Alibaba: 100.100.100.200; Oracle: 192.0.0.192). A range in `allowAddresses` never
 * lets them through: only an entry naming the address itself does.
 */
const METADATA = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192'].map((text) => ipaddr.parse(text))

/**
 * Parse an `allowAddresses` entry: an IPv4 address (four decimal parts) or an IPv6 address, either
 * with `/prefix`. Answers the reason instead when it is neither.
 */
export function parseAddressRange(entry: string): AddressRange | string {
  const slash = entry.indexOf('/')
  const text = slash === -1 ? entry : entry.slice(0, slash)
  let address: Address
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) address = ipaddr.IPv4.parse(text)
  else if (isIP(text) === 6 && !text.includes('%')) address = ipaddr.IPv6.parse(text)
  else return 'must be an IP address (IPv4 in four decimal parts, or IPv6), optionally with /prefix'
  const max = address.kind() === 'ipv4' ? 32 : 128
  let bits = max
  if (slash !== -1) {
    const prefix = entry.slice(slash + 1)
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `its prefix must be a number from 0 to ${max}`
    bits = Number(prefix)
  }
  // '::ffff:10.0.0.0/104' is 10.0.0.0/8: how an IPv4 address looks on an IPv6 socket.
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) return [address.toIPv4Address(), bits - 96]
  return [address, bits]
}

/** An address as checked: IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is the IPv4 address it maps. */
function parseAddress(text: string): Address | undefined {
  if (isIP(text) === 0) return undefined
  try {
    return ipaddr.process(text)
  } catch {
    return undefined
  }
}

/** The special-purpose range `address` is in (loopback, private, linkLocal…), or undefined for a public unicast address. */
export function specialRange(address: Address): string | undefined {
  const range = address.range()
  if (range !== 'unicast') return range
  return address.kind() === 'ipv6' && !address.match(...GLOBAL_IPV6) ? 'reserved' : undefined
}

const sameAddress = (a: Address, b: Address) => a.kind() === b.kind() && a.toNormalizedString() === b.toNormalizedString()

/** Whether rules may reach `address`: public unicast, or in `ranges` (a metadata address only by an entry of its own). */
export function addressPermitted(address: Address, ranges: readonly AddressRange[]): boolean {
  const fullPrefix = address.kind() === 'ipv4' ? 32 : 128
  if (METADATA.some((m) => sameAddress(m, address))) return ranges.some(([net, bits]) => bits === fullPrefix && sameAddress(net, address))
  if (specialRange(address) === undefined) return true
  return ranges.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits))
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local (private)',
  carrierGradeNat: 'carrier-grade NAT (shared)',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
}

/** "a loopback address", "a metadata address"…: what the rule is told, never the address itself. */
function kindOf(address: Address): string {
  if (METADATA.some((m) => sameAddress(m, address))) return 'an instance-metadata address'
  const range = specialRange(address) ?? 'reserved'
  const name = RANGE_NAMES[range] ?? `special-purpose (${range})`
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name} address`
}

/**
 * The addresses `hostname` may be reached at: every address the resolver answers, each one
 * checked; one that is not permitted refuses the name (an answer that mixes a public and a private
 * address is how rebinding is done). `signal` bounds the wait (the resolver itself cannot be
 * cancelled, its late answer is dropped).
 */
export async function checkedAddresses(hostname: string, resolver: Resolver, ranges: readonly AddressRange[], signal: AbortSignal): Promise<string[]> {
  let answer: readonly string[]
  try {
    answer = await abortable(
      Promise.resolve().then(() => resolver(hostname)),
      signal,
    )
  } catch (error) {
    if (signal.aborted) throw error
    const code = (error as { code?: unknown } | null)?.code
    const text = typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : 'ENOTFOUND'
    throw new HttpError(text, `HTTP request to ${hostname} failed: ${text}`)
  }
  const addresses = Array.isArray(answer) ? (answer as unknown[]) : []
  if (addresses.length === 0) throw new HttpError('ENOTFOUND', `HTTP request to ${hostname} failed: ENOTFOUND`)
  return addresses.map((text) => {
    const address = typeof text === 'string' ? parseAddress(text) : undefined
    if (address === undefined)
      throw new HttpError('ENOTFOUND', `HTTP request to ${hostname} failed: the resolver answered something that is not an IP address.`)
    if (!addressPermitted(address, ranges)) {
      throw new HttpError(
        'ERR_HTTP_NOT_ALLOWED',
        `HTTP requests to ${hostname} are not allowed for rules: it resolves to ${kindOf(address)} (modules.http.allowAddresses).`,
      )
    }
    // The socket connects to what was checked: the mapped form becomes the IPv4 address it maps.
    return address.toString()
  })
}

/** `promise`, or a rejection with the signal's reason once it aborts (the listener removed either way). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
