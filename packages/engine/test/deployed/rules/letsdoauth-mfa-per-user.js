/**
 * Origin: github.com/karissa-cricut/auth0-deployment rules/rd-mfa-session.js @ c6df17aa1a9769f6ae5caffae55f0a5957e6e0a5   (Deploy CLI directory export: rules/*.js with ##KEYWORD## replacement, pushed with a0deploy)
 * For the two demo applications, users with app_metadata.enableMfa are sent to MFA (any provider,
 * browser not remembered) unless the session already completed it (an 'mfa' authentication method).
 * Quirks kept: app_metadata is not guarded (a profile without it would throw); lodash@4.17.10 _.get
 * for the methods; an earlier rule's context.multifactor is replaced.
 */
function multiFactorSession(user, context, callback) {
  const _ = require('lodash@4.17.10')
  const CLIENTS = ['Auth0 Demo SPA', 'Auth0 Demo Web App']
  if (!CLIENTS.includes(context.clientName) || !user.app_metadata.enableMfa) {
    callback(null, user, context)
    return
  }
  const methods = _.get(context, 'authentication.methods', [])
  if (methods.find((m) => m.name === 'mfa')) {
    callback(null, user, context)
    return
  }
  context.multifactor = { provider: 'any', allowRememberBrowser: false }
  callback(null, user, context)
}
