/**
 * Put the user's roles (app_metadata.roles) in both tokens, under a namespaced claim.
 */
function addRoles(user, context, callback) {
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  context.accessToken['https://example.com/roles'] = roles;
  context.idToken['https://example.com/roles'] = roles;
  callback(null, user, context);
}
