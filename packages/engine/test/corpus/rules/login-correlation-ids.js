/**
 * uuid: every login gets a random correlation id (v4) that the apps log, so that support can find
 * one login across services; and every user gets a stable, non-reversible id (v5 of the user id in
 * our namespace) for systems that must not see Auth0 ids.
 *   configuration.UUID_NAMESPACE
 */
function loginCorrelationIds(user, context, callback) {
  var uuid = require('uuid');
  var namespace = configuration.CLAIM_NAMESPACE;
  context.accessToken[namespace + 'login_id'] = uuid.v4();
  context.accessToken[namespace + 'stable_id'] = uuid.v5(user.user_id, configuration.UUID_NAMESPACE);
  callback(null, user, context);
}
