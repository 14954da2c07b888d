/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/SAML-gcp-gsuite.js @ 0ebaec925de79e6297137a93280c81cac7ae5619   (repo: rules/ folder uploaded by the repository's CI uploader)
 * For the GCP G Suite SAML app, maps staff addresses onto the gcp.infra.mozilla.com domain in a new
 * profile attribute (myemail) and sends it as NameID and email in the SAML assertion. Quirks kept:
 * chained String.replace calls replace only the first occurrence each; a null user passes through.
 */
function SAMLGcpSuite(user, context, callback) {
  if (!user) return callback(null, null, context);
  if (context.clientID !== 'uYFDijsgXulJ040Os6VJLRxf0GG30OmC') return callback(null, user, context);

  user.myemail = user.email
    .replace('mozilla.com', 'gcp.infra.mozilla.com')
    .replace('mozillafoundation.org', 'gcp.infra.mozilla.com')
    .replace('getpocket.com', 'gcp.infra.mozilla.com');

  context.samlConfiguration = context.samlConfiguration || {};
  context.samlConfiguration.mappings = {
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': 'myemail',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'myemail',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/email': 'myemail',
  };
  context.samlConfiguration.nameIdentifierFormat = 'urn:oasis:names:tc:SAML:2.0:nameid-format:email';

  callback(null, user, context);
}
