/**
 * Origin: github.com/auth0/opensource-marketplace templates/simple-domain-allowlist-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Lets in only verified emails of the ALLOWED_DOMAINS secret's domains. Quirks kept: the
 * unverified-email denial does not return, so the handler goes on and may call deny again (the
 * first reason wins); `if (!domains)` never holds for an array.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email) {
    return api.access.deny('Email is invalid')
  }

  if (!event.user.email_verified) {
    api.access.deny('Email is unverified')
  }

  if (!event.secrets.ALLOWED_DOMAINS) {
    return api.access.deny('Configuration error')
  }

  const domains = event.secrets.ALLOWED_DOMAINS.split(',').map((domain) => domain.trim().toLowerCase())
  if (!domains) {
    return api.access.deny('Configuration error')
  }

  const parts = event.user.email.split('@')
  if (parts.length !== 2) {
    return api.access.deny('Email is invalid')
  }

  const domain = parts[1].toLowerCase()
  if (!domains.includes(domain)) {
    return api.access.deny('Email domain is prohibited')
  }
}
