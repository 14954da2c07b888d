/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/restricted-users.js @ d8fe5dd70554f6cad779c1f14d88e40a842e1d6f   (tenant repo: rules/ uploaded to the tenant by the repository's CI)
 * Users listed in configuration.restricted_users (comma-separated) are cut down to the
 * IntranetWiki group (app_metadata, user.groups, ldap_groups and a namespaced ID token claim),
 * flagged restricted in user_metadata, and only let into a short list of relying parties.
 * Quirks kept: both metadata writes are fire-and-forget (not awaited, no catch); the refusal
 * calls global.postError, a helper another rule of the tenant defines (absent here: a TypeError).
 * (The original lists 16 relying parties; five are kept.)
 */
function restrictUsers(user, context, callback) {
  const CLAIM_NS = 'https://sso.mozilla.com/claim/'
  if (configuration.restricted_users === undefined) {
    return callback(null, user, context)
  }
  const restricted = configuration.restricted_users.split(',')
  const allowedWhileRestricted = [
    'FeqjZfpOqMIkcGKkd2fDjpnm5oSsOOZ2', // dev test RP
    'smKTjsVVxUJDEkjIftOsP0bop2NWjysa', // Google / GSuite
    'Hypn042D0cqtqET33nRrnqOwAcIXOqx6', // Workday
    'WXVdgVoCca11OtpGlK8Ir3pR9CBAlSA5', // Slack
    'TnqNECyCfoQYd1X7c4xwMF4PMsEfyWPj', // Zoom
  ]

  if (restricted.includes(user.email)) {
    console.log(`User is restricted, wiping group data for ${user.user_id}`)
    const onlyGroups = ['IntranetWiki']
    user.app_metadata = user.app_metadata || {}
    user.app_metadata.groups = onlyGroups
    user.groups = onlyGroups
    user.ldap_groups = onlyGroups
    context.idToken[`${CLAIM_NS}groups`] = onlyGroups
    auth0.users.updateAppMetadata(user.user_id, user.app_metadata)

    user.user_metadata = user.user_metadata || {}
    user.user_metadata.restricted_user = true
    auth0.users.updateUserMetadata(user.user_id, user.user_metadata)

    if (!allowedWhileRestricted.includes(context.clientID)) {
      console.log(`Disallowed user ${user.user_id} access to ${context.clientID}, ${context.clientName} because it is in restricted mode`)
      return callback(null, user, global.postError('notingroup', context))
    }
    console.log(`Restricted user ${user.user_id} was allowed to access ${context.clientID}, ${context.clientName}`)
  }
  return callback(null, user, context)
}
