/**
 * Signing a JWT for a downstream service (RS256): the legacy billing system accepts an assertion
 * signed with our private key (it holds the public key) and answers with a session id, which the
 * app needs to embed the billing pages. Billing is optional: if the exchange fails the login goes
 * on without a session.
 *   configuration.BILLING_URL, configuration.BILLING_SIGNING_KEY (PEM), configuration.BILLING_KEY_ID
 */
function legacySessionRs256(user, context, callback) {
  var jwt = require('jsonwebtoken');
  var request = require('request');
  var assertion = jwt.sign({ email: user.email, name: user.name }, configuration.BILLING_SIGNING_KEY, {
    algorithm: 'RS256',
    keyid: configuration.BILLING_KEY_ID,
    expiresIn: 60,
    audience: configuration.BILLING_URL,
    subject: user.user_id,
  });
  request.post({
    url: configuration.BILLING_URL + '/sessions',
    json: { client: context.clientID },
    headers: { authorization: 'Bearer ' + assertion },
  }, function (err, response, body) {
    if (err || response.statusCode !== 201) {
      console.warn('billing session not created: ' + (err ? err.code : response.statusCode));
      return callback(null, user, context);
    }
    context.idToken[configuration.CLAIM_NAMESPACE + 'billing_session'] = body.session_id;
    callback(null, user, context);
  });
}
