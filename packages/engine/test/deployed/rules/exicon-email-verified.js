/**
 * Origin: github.com/exicon/auth0-rules rules/email_verified.js @ 3156c2b2f3dac899520c524c25a3915da571bda8   (repo: the company's rules/ folder)
 * Refuses logins with an unverified email unless the connection is SAML (enterprise IdPs vouch for
 * the address). Quirks kept: logs the strategy on every login; the refusal is an UnauthorizedError.
 */
function (user, context, callback) {
  console.log(context.connectionStrategy);
  if (context.connectionStrategy === 'samlp') return callback(null, user, context);
  if (!user.email_verified) {
    return callback(new UnauthorizedError('Please verify your email before logging in.'));
  }
  return callback(null, user, context);
}
