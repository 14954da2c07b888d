/**
 * Origin: github.com/auth0/opensource-marketplace templates/add-email-to-access-token-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Adds the user's email to the access token, under an optional NAMESPACE secret (a trailing slash
 * added when missing). Quirks kept: without the secret the claim is the bare name `email`.
 */
exports.onExecutePostLogin = async (event, api) => {
  let namespace = event.secrets.NAMESPACE || ''
  if (namespace && !namespace.endsWith('/')) {
    namespace += '/'
  }
  api.accessToken.setCustomClaim(namespace + 'email', event.user.email)
}
