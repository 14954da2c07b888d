/** A unique id and the time of this login, for the audit trail of the APIs. */
function loginId(user, context, callback) {
  const crypto = require('crypto');
  context.accessToken['https://acme.example/login_id'] = crypto.randomUUID();
  context.accessToken['https://acme.example/login_at'] = new Date().toISOString();
  callback(null, user, context);
}
