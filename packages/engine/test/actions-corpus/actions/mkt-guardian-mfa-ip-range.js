/**
 * Origin: github.com/auth0/opensource-marketplace templates/guardian-multifactor-ip-range-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template; manifest dependency ipaddr.js "latest")
 * Requires Guardian MFA (browser never remembered) for logins from outside the TRUSTED_CIDR secret,
 * parsed with ipaddr.js. Quirks kept: require inside the handler; ipaddr's match throws for an IPv6
 * address against an IPv4 range, which is not caught (the login fails).
 */
exports.onExecutePostLogin = async (event, api) => {
  const ipaddr = require('ipaddr.js')

  const corpNetwork = event.secrets.TRUSTED_CIDR
  if (!corpNetwork) {
    return api.access.deny('Invalid configuration')
  }

  let currentIp
  try {
    currentIp = ipaddr.parse(event.request.ip)
  } catch (error) {
    return api.access.deny('Invalid request')
  }

  let cidr
  try {
    cidr = ipaddr.parseCIDR(corpNetwork)
  } catch (error) {
    return api.access.deny('Invalid configuration')
  }

  if (!currentIp.match(cidr)) {
    api.multifactor.enable('guardian', { allowRememberBrowser: false })
  }
}
