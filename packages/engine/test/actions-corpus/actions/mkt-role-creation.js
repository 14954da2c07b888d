/**
 * Origin: github.com/auth0/opensource-marketplace templates/role-creation-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Gives the users listed in SPECIAL_ROLE_USERS the claim SPECIAL_ROLE_NAME = the list
 * SPECIAL_ROLE_VALUE (comma-separated, trimmed) in both tokens; unverified users are denied.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email || !event.user.email_verified) {
    return api.access.deny('access denied')
  }

  const specialName = event.secrets.SPECIAL_ROLE_NAME
  if (!specialName) {
    return api.access.deny('Invalid configuration')
  }

  const specialValues = event.secrets.SPECIAL_ROLE_VALUE?.split(',').map((v) => v.trim())
  if (!specialValues) {
    return api.access.deny('Invalid configuration')
  }

  const specialRoleUsers = event.secrets.SPECIAL_ROLE_USERS?.split(',').map((u) => u.trim())
  if (!specialRoleUsers) {
    return api.access.deny('Invalid configuration')
  }

  if (specialRoleUsers.includes(event.user.email)) {
    api.idToken.setCustomClaim(specialName, specialValues)
    api.accessToken.setCustomClaim(specialName, specialValues)
  }
}
