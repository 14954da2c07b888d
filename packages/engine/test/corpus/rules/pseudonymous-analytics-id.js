/**
 * Hashing an identifier: the analytics pipeline must never see the user id or email, only a stable
 * pseudonym. HMAC-SHA256 of the user id with a secret salt, and a SHA-256 of the normalized email
 * (base64) for joining newsletter data.
 *   configuration.ANALYTICS_SALT
 */
function pseudonymousAnalyticsId(user, context, callback) {
  var crypto = require('crypto');
  if (!configuration.ANALYTICS_SALT) {
    return callback(new Error('ANALYTICS_SALT is not configured'));
  }
  var pseudonym = crypto.createHmac('sha256', configuration.ANALYTICS_SALT).update(user.user_id).digest('hex');
  context.accessToken[configuration.CLAIM_NAMESPACE + 'analytics_id'] = pseudonym;
  if (user.email) {
    var normalized = user.email.trim().toLowerCase();
    context.idToken[configuration.CLAIM_NAMESPACE + 'email_sha256'] = crypto.createHash('sha256').update(normalized, 'utf8').digest('base64');
  }
  callback(null, user, context);
}
