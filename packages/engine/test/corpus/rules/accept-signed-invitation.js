/**
 * Verifying a JWT and persisting the outcome: users invited to an organization carry the signed
 * invitation (HS256, configuration.INVITATION_SECRET) in app_metadata.invitation until their first
 * login. A valid invitation for this application moves them into the organization (saved to
 * app_metadata, invitation removed); an expired or forged one refuses the login.
 */
function acceptSignedInvitation(user, context, callback) {
  var jwt = require('jsonwebtoken');
  var appMetadata = user.app_metadata || {};
  if (!appMetadata.invitation) {
    if (appMetadata.organization) context.idToken[configuration.CLAIM_NAMESPACE + 'organization'] = appMetadata.organization;
    return callback(null, user, context);
  }
  jwt.verify(appMetadata.invitation, configuration.INVITATION_SECRET, { algorithms: ['HS256'], audience: context.clientID }, function (err, invitation) {
    if (err) {
      var message = err.name === 'TokenExpiredError' ? 'Your invitation has expired. Ask for a new one.' : 'Your invitation is not valid.';
      return callback(new UnauthorizedError(message));
    }
    if (invitation.email !== user.email) {
      return callback(new UnauthorizedError('This invitation was sent to another email address.'));
    }
    var updated = { organization: invitation.org, org_role: invitation.role, invited_by: invitation.sub, invitation: null };
    auth0.users.updateAppMetadata(user.user_id, updated).then(function () {
      user.app_metadata = updated;
      context.idToken[configuration.CLAIM_NAMESPACE + 'organization'] = invitation.org;
      context.accessToken[configuration.CLAIM_NAMESPACE + 'org_role'] = invitation.role;
      callback(null, user, context);
    }, callback);
  });
}
