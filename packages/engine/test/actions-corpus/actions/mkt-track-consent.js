/**
 * Origin: github.com/auth0/opensource-marketplace templates/track-consent-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Records consent at the first login: user_metadata consentGiven = true and consentTimestamp =
 * Date.now(), through two api.user.setUserMetadata calls (written together once the flow ends).
 */
exports.onExecutePostLogin = async (event, api) => {
  const { consentGiven } = event.user.user_metadata || {}
  if (consentGiven) {
    return
  }
  api.user.setUserMetadata('consentGiven', true)
  api.user.setUserMetadata('consentTimestamp', Date.now())
  return
}
