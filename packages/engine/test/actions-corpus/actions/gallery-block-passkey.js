/**
 * Origin: github.com/abbaspour/actions-gallery post-login/block-passkey-login/block-passkey-action.js @ b2477a6cc371987f7b7f6bb43c87917e68688bab   (actions gallery, MIT)
 * Meant to refuse passkey-only logins to applications whose metadata says PASSKEY = 'false'
 * (revoking the session, then denying). Quirks kept: the typo `event?.authencation` makes the
 * passkey test always false, so it never denies; it logs the whole event as JSON.
 */
exports.onExecutePostLogin = async (event, api) => {
  console.log(JSON.stringify(event))

  const onlyPasskey = () => event?.authentication?.methods?.length === 1 && event?.authencation?.methods[0]?.name === 'passkey'
  const appRefusesPasskeys = () => event?.client?.metadata?.PASSKEY === 'false'

  if (appRefusesPasskeys() && onlyPasskey()) {
    api.session.revoke('need to login with password', { preserveRefreshTokens: true })
    api.access.deny('need to login with password')
  }
}
