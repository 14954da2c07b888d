/**
 * Origin: github.com/ministryofjustice/analytics-platform-auth0 rules/tableau-online-saml-mapping.js @ 9260a1450d8e577a187a79dea4f26f5434fd9650   (tenant repo, branch alpha: rules/ deployed to the tenant by analytics-platform-ops' automation)
 * Tableau Online's SAML application gets the lower-cased email as the emailaddress attribute.
 * Quirks kept: the early return has no braces; a user without an email would throw for that client only.
 */
function (user, context, callback) {
  if (context.clientID !== '4pDwZwbnKOPHk0q02KQSg14KNTEew6kY') return callback(null, user, context);
  user.userEmail = user.email.toLowerCase();
  context.samlConfiguration.mappings = {
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'userEmail',
  };
  callback(null, user, context);
}
