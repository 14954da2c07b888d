/**
 * Origin: github.com/abbaspour/actions-gallery post-login/limit-scopes/limit-scopes.js @ b2477a6cc371987f7b7f6bb43c87917e68688bab   (actions gallery, MIT; deployed through its Terraform folder)
 * For partner applications (client metadata partner = 'true') asking for the Management API
 * (an audience ending in /api/v2/), denies any requested scope beyond offline_access and
 * read:clients.
 */
exports.onExecutePostLogin = async (event, api) => {
  const TARGET_AUDIENCE = /\/api\/v2\/$/
  const ALLOWED_SCOPES = ['offline_access', 'read:clients']

  const limitedClient = () => event?.client?.metadata?.partner === 'true'
  if (!limitedClient()) return

  const audience = event?.resource_server?.identifier || ''
  if (!audience.match(TARGET_AUDIENCE)) return

  const requested = event?.transaction?.requested_scopes || []
  const extra = requested.filter((s) => !ALLOWED_SCOPES.includes(s))
  if (extra.length > 0) {
    api.access.deny('unauthorized scopes')
  }
}
