/**
 * Signing a JWT for a downstream service (HS256, shared secret): the reporting service trusts a
 * short-lived token with the user's id, email and roles, signed with the secret both sides hold.
 * The app receives it in the ID token and forwards it.
 *   configuration.REPORTING_SECRET, configuration.REPORTING_AUDIENCE
 */
function signDownstreamTokenHs256(user, context, callback) {
  var jwt = require('jsonwebtoken');
  var roles = (user.app_metadata && user.app_metadata.roles) || [];
  if (roles.indexOf('analyst') === -1 && roles.indexOf('admin') === -1) {
    return callback(null, user, context);
  }
  var token = jwt.sign(
    { email: user.email, roles: roles, tenant: context.tenant },
    configuration.REPORTING_SECRET,
    { algorithm: 'HS256', expiresIn: '10m', audience: configuration.REPORTING_AUDIENCE, issuer: 'https://' + context.tenant + '.tokenrules.example/', subject: user.user_id }
  );
  context.idToken[configuration.CLAIM_NAMESPACE + 'reporting_token'] = token;
  callback(null, user, context);
}
