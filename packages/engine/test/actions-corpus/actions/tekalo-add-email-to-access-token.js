/**
 * Origin: github.com/Tekalo/common-app-api auth0/local/actions/Add-Email-To-Access-Token/code.js @ d34ba46ddb4786495ab54b167a3e8e9409cc8c04   (Deploy CLI: actions/<name>/code.js of the local tenant)
 * Adds the email to the access token as 'auth0.capp.com/email' when event.authentication is
 * there. Quirks kept: the scheme-less namespace; on a refresh-token exchange Auth0 gives no
 * event.authentication, so the claim is missing from refreshed tokens.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (event.authentication) {
    api.accessToken.setCustomClaim('auth0.capp.com/email', event.user.email)
  }
}
