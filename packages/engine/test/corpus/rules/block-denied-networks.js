/**
 * IP deny list with CIDR ranges: logins from networks the security team blocked
 * (configuration.DENIED_CIDRS, comma-separated, IPv4 and IPv6) are refused for every application.
 * The block is logged so that the security team sees it.
 */
function blockDeniedNetworks(user, context, callback) {
  var ipaddr = require('ipaddr.js');
  var ip = context.request && context.request.ip;
  if (!ip || !ipaddr.isValid(ip)) {
    return callback(new UnauthorizedError('Access denied.'));
  }
  var address = ipaddr.process(ip);
  var denied = (configuration.DENIED_CIDRS || '').split(',').map(function (s) { return s.trim(); }).filter(Boolean);
  for (var i = 0; i < denied.length; i++) {
    var range = ipaddr.parseCIDR(denied[i]);
    if (address.kind() === range[0].kind() && address.match(range)) {
      console.warn('blocked login of ' + user.user_id + ' from ' + ip + ' (' + denied[i] + ')');
      return callback(new UnauthorizedError('Access denied.'));
    }
  }
  callback(null, user, context);
}
