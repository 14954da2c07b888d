/**
 * Deny by blocked flag: support can block a user (app_metadata.blocked) or suspend them until a
 * date (app_metadata.suspended_until). Both get an UnauthorizedError the app can show.
 */
function denyBlockedUsers(user, context, callback) {
  var appMetadata = user.app_metadata || {};
  if (user.blocked === true || appMetadata.blocked === true) {
    return callback(new UnauthorizedError('user is blocked'));
  }
  if (appMetadata.suspended_until && new Date(appMetadata.suspended_until).getTime() > Date.now()) {
    return callback(new UnauthorizedError('Your account is suspended until ' + appMetadata.suspended_until + '.'));
  }
  callback(null, user, context);
}
