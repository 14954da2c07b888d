/**
 * Origin: github.com/auth0/opensource-marketplace templates/querystring-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * When the request's query parameter QUERY_KEY equals QUERY_VALUE, puts the claim
 * CUSTOM_CLAIM_NAME = CUSTOM_CLAIM_VALUE (all secrets) in the ID token; any secret missing denies.
 * Quirks kept: only event.request.query is read, never the POST body the password grant sends.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.secrets.QUERY_KEY) {
    return api.access.deny('Invalid configuration')
  }
  if (!event.secrets.QUERY_VALUE) {
    return api.access.deny('Invalid configuration')
  }

  const queryValue = event.request.query[event.secrets.QUERY_KEY]
  if (queryValue === event.secrets.QUERY_VALUE) {
    const { CUSTOM_CLAIM_NAME: customClaimName, CUSTOM_CLAIM_VALUE: customClaimValue } = event.secrets
    if (!customClaimName) {
      return api.access.deny('Invalid configuration')
    }
    if (!customClaimValue) {
      return api.access.deny('Invalid configuration')
    }
    api.idToken.setCustomClaim(customClaimName, customClaimValue)
  }
}
