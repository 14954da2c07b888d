/**
 * Deny password logins of users whose email address is not verified.
 */
function denyUnverifiedEmail(user, context, callback) {
  if (!user.email_verified) {
    return callback(new UnauthorizedError('Please verify your email before logging in.'));
  }
  callback(null, user, context);
}
