/** Logins through an organization carry its id and name; members only. */
function organizationClaims(user, context, callback) {
  if (!context.organization) return callback(null, user, context);
  const memberOf = (user.app_metadata && user.app_metadata.organizations) || [];
  if (memberOf.indexOf(context.organization.id) === -1) {
    return callback(new UnauthorizedError('You are not a member of ' + context.organization.display_name + '.'));
  }
  context.accessToken['https://acme.example/org_id'] = context.organization.id;
  context.idToken['https://acme.example/org_name'] = context.organization.name;
  callback(null, user, context);
}
