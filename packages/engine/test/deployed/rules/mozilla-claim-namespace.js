/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/claim-namespace.js @ 982d5471145840ea1f604ff4e7054309b9a902c1   (repo: rules/ folder uploaded by the repository's CI uploader)
 * Re-exposes the profile attributes Auth0 used to put in ID tokens before OIDC-conformant mode
 * (groups, emails, dn, organizationUnits, email_aliases, _HRData) under the
 * https://sso.mozilla.com/claim/ namespace. Quirks kept: a null user passes through as null;
 * attributes the user lacks become undefined claims; the client whitelist holds only ''; each claim
 * is set in a try/catch inside forEach.
 */
function (user, context, callback) {
  if (!user) return callback(null, null, context);

  var ns = 'https://sso.mozilla.com/claim/';
  var skip = [''];
  var legacy = ['groups', 'emails', 'dn', 'organizationUnits', 'email_aliases', '_HRData'];

  legacy.forEach(function (name) {
    try {
      if (skip.indexOf(context.clientID) < 0) context.idToken[ns + name] = user[name];
    } catch (e) {
      console.log('Undefined claim (non-fatal): ' + e);
    }
  });
  callback(null, user, context);
}
