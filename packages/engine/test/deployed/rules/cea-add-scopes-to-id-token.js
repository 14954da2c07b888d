/**
 * Origin: github.com/centre-for-effective-altruism/auth0-rules rules/src/add-scopes-to-id-token.ts @ 37b8627931a862897c4271294cdc5961574af24c   (repo: TypeScript rules rendered with the manifest's TEMPLATE_DATA and pushed through the Management API by the repo's CLI)
 * For the whitelisted application (client ids the deploy step renders into TEMPLATE_DATA.whitelist),
 * copies the access token's scope, which the earlier 'Filter scopes' rule set to an array, into an
 * ID-token claim as a space-separated string. Quirks kept: assumes context.accessToken.scope is an
 * array (a string or a missing scope makes the rule throw).
 */
function addScopesToIdToken(user, context, callback) {
  const whitelist = ['gwwc0client0id0000000000000000000'];
  if (whitelist.includes(context.clientID)) {
    const ns = 'https://parfit.effectivealtruism.org';
    context.idToken[`${ns}/scope`] = context.accessToken.scope.join(' ');
  }
  callback(null, user, context);
}
