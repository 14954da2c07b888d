/**
 * Origin: github.com/auth0/opensource-marketplace templates/mfa-require-enrollment-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Makes users without an enrolled factor (event.user.multifactor empty or absent) enrol: MFA with
 * any provider, browser not remembered.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.multifactor?.length) {
    api.multifactor.enable('any', { allowRememberBrowser: false })
  }
}
