/**
 * Origin: github.com/auth0/opensource-marketplace templates/simple-user-allowlist-for-app-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * For the ALLOWED_CLIENT_ID application only, lets in just the users of ALLOWED_USER_EMAILS.
 * Quirks kept: the verified-email check runs before the application check, so unverified users
 * are denied on every application.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.secrets.ALLOWED_CLIENT_ID) {
    return api.access.deny('missing allowed client id')
  }
  if (!event.secrets.ALLOWED_USER_EMAILS) {
    return api.access.deny('missing allowed user emails')
  }
  if (!event.user.email || !event.user.email_verified) {
    return api.access.deny('access denied.')
  }
  if (event.client.client_id !== event.secrets.ALLOWED_CLIENT_ID) {
    return
  }

  const allowed = event.secrets.ALLOWED_USER_EMAILS.split(',')
    .map((email) => email.trim())
    .filter((email) => !!email)
  if (!allowed.some((email) => email === event.user.email)) {
    return api.access.deny('access denied.')
  }
}
