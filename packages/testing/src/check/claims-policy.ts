import { FORBIDDEN_NAMESPACE_HOSTS, REGISTERED_CLAIMS, REGISTERED_ID_TOKEN_CLAIMS, RESTRICTED_CLAIMS } from '@tokenrules/engine'
import type { FindingCode } from './analyze.js'

/** The engine's `claims.namespace` option. */
export type NamespacePolicy = 'required' | 'optional'

const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Why the engine's claims policy would drop the custom claim `name` of `token` (SPEC.md §6), the
 * same decision as the engine's, made statically: `undefined` when the claim is kept.
 */
export function claimProblem(
  name: string,
  token: 'accessToken' | 'idToken',
  policy: { namespace: NamespacePolicy; forbidden: readonly string[] },
): { code: FindingCode; message: string } | undefined {
  if (RESERVED_NAMES.has(name)) return { code: 'claim-reserved-name', message: `'${name}' is never accepted as a claim name` }
  if (REGISTERED_CLAIMS.has(name) || (token === 'idToken' && REGISTERED_ID_TOKEN_CLAIMS.has(name))) {
    return { code: 'claim-registered', message: `'${name}' is set by the server and cannot be overwritten by a rule` }
  }
  const host = urlHost(name)
  const forbidden = [...FORBIDDEN_NAMESPACE_HOSTS, ...policy.forbidden.map((f) => f.toLowerCase())]
  if (typeof host === 'string' && forbidden.some((f) => host === f || host.endsWith(`.${f}`))) {
    return { code: 'claim-forbidden-namespace', message: `'${name}' uses the forbidden namespace ${host}` }
  }
  if (policy.namespace === 'required') {
    if (typeof host !== 'string') {
      return { code: 'claim-not-namespaced', message: `'${name}' is not namespaced (custom claims must be http:// or https:// URLs with a host, e.g. 'https://example.com/${name.replace(/^\W+/, '')}')` }
    }
    return undefined
  }
  if (RESTRICTED_CLAIMS.has(name)) return { code: 'claim-restricted', message: `'${name}' is a restricted claim` }
  if (/^urn:auth0(?::|$)/i.test(name)) return { code: 'claim-restricted', message: `'${name}' uses the reserved urn:auth0 namespace` }
  if (host === null) return { code: 'claim-not-namespaced', message: `'${name}' is an http(s) URL without a host` }
  return undefined
}

/** The host of an http(s) URL; `undefined`: not an http(s) URL; `null`: one without a host. */
function urlHost(name: string): string | undefined | null {
  if (!/^https?:\/\//i.test(name)) return undefined
  try {
    const url = new URL(name)
    return url.hostname === '' ? null : url.hostname.toLowerCase()
  } catch {
    return null
  }
}
