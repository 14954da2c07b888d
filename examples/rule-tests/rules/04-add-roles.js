/** Put the user's roles in both tokens, under our namespace. */
function addRoles(user, context, callback) {
  const namespace = 'https://acme.example/';
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  context.accessToken[namespace + 'roles'] = roles;
  context.idToken[namespace + 'roles'] = roles;
  callback(null, user, context);
}
