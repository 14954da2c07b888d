/**
 * Origin: github.com/centre-for-effective-altruism/auth0-rules rules/src/email-to-access-token.ts @ b3aa9a7cfe1693e307e4be743715205df9da0132   (tenant repo: compiled and deployed by the repository's GitHub Actions "deploy" workflow, TEMPLATE_DATA.namespace filled from TOKEN_NAMESPACE at deploy time; shown here as deployed)
 * Server-side apps need the address: the access token gets namespaced `email` and `email_verified`.
 * Quirks kept: context.accessToken is REPLACED by a spread copy (not mutated), so claims and scope
 * set by earlier code live on only through the copy.
 */
function addEmailToAccessToken(user, context, callback) {
  const namespace = 'https://parfit.effectivealtruism.org';
  context.accessToken = {
    ...context.accessToken,
    [`${namespace}/email`]: user.email,
    [`${namespace}/email_verified`]: user.email_verified,
  };
  return callback(null, user, context);
}
