/**
 * Origin: github.com/auth0/opensource-marketplace templates/add-attribute-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Puts the claim named by the CLAIM_NAME secret (value true) in the ID token of users of the
 * CONNECTION_NAME connection. Quirks kept: the claim name is whatever the secret says (often not
 * namespaced); either secret missing denies the login.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.secrets.CONNECTION_NAME) {
    return api.access.deny('Invalid configuration')
  }
  if (!event.secrets.CLAIM_NAME) {
    return api.access.deny('Invalid configuration')
  }
  if (event.connection.name === event.secrets.CONNECTION_NAME) {
    api.idToken.setCustomClaim(event.secrets.CLAIM_NAME, true)
  }
}
