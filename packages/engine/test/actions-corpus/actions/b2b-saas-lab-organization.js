/**
 * Origin: github.com/urmade/Auth0-B2B-SaaS-Lab action.js @ 63929fef2d8dc14ad9b102742770fccb0d902289   (app repository: the lab's tenant action, pasted into the dashboard)
 * For organization logins, puts the organization's license (its metadata) and display name in
 * the ID token.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (event.organization) {
    api.idToken.setCustomClaim('https://pizza0.net/license', event.organization.metadata.license)
    api.idToken.setCustomClaim('https://pizza0.net/organization', event.organization.display_name)
  }
}
