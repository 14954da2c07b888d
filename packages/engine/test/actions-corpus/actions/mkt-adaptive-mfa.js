/**
 * Origin: github.com/auth0/opensource-marketplace templates/adaptive-mfa-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Asks for MFA (any factor, browser may be remembered) when Adaptive MFA's NewDevice assessment is
 * low or medium confidence and the user has an enrolled factor. Quirks kept: reads
 * event.authentication.riskAssessment through optional chaining (absent outside Adaptive MFA).
 */
exports.onExecutePostLogin = async (event, api) => {
  const promptConfidences = ['low', 'medium']

  const confidence = event.authentication?.riskAssessment?.assessments?.NewDevice?.confidence
  const shouldPromptMfa = confidence && promptConfidences.includes(confidence)

  const canPromptMfa = event.user.multifactor && event.user.multifactor.length > 0
  if (shouldPromptMfa && canPromptMfa) {
    api.multifactor.enable('any', { allowRememberBrowser: true })
  }
}
