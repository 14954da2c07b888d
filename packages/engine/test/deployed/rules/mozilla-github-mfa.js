/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/github_mfa.js @ 3415e08313594db3bbcbb1c2caf57aafa3381b8d   (repo: rules/ folder uploaded by the repository's CI uploader)
 * GitHub logins must have two-factor enabled on the GitHub account; otherwise the user is sent to
 * the forbidden page. Quirks kept: the deny path sets context.redirect and calls back with a null
 * user (not an error).
 */
function (user, context, callback) {
  if (context.connection === 'github' && !user.two_factor_authentication) {
    console.log('GitHub user not allowed to log in because 2FA was disabled on the account: ' + user.user_id);
    context.redirect = { url: 'https://sso.mozilla.com/forbidden?reason=githubmfa' };
    return callback(null, null, context);
  }
  return callback(null, user, context);
}
