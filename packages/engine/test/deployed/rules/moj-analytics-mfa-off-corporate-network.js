/**
 * Origin: github.com/ministryofjustice/analytics-platform-auth0 rules/Multifactor-Google-Authenticator-Do-Not-Rename.js @ 4b69fbc1ca6030b285a08b921bb1d1876481a861   (tenant repo, branch alpha: rules/ deployed to the tenant by analytics-platform-ops' automation)
 * Google Authenticator MFA for GitHub and Google logins to the Analytical Platform, skipped on the
 * MoJ corporate network (range_check.inRange over a CIDR list), for refresh-token grants and for
 * users whose app_metadata.use_mfa is false; remembering the browser is turned off.
 * Quirks kept: the connection is read from identities[0], not context.connection; an IPv6 address
 * that range_check cannot handle is logged and falls back to MFA.
 */
function (user, context, callback) {
  var rangeCheck = require('range_check');
  var ISSUER = 'MOJ Analytical Platform (Alpha)';
  var connection = user.identities[0].connection;
  var MFA_CONNECTIONS = ['github', 'google-oauth2'];
  var OFFICE_CIDRS = [
    '157.203.176.138/31',
    '157.203.176.140/32',
    '157.203.177.190/31',
    '157.203.177.192/32',
    '212.137.36.224/32',
    '62.25.109.192/32',
    '195.92.38.16/28',
    '81.134.202.29/32',
    '195.59.75.0/24',
    '194.33.192.0/25',
    '194.33.193.0/25',
    '194.33.196.0/25',
    '194.33.197.0/25',
    '51.149.2.8/32',
  ];

  var optedOut = user.app_metadata && user.app_metadata.use_mfa === false;
  var notCovered = MFA_CONNECTIONS.indexOf(connection) === -1;
  var refreshing = context.protocol === 'oauth2-refresh-token';
  if (optedOut || notCovered || refreshing) {
    return callback(null, user, context);
  }

  var inOffice = false;
  try {
    inOffice = rangeCheck.inRange(context.request.ip, OFFICE_CIDRS);
  } catch (error) {
    console.log('Connection from IPv6 address. Fall back to MFA.');
    console.log(error);
  }
  if (!inOffice) {
    context.multifactor = { provider: 'google-authenticator', issuer: ISSUER, allowRememberBrowser: false };
  }
  return callback(null, user, context);
}
