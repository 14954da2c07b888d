/**
 * First-login flag: the first time a user logs in, mark them as onboarded (with the time of this
 * authentication) in app_metadata and tell the app to show the welcome tour. Later logins only
 * carry the date.
 */
async function firstLoginOnboarding(user, context, callback) {
  const namespace = configuration.CLAIM_NAMESPACE;
  user.app_metadata = user.app_metadata || {};
  if (user.app_metadata.onboarded_at) {
    context.idToken[namespace + 'onboarded_at'] = user.app_metadata.onboarded_at;
    return callback(null, user, context);
  }
  const methods = (context.authentication && context.authentication.methods) || [];
  const at = new Date(methods.length ? methods[methods.length - 1].timestamp : Date.now()).toISOString();
  user.app_metadata.onboarded_at = at;
  await auth0.users.updateAppMetadata(user.user_id, user.app_metadata);
  context.idToken[namespace + 'first_login'] = true;
  context.idToken[namespace + 'onboarded_at'] = at;
  return callback(null, user, context);
}
