function addRoles(user, context, callback) {
  const namespace = 'https://tokenrules.example/';
  const roles = (user.app_metadata && user.app_metadata.roles) || [];
  context.accessToken[namespace + 'roles'] = roles;
  context.idToken[namespace + 'roles'] = roles;
  // Not namespaced: the engine drops it and reports a CLAIM_DROPPED warning.
  context.idToken.favourite_colour = 'green';
  callback(null, user, context);
}
