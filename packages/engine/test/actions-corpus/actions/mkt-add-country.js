/**
 * Origin: github.com/auth0/opensource-marketplace templates/add-country-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Adds the login's geoip country name and time zone (Actions' camelCase geoip fields) to the ID
 * token, under an optional ID_TOKEN_NAMESPACE secret (a trailing slash added when missing).
 */
exports.onExecutePostLogin = async (event, api) => {
  let namespace = event.secrets.ID_TOKEN_NAMESPACE || ''
  if (namespace && !namespace.endsWith('/')) {
    namespace += '/'
  }

  if (event.request.geoip) {
    api.idToken.setCustomClaim(namespace + 'country', event.request.geoip.countryName)
    api.idToken.setCustomClaim(namespace + 'timezone', event.request.geoip.timeZone)
  }
}
