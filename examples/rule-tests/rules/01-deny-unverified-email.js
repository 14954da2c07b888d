/**
 * Database users must verify their email before they can log in. Social identities (Google,
 * GitHub…) are verified by their provider.
 */
function denyUnverifiedEmail(user, context, callback) {
  const social = (user.identities || []).some(function (identity) { return identity.isSocial; });
  if (!user.email_verified && !social) {
    return callback(new UnauthorizedError('Please verify your email before logging in.'));
  }
  callback(null, user, context);
}
