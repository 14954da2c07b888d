import { claimViolation, type ClaimDropReason } from '@tokenrules/engine'
import type { FindingCode } from './analyze.js'

/** The engine's `claims.namespace` option. */
export type NamespacePolicy = 'required' | 'optional'

const CODES: Record<ClaimDropReason, FindingCode> = {
  'reserved-name': 'claim-reserved-name',
  registered: 'claim-registered',
  'forbidden-namespace': 'claim-forbidden-namespace',
  'not-namespaced': 'claim-not-namespaced',
  restricted: 'claim-restricted',
}

/**
 * Why the engine's claims policy would drop the custom claim `name` of `token` ([behaviour: custom claims](../../../../docs/behaviour.md#custom-claims)):
 * the engine's own decision (`claimViolation`), made statically; `undefined` when the claim is kept.
 */
export function claimProblem(
  name: string,
  token: 'accessToken' | 'idToken',
  policy: { namespace: NamespacePolicy; forbidden: readonly string[] },
): { code: FindingCode; message: string } | undefined {
  const violation = claimViolation(name, token, {
    namespace: policy.namespace,
    onViolation: 'drop',
    forbiddenNamespaces: policy.forbidden.map((f) => f.toLowerCase()),
  })
  if (violation === undefined) return undefined
  const hint = violation.reason === 'not-namespaced' && !/^https?:/i.test(name) ? ` (e.g. 'https://example.com/${name.replace(/^\W+/, '')}')` : ''
  return { code: CODES[violation.reason], message: violation.message + hint }
}
