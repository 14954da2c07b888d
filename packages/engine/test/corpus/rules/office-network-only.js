/**
 * IP allow list with CIDR ranges: internal applications (configuration.INTERNAL_CLIENT_IDS,
 * comma-separated) may only be used from the office networks in configuration.OFFICE_CIDRS
 * (comma-separated, IPv4 or IPv6). IPv4 addresses mapped into IPv6 (::ffff:a.b.c.d) count as IPv4.
 */
function officeNetworkOnly(user, context, callback) {
  var ipaddr = require('ipaddr.js');
  var internalClients = (configuration.INTERNAL_CLIENT_IDS || '').split(',').map(function (s) { return s.trim(); });
  if (internalClients.indexOf(context.clientID) === -1) {
    return callback(null, user, context);
  }

  var address;
  try {
    address = ipaddr.process(context.request.ip);
  } catch (e) {
    return callback(new UnauthorizedError('Access from an unknown network is not allowed.'));
  }

  var ranges = (configuration.OFFICE_CIDRS || '').split(',').map(function (s) { return s.trim(); }).filter(Boolean);
  var inOffice = ranges.some(function (cidr) {
    var range = ipaddr.parseCIDR(cidr);
    return address.kind() === range[0].kind() && address.match(range);
  });

  if (!inOffice) {
    return callback(new UnauthorizedError('This application can only be used from the office network.'));
  }
  context.idToken[configuration.CLAIM_NAMESPACE + 'network'] = 'office';
  callback(null, user, context);
}
