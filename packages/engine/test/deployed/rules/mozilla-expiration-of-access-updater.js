/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/ExpirationOfAccess-Updater.js @ 70210721931fed33a4eb6baeb200c45779168bb5   (tenant repo: rules/ uploaded to the tenant by the repository's CI)
 * Records when a user last used each application that grants an "authoritative group": the entry
 * whose uuid is the client id gets lastUsed = now, and app_metadata is saved.
 * Quirks kept: lastUsed is a Date object handed to updateAppMetadata; the save is not awaited
 * (only a catch that logs); the "Updated" log line is written even when nothing changed.
 */
function (user, context, callback) {
  user.app_metadata = user.app_metadata || {};
  const groups = user.app_metadata.authoritativeGroups;
  if (groups === undefined) {
    return callback(null, user, context);
  }
  let touched = false;
  for (let i = 0; i < groups.length; i++) {
    if (groups[i].uuid === context.clientID) {
      groups[i].lastUsed = new Date();
      touched = true;
      break;
    }
  }
  if (touched === true) {
    auth0.users.updateAppMetadata(user.user_id, user.app_metadata).catch(function (err) {
      console.log('ExpirationOfAccess: Error updating app_metadata (AuthoritativeGroups) for user ' + user.user_id + ': ' + err);
    });
  }
  console.log('ExpirationOfAccess: Updated lastUsed for ' + user.user_id);
  return callback(null, user, context);
}
