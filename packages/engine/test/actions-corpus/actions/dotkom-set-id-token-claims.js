/**
 * Origin: github.com/dotkom/monoweb infra/auth0/js/setCustomIdTokenClaims.js @ 10d32310b5a30ce4bfde26a8180a89aeb1f62021   (Terraform: auth0_action code = file(...) in infra/auth0)
 * Copies profile and metadata fields into the ID token under bare camelCase names. Quirks kept: it
 * also sets `sub` (a registered claim Auth0 ignores) and `user_id`/`id`; undefined metadata
 * fields are set too (they do not reach the token).
 */
exports.onExecutePostLogin = async (event, api) => {
  const { app_metadata: app, user_metadata: own } = event.user
  api.idToken.setCustomClaim('userId', event.user.user_id)
  api.idToken.setCustomClaim('gender', own.gender)
  api.idToken.setCustomClaim('studyYear', app.studyYear)
  api.idToken.setCustomClaim('phoneNumber', app.phoneNumber)
  api.idToken.setCustomClaim('allergies', app.allergies)
  api.idToken.setCustomClaim('profilePicture', app.profilePicture)
  api.idToken.setCustomClaim('givenName', app.givenName)
  api.idToken.setCustomClaim('familyName', app.familyName)
  api.idToken.setCustomClaim('name', app.name)
  api.idToken.setCustomClaim('emailVerified', app.emailVerified)
  api.idToken.setCustomClaim('onBoarded', app.onBoarded)

  api.idToken.setCustomClaim('id', event.user.user_id)
  api.idToken.setCustomClaim('user_id', event.user.user_id)
  api.idToken.setCustomClaim('sub', event.user.user_id)
}
