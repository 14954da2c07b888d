/**
 * Origin: github.com/centre-for-effective-altruism/auth0-rules rules/src/add-scopes-to-id-token.ts @ b3aa9a7cfe1693e307e4be743715205df9da0132   (tenant repo: compiled and deployed by GitHub Actions; TEMPLATE_DATA.whitelist = the client ids of the named SPAs, namespace from TOKEN_NAMESPACE, filled at deploy time; shown here as deployed)
 * Single-page apps cannot read their access token's scopes, so for the listed SPA the ID token gets
 * a namespaced `scope` claim: the access token's scope array joined with spaces.
 * Quirks kept: assumes context.accessToken.scope is an array (a TypeError otherwise).
 */
function addScopesToIdToken(user, context, callback) {
  const spaClients = ['7kQmZ9yHgWd2LpXc4RtVb8NfJs3EuA1o']; // Giving What We Can
  if (spaClients.includes(context.clientID)) {
    const namespace = 'https://parfit.effectivealtruism.org';
    context.idToken[`${namespace}/scope`] = context.accessToken.scope.join(' ');
  }
  callback(null, user, context);
}
