/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/temporary-hris-connector.js @ 1465b33abcddbcc460b69c610fa4ed306ef480f5   (tenant repo: rules/ uploaded to the tenant by the repository's CI)
 * For LDAP logins to mozillians.org: a staff member (Workday _HRData with a cost centre) missing
 * the hris_is_staff group gets it added back, in app_metadata.groups and in user.groups.
 * Quirks kept: groups are appended with Array.prototype.push.apply; user.groups is not guarded,
 * so a profile without top-level groups throws; app_metadata is changed but never saved.
 */
function (user, context, callback) {
  var MOZILLIANS_CLIENTS = [
    'T2tB7Ss8It7PKrw3ijazoXu9PgZniLPD', // mozillians staging (dev tenant)
    'FQw134gwheaK3KkW6fQf0JPV6P7h2yo1', // mozillians staging (prod tenant)
    'HdfEiM1SZibaQnOYTxLoMdxSh4a6ZKD3', // mozillians.org
  ];
  var LDAP_CONNECTIONS = ['Mozilla-LDAP', 'Mozilla-LDAP-Dev'];

  if (LDAP_CONNECTIONS.indexOf(context.connection) < 0) {
    return callback(null, user, context);
  }
  if (MOZILLIANS_CLIENTS.indexOf(context.clientID) >= 0) {
    user.app_metadata = user.app_metadata || {};
    user.app_metadata.groups = user.app_metadata.groups || [];
    var hasGroup = user.app_metadata.groups.indexOf('hris_is_staff') >= 0;
    var isStaff = user._HRData !== undefined && user._HRData.cost_center !== undefined;
    if (!hasGroup && isStaff) {
      Array.prototype.push.apply(user.app_metadata.groups, ['hris_is_staff']);
      Array.prototype.push.apply(user.groups, ['hris_is_staff']);
      console.log('Re-integrated hris_is_staff group for ' + user.user_id);
    }
  }
  callback(null, user, context);
}
