/**
 * Origin: github.com/auth0/opensource-marketplace templates/active-directory-groups-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Lets in only users whose `groups` profile field (a string or a list, as AD/LDAP connections put
 * it on the root profile) contains the ALLOWED_GROUP secret. Quirks kept: the denial is returned
 * from the handler (`return api.access.deny(...)`); a missing secret denies everyone.
 */
exports.onExecutePostLogin = async (event, api) => {
  const allowedGroup = event.secrets.ALLOWED_GROUP
  if (!allowedGroup) {
    return api.access.deny('Invalid configuration')
  }

  let groups = event.user.groups || []
  if (!Array.isArray(groups)) {
    groups = [groups]
  }

  if (!groups.includes(allowedGroup)) {
    return api.access.deny('Access denied')
  }
}
