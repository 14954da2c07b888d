/**
 * Origin: github.com/exicon/auth0-rules rules/link_to_datomic.js @ 3156c2b2f3dac899520c524c25a3915da571bda8   (repo: the company's rules/ folder)
 * Registers the user with the company's API (backed by Datomic): mints a one-hour HS256 token for
 * the API with the client secret (base64-decoded) and POSTs to configuration.REGISTER_URL without
 * waiting for the answer. Quirks kept: uses Auth0's legacy globals `jwt` and `request` without any
 * require; the old jsonwebtoken option expiresInMinutes; `new Buffer`; fire-and-forget POST with no
 * body and no callback; unverified non-SAML users are skipped silently.
 */
function (user, context, callback) {
  if (context.connectionStrategy !== 'samlp' && !user.email_verified) {
    return callback(null, user, context);
  }

  var token = jwt.sign({ email: user.email }, new Buffer(configuration.CLIENT_SECRET, 'base64'), {
    subject: user.user_id,
    expiresInMinutes: 60,
    audience: configuration.CLIENT_ID,
    issuer: 'https://exiconglobal.auth0.com',
  });

  request.post({ url: configuration.REGISTER_URL, headers: { Authorization: 'Bearer ' + token } });
  callback(null, user, context);
}
