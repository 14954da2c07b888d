/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/OIDC-conformance-workaround.js @ 31852c1d1e96ddc3b101e0dd41683dc08661a0f8   (repo: rules/ folder uploaded by the repository's CI uploader)
 * For the SSO dashboard clients, overrides the ID token's standard updated_at claim with an integer
 * (seconds since the epoch) instead of Auth0's ISO string. Quirks kept: a non-namespaced standard
 * claim is overwritten; Date arithmetic on a Date object; callback written twice (one per branch).
 */
function temporaryUpdateAtConformance(user, context, callback) {
  const dashboards = [
    'aDL5o9SZRaYTH5zzkGntT4l76qydMbZe',
    'UCOY390lYDxgj5rU8EeXRtN6EP005k7V',
    'mc1l0G4sJI2eQfdWxqgVNcRAD9EAgHib',
    '2KNOUCxN8AFnGGjDCGtqiDIzq8MKXi2h',
  ];
  if (dashboards.indexOf(context.clientID) !== -1) {
    context.idToken.updated_at = Math.floor(new Date(user.updated_at) / 1000);
    return callback(null, user, context);
  }
  callback(null, user, context);
}
