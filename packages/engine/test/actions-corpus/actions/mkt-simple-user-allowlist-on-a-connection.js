/**
 * Origin: github.com/auth0/opensource-marketplace templates/simple-user-allowlist-on-a-connection-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * On the ALLOW_LIST_CONNECTION connection only, lets in just the emails of ALLOW_USER_EMAILS;
 * unverified users are denied everywhere.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.secrets.ALLOW_LIST_CONNECTION) {
    return api.access.deny('Invalid configuration')
  }
  if (!event.secrets.ALLOW_USER_EMAILS) {
    return api.access.deny('Invalid configuration')
  }
  if (!event.user.email || !event.user.email_verified) {
    return api.access.deny('Access denied.')
  }
  if (event.secrets.ALLOW_LIST_CONNECTION === event.connection.name) {
    const listed = event.secrets.ALLOW_USER_EMAILS.split(',').some((email) => email.trim() === event.user.email)
    if (!listed) {
      return api.access.deny('Access denied.')
    }
  }
}
