/**
 * Origin: github.com/andregs/representativo rules/signup-on-arangodb.js @ 08424005cdfcd8fe9c51eeec7c9cbcb287c21de7   (repo: the app's rules/ folder, each rule with its .json settings for deployment)
 * On logins through the app's own database connection, creates the user in the app's ArangoDB via
 * its API (request-promise, json, bearer = the token an earlier rule put in user.idToken), merges
 * the API's answer into the profile, persists app_metadata and, without waiting, sends the same
 * signup to the dev server. Quirks kept: the bearer token is removed from the profile after the
 * options are built; the answer is Object.assign'ed over the user; app_metadata.signedUp is set to
 * false (not true); failures call back with a plain string error; the dev request reuses the same
 * options object and runs in the background.
 */
function signupOnArango(user, context, callback) {
  user.app_metadata = user.app_metadata || {};
  if (context.connection !== 'RE-Users') {
    console.log('ignoring rule for user', user.user_id, 'connection', context.connection);
    return callback(null, user, context);
  }

  var rp = require('request-promise');

  var options = {
    method: 'POST',
    uri: configuration.APP_URL + '/api/user/signup',
    headers: { Authorization: 'Bearer ' + user.idToken },
    body: {
      _key: user.username,
      auth0Id: user.user_id,
      email: user.email,
      name: user.name,
      emailVerified: user.email_verified,
      picture: user.picture,
      nickname: user.nickname,
      createdAt: user.created_at,
      updatedAt: user.updated_at,
    },
    json: true,
  };

  user.idToken = undefined;

  rp(options)
    .then(function (created) {
      user = Object.assign(user, created);
      user.app_metadata.signedUp = false;
      auth0.users
        .updateAppMetadata(user.user_id, user.app_metadata)
        .then(function () {
          callback(null, user, context);
        })
        .catch(function (err) {
          console.log('err updating metadata', err.message);
          callback('Erro interno do servidor');
        });
    })
    .catch(function (res) {
      console.log('err on request', res.message, res.error);
      callback('Erro interno do servidor');
    });

  options.uri = configuration.DEV_URL + '/api/user/signup';
  rp(options).catch(function (res) {
    console.log('err on dev request', res.message);
  });
}
