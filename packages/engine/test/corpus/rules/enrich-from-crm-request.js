/**
 * Profile enrichment over HTTP, `request` callback style: look the customer up in the CRM by email
 * and put the customer id and support tier in the tokens. The CRM is the source of truth for what a
 * customer may do, so when it cannot answer the login is refused rather than issued without a tier.
 *   configuration.CRM_URL, configuration.CRM_TOKEN
 */
function enrichFromCrm(user, context, callback) {
  var request = require('request');
  var namespace = configuration.CLAIM_NAMESPACE;

  request.get({
    url: configuration.CRM_URL + '/customers',
    qs: { email: user.email },
    auth: { bearer: configuration.CRM_TOKEN },
    json: true,
  }, function (err, response, body) {
    if (err) {
      console.error('CRM lookup failed: ' + err.code + ' ' + err.message);
      return callback(new Error('We could not load your customer profile. Please try again.'));
    }
    if (response.statusCode === 404) {
      // Not a customer (yet): a login without customer claims.
      context.idToken[namespace + 'customer'] = false;
      return callback(null, user, context);
    }
    if (response.statusCode !== 200) {
      console.error('CRM lookup answered ' + response.statusCode);
      return callback(new Error('We could not load your customer profile. Please try again.'));
    }
    context.idToken[namespace + 'customer'] = true;
    context.idToken[namespace + 'customer_id'] = body.id;
    context.accessToken[namespace + 'support_tier'] = body.tier;
    user.user_metadata = user.user_metadata || {};
    user.user_metadata.company = body.company;
    callback(null, user, context);
  });
}
