/**
 * Look the customer up in the CRM and put their tier in the tokens. The CRM being down must not
 * lock people out: log it and go on without the tier.
 */
function enrichFromCrm(user, context, callback) {
  const request = require('request');
  request.get({
    url: configuration.CRM_URL + '/customers?email=' + encodeURIComponent(user.email),
    headers: { authorization: 'Bearer ' + configuration.CRM_TOKEN },
    json: true,
    timeout: 3000,
  }, function (err, response, body) {
    if (err || response.statusCode !== 200) {
      console.warn('CRM lookup failed for ' + user.user_id + ': ' + (err ? err.message : 'HTTP ' + response.statusCode));
      return callback(null, user, context);
    }
    context.idToken['https://acme.example/customer_tier'] = body.tier;
    context.accessToken['https://acme.example/customer_tier'] = body.tier;
    callback(null, user, context);
  });
}
