/**
 * Origin: github.com/zmarkan/chatkit-sample-auth0-rules chatkit_add_user_to_room.js @ 2fb275adaa6816231820fe562571497883038fef   (repo: the chat app's rules, pasted into the tenant)
 * On a user's first login, adds them (by email) to the app's Pusher Chatkit room: signs a
 * one-minute super-user JWT (jsonwebtoken, HS256) from the key in configuration.chatkitSecret
 * ('<key id>:<key secret>') and PUTs to the Chatkit API with request's json option. Quirks kept:
 * the instance id is the third ':' field of the locator; a transport error calls back and then falls
 * through to read response.statusCode (a second callback attempt / TypeError); an HTTP error answer
 * is only logged; the token is logged.
 */
function (user, context, callback) {
  if (context.stats.loginsCount > 1 || context.protocol === 'oauth2-refresh-token') {
    console.log('Ignoring the user creation step');
    return callback(null, user, context);
  }

  const instanceId = configuration.chatkitInstanceLocator.split(':')[2];
  const [keyId, keySecret] = configuration.chatkitSecret.split(':');
  const endpoint = `https://us1.pusherplatform.io/services/chatkit/v2/${instanceId}/rooms/${configuration.chatkitRoomId}/users/add`;

  const request = require('request');
  const jwt = require('jsonwebtoken');

  const now = Math.floor(Date.now() / 1000);
  const token = jwt.sign({ instance: instanceId, iss: `api_keys/${keyId}`, iat: now, exp: now + 60, su: true }, keySecret);
  console.log(token);

  request.put(
    {
      uri: endpoint,
      json: true,
      body: { user_ids: [user.email] },
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${token}` },
    },
    (error, response, body) => {
      if (error) {
        callback(error, user, context);
      }
      console.log(response.statusCode);
      console.log(response.body);
      callback(null, user, context);
    },
  );
}
