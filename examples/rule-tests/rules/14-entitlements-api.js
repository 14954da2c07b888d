/**
 * Read the user's entitlements from the billing API. Its machine-to-machine token is fetched once
 * and cached in `global` until shortly before it expires.
 */
function entitlementsApi(user, context, callback) {
  const request = require('request');

  function withToken(done) {
    const cached = global.billingToken;
    if (cached && cached.expiresAt > Date.now() + 60000) return done(null, cached.value);
    request.post({
      url: configuration.BILLING_TOKEN_URL,
      form: { grant_type: 'client_credentials', client_id: configuration.BILLING_CLIENT_ID, client_secret: configuration.BILLING_CLIENT_SECRET },
      json: true,
    }, function (err, response, body) {
      if (err || response.statusCode !== 200) return done(err || new Error('token endpoint answered ' + response.statusCode));
      global.billingToken = { value: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
      done(null, body.access_token);
    });
  }

  withToken(function (err, token) {
    if (err) return callback(err);
    request.get({
      url: configuration.BILLING_API_URL + '/entitlements/' + encodeURIComponent(user.user_id),
      headers: { authorization: 'Bearer ' + token },
      json: true,
    }, function (err2, response, body) {
      if (err2 || response.statusCode !== 200) return callback(err2 || new Error('billing API answered ' + response.statusCode));
      context.accessToken['https://acme.example/entitlements'] = body.entitlements;
      callback(null, user, context);
    });
  });
}
