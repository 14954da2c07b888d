/**
 * Origin: github.com/gcoonrod/reflog packages/cli/src/auth0-actions/post-login-add-email.js @ 0c965b8806cb3deb1342efb395a531d403cd26af   (app repository: the CLI deploys it to the tenant)
 * Adds a verified email to the access token as https://reflog.app/claims/email, so that the
 * sync API needs no Management API call.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.email && event.user.email_verified) {
    api.accessToken.setCustomClaim('https://reflog.app/claims/email', event.user.email)
  }
}
