/**
 * Origin: github.com/auth0/opensource-marketplace templates/check-last-password-reset-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Denies logins whose password (last_password_reset, else created_at) is older than the
 * MAX_PASSWORD_DAYS secret. Quirks kept: Number() never throws, so its try/catch is dead code; a
 * non-numeric secret gives NaN and denies as "Invalid configuration".
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.secrets.MAX_PASSWORD_DAYS) {
    return api.access.deny('Invalid configuration')
  }

  const daydiff = (first, second) => (second - first) / (1000 * 60 * 60 * 24)

  const lastPasswordChange = event.user.last_password_reset || event.user.created_at

  let maxDays
  try {
    maxDays = Number(event.secrets.MAX_PASSWORD_DAYS)
  } catch {
    return api.access.deny('Invalid configuration')
  }
  if (!maxDays) {
    return api.access.deny('Invalid configuration')
  }

  if (daydiff(new Date(lastPasswordChange), new Date()) > maxDays) {
    return api.access.deny('please change your password')
  }
}
