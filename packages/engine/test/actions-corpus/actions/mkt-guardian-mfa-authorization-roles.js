/**
 * Origin: github.com/auth0/opensource-marketplace templates/guardian-multifactor-authorization-extension-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Requires Guardian MFA for users holding one of the MFA_ROLES (comma-separated secret, lower-cased)
 * in event.authorization.roles; unverified emails are denied first. Quirks kept: the user's roles
 * are compared as they are while the configured ones are lower-cased; allowRememberBrowser true
 * despite the comment saying it forces MFA every time.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email_verified) {
    return api.access.deny('Email not verified')
  }

  const mfaRoles = event.secrets.MFA_ROLES?.split(',')
    .map((role) => role.trim().toLowerCase())
    .filter((role) => role)
  if (!mfaRoles) {
    return api.access.deny('Invalid configuration')
  }

  const userMFARoles = event.authorization?.roles.filter((role) => mfaRoles.includes(role))
  if (userMFARoles && userMFARoles.length) {
    api.multifactor.enable('guardian', { allowRememberBrowser: true })
  }
}
