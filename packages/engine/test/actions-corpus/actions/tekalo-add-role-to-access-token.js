/**
 * Origin: github.com/Tekalo/common-app-api auth0/dev/actions/Add-Role-To-Access-Token/code.js @ a1eaa692f471b1f0f396c5d84ca318d9488fe101   (Deploy CLI: actions/<name>/code.js of the dev tenant)
 * Adds the user's roles to the access token as 'auth0.capp.com/roles'. Quirks kept: the
 * "namespace" has no scheme, so the name is not a URL (kept by Auth0's optional policy).
 */
exports.onExecutePostLogin = async (event, api) => {
  if (event.authorization) {
    api.accessToken.setCustomClaim('auth0.capp.com/roles', event.authorization.roles)
  }
}
