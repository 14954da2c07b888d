/** Accounts suspended by support (app_metadata.suspended) are refused with the reason on file. */
function blockSuspendedAccounts(user, context, callback) {
  const suspension = user.app_metadata && user.app_metadata.suspended;
  if (suspension) {
    return callback(new Error('Account suspended: ' + (suspension.reason || 'contact support')));
  }
  callback(null, user, context);
}
