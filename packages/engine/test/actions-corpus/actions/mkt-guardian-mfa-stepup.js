/**
 * Origin: github.com/auth0/opensource-marketplace templates/guardian-multifactor-stepup-authentication-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Step-up: when the request's acr_values ask for the PAPE multi-factor policy and the session has
 * no 'mfa' method yet, asks for MFA. Quirks kept: `event.transaction?.acr_values.includes` only
 * guards the transaction, so a transaction without acr_values throws a TypeError (the login fails).
 */
exports.onExecutePostLogin = async (event, api) => {
  const isMfa = event.transaction?.acr_values.includes('http://schemas.openid.net/pape/policies/2007/06/multi-factor')

  let authMethods = []
  if (event.authentication && Array.isArray(event.authentication.methods)) {
    authMethods = event.authentication.methods
  }

  if (isMfa && !authMethods.some((method) => method.name === 'mfa')) {
    api.multifactor.enable('any', { allowRememberBrowser: false })
  }
}
