/**
 * Persisting metadata: count the user's logins per application in app_metadata and remember the
 * last application used. The token is issued only once the store has the new count.
 */
function countLogins(user, context, callback) {
  user.app_metadata = user.app_metadata || {};
  var counts = user.app_metadata.logins_by_client || {};
  counts[context.clientID] = (counts[context.clientID] || 0) + 1;
  user.app_metadata.logins_by_client = counts;
  user.app_metadata.last_client = context.clientName;

  auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
    .then(function () {
      context.idToken[configuration.CLAIM_NAMESPACE + 'logins_here'] = counts[context.clientID];
      callback(null, user, context);
    })
    .catch(function (err) {
      callback(err);
    });
}
