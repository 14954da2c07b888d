/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/SAML-Convercent-Community.js @ 0ebaec925de79e6297137a93280c81cac7ae5619   (repo: rules/ folder uploaded by the repository's CI uploader)
 * For Convercent's community app, gives the user an alternative address with '+convercentcommunity'
 * before the '@' (lower-cased, an existing tag stripped first) and sends it as NameID and email.
 * Quirks kept: the local part and domain are lower-cased but the original address is not; a null
 * user passes through.
 */
function SAMLConvercentCommunity(user, context, callback) {
  if (!user) return callback(null, null, context);
  if (context.clientID !== 'j8FN0DB6RwrlfLhX4opVAZ2tDYbBiMMU') return callback(null, user, context);

  const tag = '+convercentcommunity';
  const parts = user.email.split('@');
  const domain = parts[parts.length - 1].toLowerCase();
  const local = parts[0].toLowerCase().split(tag)[0];
  user.alt_email = local + tag + '@' + domain;

  context.samlConfiguration = context.samlConfiguration || {};
  context.samlConfiguration.mappings = {
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': 'alt_email',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'alt_email',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/email': 'alt_email',
  };
  context.samlConfiguration.nameIdentifierFormat = 'urn:oasis:names:tc:SAML:2.0:nameid-format:email';
  callback(null, user, context);
}
