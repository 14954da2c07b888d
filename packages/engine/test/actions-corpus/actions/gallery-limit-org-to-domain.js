/**
 * Origin: github.com/abbaspour/actions-gallery post-login/multiple-custom-domains/limit-org-to-domain.js @ b2477a6cc371987f7b7f6bb43c87917e68688bab   (actions gallery, MIT)
 * Organization logins through custom domains: denies when the request's hostname is in the
 * organization's deny_domains metadata, or not in its allow_domains. Quirks kept: a login without
 * an organization (or without allow_domains) is denied too, with "org undefined" in the reason.
 */
exports.onExecutePostLogin = async (event, api) => {
  const org = event?.organization
  const host = event?.request?.hostname
  console.log(`org ${org?.name} accessed from domain ${host}`)

  if (org?.metadata?.deny_domains && org?.metadata?.allow_domains) {
    console.warn(`[WARNING] configuration issue. org ${org?.name} has both deny_domains and allow_domains`)
  }

  const listed = (list) =>
    list
      ? list
          .split(',')
          .map((d) => d.trim())
          .includes(host)
      : false

  if (listed(org?.metadata?.deny_domains)) {
    return api.access.deny(`access to org ${org?.name} not allowed on domain ${host}`)
  }
  if (!listed(org?.metadata?.allow_domains)) {
    return api.access.deny(`access to org ${org?.name} not allowed on domain ${host}`)
  }
}
