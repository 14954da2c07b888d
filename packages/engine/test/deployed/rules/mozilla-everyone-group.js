/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/Everyone-is-in-the-everyone-group.js @ 0ebaec925de79e6297137a93280c81cac7ae5619   (repo: rules/ folder uploaded to the tenant by the repository's CI uploader)
 * Puts every user in the hard-coded 'everyone' group of the SSO dashboard's apps.yml and persists
 * app_metadata on every login. Quirks kept: pushes through Array.prototype.push.apply; writes
 * app_metadata even when nothing changed; user.groups defaulted but never filled.
 */
function everyoneIsInTheEveryoneGroup(user, context, callback) {
  user.app_metadata = user.app_metadata || {};
  user.app_metadata.groups = user.app_metadata.groups || [];
  user.groups = user.groups || [];

  if (user.app_metadata.groups.indexOf('everyone') === -1) {
    Array.prototype.push.apply(user.app_metadata.groups, ['everyone']);
  }

  auth0.users
    .updateAppMetadata(user.user_id, user.app_metadata)
    .then(function () {
      callback(null, user, context);
    })
    .catch(function (err) {
      console.log(err);
      callback(err);
    });
}
