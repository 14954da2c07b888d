import { isIP } from 'node:net'

/** An IP address in one canonical spelling: IPv4-mapped IPv6 becomes IPv4; IPv6 is lower case. */
export function normalizeIp(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed)
  if (mapped !== null && isIP(mapped[1] as string) === 4) return mapped[1]
  const kind = isIP(trimmed)
  if (kind === 4) return trimmed
  if (kind === 6) return trimmed.toLowerCase()
  return undefined
}
