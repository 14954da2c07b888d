/**
 * Origin: github.com/NathanielPreiss/ICS.Server Auth0/Auth0.Actions/src/actions/postLogin.js @ f216eb61938335025a6c286c97c8efc143b04bdb   (app repository: actions deployed from the repo's Auth0.Actions package)
 * Puts the application's user id (app_metadata.IcsUserId) and the roles in the access token under
 * bare names. Quirks kept: `role` holds the whole roles array; the claim is set even when
 * event.authorization is missing (undefined does not reach the token).
 */
exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('IcsUserId', event.user.app_metadata['IcsUserId'])
  api.accessToken.setCustomClaim('role', event.authorization?.roles)
}
