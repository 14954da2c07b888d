/**
 * Origin: github.com/codelab-app/platform terraform/modules/auth0/action_assign_jwt_claims.tf @ 41e83557d6e8494063a588ab7fb2055393e76d29   (Terraform: auth0_action code in a heredoc, post-login v3)
 * Puts the user's roles, as one object claim { roles }, in both tokens under
 * https://<builder host>/jwt/claims. The heredoc's ${var.NEXT_PUBLIC_BUILDER_HOST} is rendered as
 * builder.codelab.example. Quirks kept: the claim is only set when event.authorization exists.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (event.authorization) {
    const namespace = 'https://builder.codelab.example/jwt/claims'
    const claims = {
      roles: event?.authorization?.roles ?? [],
    }
    api.idToken.setCustomClaim(namespace, claims)
    api.accessToken.setCustomClaim(namespace, claims)
  }
}
