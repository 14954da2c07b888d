/**
 * Origin: github.com/mcooper-cloud/auth0_apache auth0/post-login.js @ 05640741997b5b13f58572ca7c09484e412024a2   (app repository: Apache mod_auth_openidc demo's tenant action)
 * Puts every user_metadata entry, the roles and a fresh crypto.randomUUID() under the
 * CUSTOM_SCOPE_NAMESPACE secret in the access token, and the UUID in the ID token, namespaced and
 * bare (EXTERNALID). Quirks kept: reads event.transaction.requested_scopes and the connection id
 * into unused variables; every failure is swallowed by its try/catch.
 */
exports.onExecutePostLogin = async (event, api) => {
  const user = event.user
  const userId = user.user_id
  const connectionId = event.connection.id
  const loginsCount = event.stats.logins_count
  const requestedScopes = event.transaction.requested_scopes
  const roles = event.authorization.roles

  const crypto = require('crypto')
  const uuid = crypto.randomUUID()

  const namespace = event.secrets.CUSTOM_SCOPE_NAMESPACE

  try {
    for (const [key, value] of Object.entries(event.user.user_metadata)) {
      api.accessToken.setCustomClaim(`${namespace}/${key}`, value)
    }
    api.accessToken.setCustomClaim(`${namespace}/roles`, roles)

    const uuidClaim = `${namespace}/EXTERNALID`
    api.accessToken.setCustomClaim(uuidClaim, uuid)
    api.idToken.setCustomClaim(uuidClaim, uuid)

    api.accessToken.setCustomClaim('EXTERNALID', uuid)
    api.idToken.setCustomClaim('EXTERNALID', uuid)
  } catch (e) {
    console.log('Error setting custom claims: %s', e.message)
  }
}
