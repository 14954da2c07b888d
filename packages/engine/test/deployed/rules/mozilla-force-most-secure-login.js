/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/force-users-login-most-secure-method.js @ 0617cde4c38b1578cf21726dcebe0ea4c57d9d62   (repo: rules/ folder uploaded by the repository's CI uploader)
 * Makes users log in with their most secure account: unverified emails are sent to the forbidden
 * page; LDAP and staff Google logins pass; otherwise the Management API (request@2.56.0 to
 * auth0.baseUrl/users with auth0.accessToken, search_engine v2, q=email:"…") lists the accounts with
 * that email and, if one has a better-ranked provider (ad < github < google-oauth2 < email), the
 * login is redirected with the connection to use. Quirks kept: uses Auth0's legacy global `async`
 * (async.each) without requiring it; a non-200 answer becomes an Error whose message is the body;
 * the redirect appends the raw redirect_uri unencoded; the whitelist check sits in a try/catch.
 */
function (user, context, callback) {
  var VERIFY_CLIENTS = ['HvN5D3R64YNNhvcHKuMKny1O0KJZOOwH'];
  var forbidden = 'https://sso.mozilla.com/forbidden?reason=';

  if (!user.email_verified) {
    context.redirect = { url: forbidden + encodeURIComponent('You primary email is not verified. Please contact EUS.') };
    console.log('Primary email not verified');
    return callback(null, user, context);
  }

  if (context.connectionStrategy === 'ad') {
    console.log('ad account passthru');
    return callback(null, user, context);
  }

  try {
    if (VERIFY_CLIENTS.indexOf(context.clientID) >= 0) {
      console.log('Whitelisted client ' + context.clientID + ', no login enforcement taking place');
      return callback(null, user, context);
    }
  } catch (e) {
    console.log('Client not found while checking force-user-to-login-with-most-secure-method whitelist (non-fatal): ' + e);
  }

  if (context.connectionStrategy === 'google-oauth2') {
    if (user.email.endsWith('mozilla.com') || user.email.endsWith('mozillafoundation.org')) {
      console.log('ad account via google-oauth2 passthru');
      return callback(null, user, context);
    }
  }

  var request = require('request@2.56.0');
  var rank = { ad: 0, github: 1, 'google-oauth2': 2, email: 3 };

  request(
    {
      url: auth0.baseUrl + '/users',
      headers: { Authorization: 'Bearer ' + auth0.accessToken },
      qs: { search_engine: 'v2', q: 'email:"' + user.email + '"' },
    },
    function (err, response, body) {
      if (err) return callback(err);
      if (response.statusCode !== 200) return callback(new Error(body));

      var accounts = JSON.parse(body);
      if (accounts.length === 0) return callback(null, user, context);

      var best = user;
      async.each(
        accounts,
        function (other, next) {
          if (other.user_id !== user.user_id) {
            var provider = other.identities[0].provider;
            if (rank[provider] < rank[best.identities[0].provider]) best = other;
            console.log(other.user_id + ' is of match order ' + rank[provider] + '. Selecting: ' + best.user_id);
          }
          next();
        },
        function (loopErr) {
          if (loopErr) {
            callback(loopErr, user, context);
          } else {
            console.log('User profile that may log in is: ' + best.user_id + ' initial login attempt was with: ' + user.user_id);
            if (user.user_id !== best.user_id) {
              var reason =
                'Sorry - you may not login with that user account. Please always use your ' +
                best.identities[0].connection +
                ' account instead.';
              context.redirect = { url: forbidden + encodeURIComponent(reason) + '&redirect_uri=' + context.request.query.redirect_uri };
            }
          }
          callback(null, user, context);
        },
      );
    },
  );
}
