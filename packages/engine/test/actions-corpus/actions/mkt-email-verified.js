/**
 * Origin: github.com/auth0/opensource-marketplace templates/email-verified-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Denies users whose email is not verified.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email_verified) {
    api.access.deny('Please verify your email before logging in.')
  }
}
