/**
 * Origin: github.com/auth0/opensource-marketplace templates/ip-address-allowlist-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Lets in only logins from one of the ALLOW_LIST secret's addresses (comma-separated, compared
 * exactly: no trimming, no ranges).
 */
exports.onExecutePostLogin = async (event, api) => {
  const ips = event.secrets.ALLOW_LIST?.split(',')
  if (!ips) {
    return api.access.deny('Invalid configuration')
  }
  if (!ips.includes(event.request.ip)) {
    return api.access.deny('Access denied for this IP address')
  }
}
