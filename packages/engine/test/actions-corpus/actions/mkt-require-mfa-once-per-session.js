/**
 * Origin: github.com/auth0/opensource-marketplace templates/require-mfa-once-per-session-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Asks for MFA unless the session's authentication methods already include 'mfa'. Quirks kept:
 * api.multifactor.enable is called without options (allowRememberBrowser takes Auth0's default).
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.authentication || !Array.isArray(event.authentication.methods) || !event.authentication.methods.find((method) => method.name === 'mfa')) {
    api.multifactor.enable('any')
  }
}
