/**
 * Origin: github.com/karissa-cricut/auth0-deployment rules/rd-mfa-step-up.js @ d99ad8b360019f634dca42194e03a0f72c0fa3c7   (Deploy CLI directory export: rules/*.js with ##KEYWORD## replacement, pushed with a0deploy)
 * Step-up: the two demo applications get MFA (any provider, never remembered) when the request asks
 * for the PAPE multi-factor policy in acr_values.
 * Quirks kept: acr_values must equal the one policy URI exactly (a list of values is not split).
 */
function multiFactorStepUp(user, context, callback) {
  const _ = require('lodash@4.17.10')
  const CLIENTS = ['Auth0 Demo SPA', 'Auth0 Demo Web App']
  const MFA_POLICY = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'
  if (!CLIENTS.includes(context.clientName)) {
    callback(null, user, context)
    return
  }
  if (_.get(context, 'request.query', {}).acr_values !== MFA_POLICY) {
    callback(null, user, context)
    return
  }
  context.multifactor = { allowRememberBrowser: false, provider: 'any' }
  callback(null, user, context)
}
