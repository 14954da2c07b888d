/**
 * Put the user's department in the access token. Written the way many real rules are: it assumes
 * every user has `app_metadata.department`, so a user without one makes it throw (a TypeError).
 * The client then gets 403 access_denied with a generic description; the message goes to the
 * host's log hook only.
 */
function addDepartment(user, context, callback) {
  const department = user.app_metadata.department.toLowerCase();
  context.accessToken['https://tokenrules.example/department'] = department;
  callback(null, user, context);
}
