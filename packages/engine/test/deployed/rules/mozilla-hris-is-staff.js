/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/HRIS-is-staff.js @ 0eb0f6975b5fd82a027bf75b2aecefde9f8d7970   (repo: rules/ folder uploaded by the repository's CI uploader)
 * For LDAP ('ad') logins to mozillians.org and the SSO dashboard, adds the hris_is_staff group when
 * Workday data (_HRData.cost_center) says the user is staff. Quirks kept: only mutates user.groups and
 * user.app_metadata.groups in memory (nothing persisted); other clients and connections pass untouched.
 */
function HRISIsStaff(user, context, callback) {
  var staffClients = [
    'T2tB7Ss8It7PKrw3ijazoXu9PgZniLPD',
    'FQw134gwheaK3KkW6fQf0JPV6P7h2yo1',
    'HdfEiM1SZibaQnOYTxLoMdxSh4a6ZKD3',
    'mc1l0G4sJI2eQfdWxqgVNcRAD9EAgHib',
    'aDL5o9SZRaYTH5zzkGntT4l76qydMbZe',
    'UCOY390lYDxgj5rU8EeXRtN6EP005k7V',
  ];

  if (context.connectionStrategy !== 'ad' || !staffClients.includes(context.clientID)) {
    return callback(null, user, context);
  }

  const staff = user._HRData !== undefined && user._HRData.cost_center !== undefined;

  user.app_metadata = user.app_metadata || {};
  user.app_metadata.groups = user.app_metadata.groups || [];
  user.groups = user.groups || [];

  if (staff) {
    if (!user.app_metadata.groups.includes('hris_is_staff')) user.app_metadata.groups.push('hris_is_staff');
    if (!user.groups.includes('hris_is_staff')) user.groups.push('hris_is_staff');
    console.log(`Re-integrated hris_is_staff group for ${user.user_id}`);
  }

  return callback(null, user, context);
}
