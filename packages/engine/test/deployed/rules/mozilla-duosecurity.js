/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/duosecurity.js @ 0e6cf7ddd28c91a57fac48a1243ffdda2cb07b6f   (repo: rules/ folder uploaded by the repository's CI uploader)
 * Every LDAP ('ad' strategy) login must pass Duo: sets context.multifactor with the Duo keys from
 * configuration and the user's email as Duo username. Quirks kept: ignoreCookie false written out,
 * no allowRememberBrowser given.
 */
function (user, context, callback) {
  if (context.connectionStrategy === 'ad') {
    context.multifactor = {
      provider: 'duo',
      ikey: configuration.duo_ikey_mozilla,
      skey: configuration.duo_skey_mozilla,
      host: configuration.duo_apihost_mozilla,
      ignoreCookie: false,
      username: user.email,
    };
  }
  callback(null, user, context);
}
