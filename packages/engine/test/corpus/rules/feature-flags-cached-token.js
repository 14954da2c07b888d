/**
 * Caching a fetched token in `global`: the feature-flag API wants an access token from our own
 * token endpoint (client credentials). Fetching one per login would be slow and hit rate limits,
 * so it is kept in `global` until shortly before it expires. `global` may be reset at any time,
 * so the rule always checks it. Flags are not essential: without them the login goes on, but a
 * token endpoint that refuses our credentials is a configuration error and stops logins.
 *   configuration.TOKEN_URL, configuration.FLAGS_CLIENT_ID, configuration.FLAGS_CLIENT_SECRET,
 *   configuration.FLAGS_AUDIENCE, configuration.FLAGS_URL
 */
function featureFlagsCachedToken(user, context, callback) {
  var request = require('request');

  function getToken(done) {
    var cached = global.flagsToken;
    if (cached && cached.expiresAt - 30000 > Date.now()) {
      return done(null, cached.value);
    }
    request.post({
      url: configuration.TOKEN_URL,
      form: {
        grant_type: 'client_credentials',
        client_id: configuration.FLAGS_CLIENT_ID,
        client_secret: configuration.FLAGS_CLIENT_SECRET,
        audience: configuration.FLAGS_AUDIENCE,
      },
      json: true,
    }, function (err, response, body) {
      if (err) return done(err);
      if (response.statusCode !== 200) {
        var refused = new Error('token endpoint answered ' + response.statusCode + ' ' + (body && body.error));
        refused.fatal = response.statusCode === 401 || response.statusCode === 403;
        return done(refused);
      }
      global.flagsToken = { value: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
      done(null, body.access_token);
    });
  }

  getToken(function (err, token) {
    if (err) {
      if (err.fatal) return callback(new Error('Feature flags are misconfigured.'));
      console.warn('no token for feature flags: ' + err.message);
      return callback(null, user, context);
    }
    request({
      url: configuration.FLAGS_URL + '/flags/' + encodeURIComponent(user.user_id),
      auth: { bearer: token },
      json: true,
    }, function (err, response, flags) {
      if (err || response.statusCode !== 200) {
        if (response && response.statusCode === 401) delete global.flagsToken;
        console.warn('feature flags unavailable');
        return callback(null, user, context);
      }
      context.accessToken[configuration.CLAIM_NAMESPACE + 'flags'] = flags.enabled;
      callback(null, user, context);
    });
  });
}
