/**
 * Origin: github.com/Tekalo/common-app-api auth0/dev/actions/Add-Role-To-Token/code.js @ 05ecd11bbdf43bfc0a0295e3e016d3fa083442de   (Deploy CLI: actions/<name>/code.js of the dev tenant)
 * A rule pasted into an action unchanged: it reads `context.idToken` and calls `callback`, which
 * do not exist in an action, so every login fails with a ReferenceError (the tenant replaced it
 * with Add-Role-To-Access-Token). Kept as deployed.
 */
exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'auth0.capp.com'
  const assignedRoles = (event.authorization || {}).roles

  let idTokenClaims = context.idToken || {}
  let accessTokenClaims = context.accessToken || {}

  idTokenClaims[`${namespace}/roles`] = assignedRoles
  accessTokenClaims[`${namespace}/roles`] = assignedRoles

  context.idToken = idTokenClaims
  context.accessToken = accessTokenClaims

  callback(null, user, context)
}
