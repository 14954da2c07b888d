/**
 * Audit trail: every login is reported to the SIEM's webhook as a form post (querystring) with an
 * HMAC signature header, so the SIEM can tell our events from forged ones. Auditing must not lock
 * users out: failures are logged and the login goes on.
 *   configuration.AUDIT_WEBHOOK_URL, configuration.AUDIT_SECRET
 */
function auditLoginWebhook(user, context, callback) {
  var request = require('request');
  var querystring = require('querystring');
  var crypto = require('crypto');
  var event = querystring.stringify({
    event: 'login',
    user_id: user.user_id,
    client_id: context.clientID,
    ip: context.request.ip,
    connection: context.connection,
  });
  var signature = crypto.createHmac('sha256', configuration.AUDIT_SECRET).update(event).digest('hex');
  request({
    method: 'POST',
    url: configuration.AUDIT_WEBHOOK_URL,
    body: event,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-signature': 'sha256=' + signature },
  }, function (err, response) {
    if (err) {
      console.error('audit webhook failed: ' + err.code);
    } else if (response.statusCode >= 300) {
      console.error('audit webhook answered ' + response.statusCode);
    }
    callback(null, user, context);
  });
}
