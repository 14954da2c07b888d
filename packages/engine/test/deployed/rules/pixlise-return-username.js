/**
 * Origin: github.com/pixlise/pixlise-ui auth0/rule-return-username.js @ 3c9bdfabebeb007e13b0e0f0352a5685086d9091   (repo: the app's auth0/ folder, pasted into the tenant)
 * Puts the user's name and email into the access token for the PIXLISE API. Quirks kept: computes
 * the requested scopes without ':' and never uses them (a request without any scope makes
 * `.split` throw); one claim is not namespaced (custom_email); the repository's namespace
 * placeholder is filled with the app's origin.
 */
function (user, context, callback) {
  var requested = context.request.body.scope || context.request.query.scope;
  var plain = requested.split(' ').filter(function (s) {
    return s.indexOf(':') < 0;
  });

  context.accessToken['https://pixlise.org/username'] = user.name;
  context.accessToken.custom_email = user.email;
  context.accessToken['https://pixlise.org/email'] = user.email;

  callback(null, user, context);
}
