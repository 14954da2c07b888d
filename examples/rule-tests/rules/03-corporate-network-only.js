/**
 * Clients marked `corp_network_only` in their metadata may only be used from the corporate
 * networks listed (as CIDRs) in configuration.CORP_NETWORKS.
 */
function corporateNetworkOnly(user, context, callback) {
  if (context.clientMetadata.corp_network_only !== 'true') return callback(null, user, context);
  const ipaddr = require('ipaddr.js');
  const networks = (configuration.CORP_NETWORKS || '').split(',').filter(Boolean);
  let address;
  try {
    address = ipaddr.process(context.request.ip);
  } catch (e) {
    return callback(new UnauthorizedError('Access from an unknown address is not allowed.'));
  }
  const inside = networks.some(function (cidr) {
    const range = ipaddr.parseCIDR(cidr.trim());
    return address.kind() === range[0].kind() && address.match(range);
  });
  if (!inside) {
    return callback(new UnauthorizedError(context.clientName + ' is only available on the corporate network.'));
  }
  callback(null, user, context);
}
