/**
 * Protocols with no browser in the loop: a rule's `context.redirect` cannot work there ([behaviour: callback outcomes](../../../docs/behaviour.md#callback-outcomes)).
 * Under any other protocol a redirect is returned as `result.redirect` for the host to act on.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { createEngine, NO_BROWSER_PROTOCOLS } from '@tokenrules/engine'
 *
 * await using engine = await createEngine({
 *   rules: [{
 *     name: 'terms-consent',
 *     script: `function (user, context, callback) {
 *       if (!user.app_metadata.accepted_terms) context.redirect = { url: 'https://example.com/terms' };
 *       callback(null, user, context);
 *     }`,
 *   }],
 * })
 * const login = (protocol: string) => engine.run({ user: { user_id: 'auth0|42', app_metadata: {} }, context: { clientID: 'app', protocol } })
 *
 * // A browser login (authorization code flow): the host redirects.
 * assert.equal(NO_BROWSER_PROTOCOLS.includes('oidc-basic-profile'), false)
 * assert.deepEqual((await login('oidc-basic-profile')).redirect, { url: 'https://example.com/terms' })
 * // The password grant has no browser: the run fails instead.
 * assert.ok(NO_BROWSER_PROTOCOLS.includes('oauth2-password'))
 * await assert.rejects(login('oauth2-password'), { code: 'ERR_REDIRECT_UNSUPPORTED' })
 * ```
 */
export const NO_BROWSER_PROTOCOLS: readonly string[] = [
  'oauth2-password',
  'oauth2-refresh-token',
  'oauth2-resource-owner',
  'oauth2-resource-owner-jwt-bearer',
  'oauth2-token-exchange',
  'oauth2-device-code',
]
