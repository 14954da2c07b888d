/**
 * Signed link for the help desk: the support portal logs users in from a URL carrying their email,
 * name, a timestamp and an HMAC of those (its "remote authentication"). Built with URL and
 * URLSearchParams, signed with configuration.SUPPORT_SHARED_SECRET, valid for five minutes.
 *   configuration.SUPPORT_PORTAL_URL
 */
function supportPortalSsoLink(user, context, callback) {
  var crypto = require('crypto');
  var link = new URL('/access/remote', configuration.SUPPORT_PORTAL_URL);
  var timestamp = Math.floor(Date.now() / 1000);
  link.searchParams.set('email', user.email);
  link.searchParams.set('name', user.name || user.email);
  link.searchParams.set('timestamp', String(timestamp));
  link.searchParams.set('expires', String(timestamp + 300));
  var payload = link.searchParams.toString();
  var mac = crypto.createHmac('sha256', Buffer.from(configuration.SUPPORT_SHARED_SECRET, 'base64')).update(payload).digest('hex');
  link.searchParams.set('hash', mac);
  context.idToken[configuration.CLAIM_NAMESPACE + 'support_url'] = link.href;
  callback(null, user, context);
}
