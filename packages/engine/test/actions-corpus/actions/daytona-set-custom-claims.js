/**
 * Origin: github.com/daytonaio/daytona functions/auth0/setCustomClaims.onExecutePostLogin.js @ 074ef70011d2722476ba4a1ce5770c714731c8d2   (app repository: the product's Auth0 actions)
 * Copies email, name and email_verified into the access token under bare (non-namespaced) names,
 * which Auth0 has accepted since July 2022.
 */
exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('email', event.user.email)
  api.accessToken.setCustomClaim('name', event.user.name)
  api.accessToken.setCustomClaim('email_verified', event.user.email_verified)
}
