/**
 * Time-limited access: guests and temporary staff have app_metadata.access_expires_at (an ISO date).
 * After that moment they are refused; during the last 7 days the app is told so that it can warn
 * them. Uses plain Date arithmetic.
 */
function temporaryAccessExpiry(user, context, callback) {
  var expiresAt = user.app_metadata && user.app_metadata.access_expires_at;
  if (!expiresAt) {
    return callback(null, user, context);
  }
  var expiry = new Date(expiresAt);
  if (isNaN(expiry.getTime())) {
    return callback(new Error('Invalid access_expires_at for ' + user.user_id));
  }
  var msLeft = expiry.getTime() - Date.now();
  if (msLeft <= 0) {
    return callback(new UnauthorizedError('Your access expired on ' + expiry.toISOString().slice(0, 10) + '.'));
  }
  var daysLeft = Math.ceil(msLeft / (24 * 60 * 60 * 1000));
  if (daysLeft <= 7) {
    context.idToken[configuration.CLAIM_NAMESPACE + 'access_days_left'] = daysLeft;
  }
  callback(null, user, context);
}
