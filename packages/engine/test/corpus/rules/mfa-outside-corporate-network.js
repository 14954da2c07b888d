/**
 * MFA by IP range: logins from outside the corporate networks (configuration.CORPORATE_CIDRS)
 * need a second factor; inside them the password is enough.
 */
function mfaOutsideCorporateNetwork(user, context, callback) {
  var ipaddr = require('ipaddr.js');
  var ranges = (configuration.CORPORATE_CIDRS || '').split(',').map(function (s) { return ipaddr.parseCIDR(s.trim()); });
  var inside = false;
  if (ipaddr.isValid(context.request.ip)) {
    var address = ipaddr.process(context.request.ip);
    inside = ranges.some(function (range) { return address.kind() === range[0].kind() && address.match(range); });
  }
  if (!inside) {
    context.multifactor = { provider: 'any', allowRememberBrowser: false };
  }
  callback(null, user, context);
}
