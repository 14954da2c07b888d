/**
 * Origin: github.com/auth0/opensource-marketplace templates/simple-user-allowlist-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Lets in only verified users whose email is in the ALLOWED_USER_EMAILS secret (comma-separated,
 * trimmed, exact and case-sensitive).
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.secrets.ALLOWED_USER_EMAILS) {
    return api.access.deny('missing allowed user emails')
  }
  if (!event.user.email || !event.user.email_verified) {
    return api.access.deny('access denied.')
  }

  const allowed = event.secrets.ALLOWED_USER_EMAILS.split(',')
    .map((email) => email.trim())
    .filter((email) => !!email)
  if (!allowed.some((email) => email === event.user.email)) {
    return api.access.deny('access denied.')
  }
}
