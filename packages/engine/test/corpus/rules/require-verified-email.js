/**
 * Email-verified gate: users of a database connection must verify their email address before
 * they get tokens. Social and enterprise logins (the identity provider vouches for the address)
 * pass. The message is shown to the user by the app.
 */
function requireVerifiedEmail(user, context, callback) {
  var identity = (user.identities || [])[0] || {};
  if (identity.isSocial || context.connectionStrategy !== 'auth0') {
    return callback(null, user, context);
  }
  if (!user.email_verified) {
    return callback(new UnauthorizedError('Please verify your email address before logging in.'));
  }
  callback(null, user, context);
}
