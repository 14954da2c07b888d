/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/mana-access.js @ eb0d3b9dbfb7a9911dd153c08a9fe71efe1b5c8d   (tenant repo: rules/ uploaded to the tenant by the repository's CI)
 * Mana (the intranet wiki, dev and prod client ids) is only for members of IntranetWiki or
 * GuestWiki; anyone else is redirected to the SSO "forbidden" page instead of getting an error the
 * relying party could not show.
 * Quirks kept: the refusal calls back with a null user and the redirect; a user without
 * top-level groups is refused; the early "no user" guard passes a null user on.
 */
function (user, context, callback) {
  if (!user) {
    return callback(null, null, context);
  }
  var MANA = ['LVjFyOpHUdAJTLkTmDnUADnQmUKOWXO2', 'IuWFSguzDAqbTT4qdtmABNdCVayuCWy5'];
  var GROUPS = ['IntranetWiki', 'GuestWiki'];
  if (MANA.indexOf(context.clientID) < 0) {
    return callback(null, user, context);
  }
  var member = GROUPS.some(function (group) {
    return !!user.groups && user.groups.indexOf(group) >= 0;
  });
  if (member) {
    return callback(null, user, context);
  }
  context.redirect = { url: 'https://sso.mozilla.com/forbidden' };
  return callback(null, null, context);
}
