/**
 * Origin: github.com/abbaspour/actions-gallery post-login/reset-scopes/reset-scopes.js @ b2477a6cc371987f7b7f6bb43c87917e68688bab   (actions gallery, MIT; its Terraform binds it with auth0_action "reset-scopes")
 * For the API 'my.rs', removes every requested scope and grants 's1' instead. Quirks kept: adds its
 * own `api.noop` to the api object (for its unit tests) and calls it.
 */
exports.onExecutePostLogin = async (event, api) => {
  api.noop = api.noop || function (x) {}

  const { identifier } = event.resource_server || {}
  const { requested_scopes } = event.transaction || {}

  if (identifier !== 'my.rs') {
    api.noop('no-my-rs')
    return
  }
  if (!Array.isArray(requested_scopes)) {
    api.noop('no-scopes')
    return
  }

  requested_scopes.forEach((s) => api.accessToken.removeScope(s))
  api.accessToken.addScope('s1')
}
