/**
 * Origin: github.com/centre-for-effective-altruism/auth0-rules rules/src/email-to-access-token.ts @ cd79b8732585a8da97940babd99b5225d0acea07   (repo: TypeScript rules compiled and pushed through the Management API by the repo's own CLI, `rules deploy`, from a GitHub workflow)
 * Adds the user's email and email_verified to the access token under the Parfit namespace.
 * Quirks kept: builds a new accessToken object by spreading the old one and assigns it to
 * context.accessToken (the object Auth0 handed in is replaced, not mutated).
 */
function addEmailToAccessToken(user, context, callback) {
  const ns = 'https://parfit.effectivealtruism.org/';
  context.accessToken = Object.assign({}, context.accessToken, {
    [ns + 'email']: user.email,
    [ns + 'email_verified']: user.email_verified,
  });
  return callback(null, user, context);
}
