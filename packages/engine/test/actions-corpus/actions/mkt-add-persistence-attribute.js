/**
 * Origin: github.com/auth0/opensource-marketplace templates/add-persistence-attribute-POST_LOGIN/code.js @ 1d59e4a626d2af8da52b3c7e46bb503c4d07eafa   (Auth0 Marketplace template)
 * Gives users a default user_metadata value (METADATA_KEY = METADATA_DEFAULT_VALUE secrets) the
 * first time, persisted with api.user.setUserMetadata, and echoes it in the ID token. Quirks kept:
 * once the value is set the handler returns early, so the claim is only in the first login's token.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (!event.secrets.METADATA_KEY) {
    return api.access.deny('missing metadata key')
  }
  const metadataKey = event.secrets.METADATA_KEY

  if (!event.secrets.METADATA_DEFAULT_VALUE) {
    return api.access.deny('missing metadata default value')
  }

  const metadataValue = event.user.user_metadata[metadataKey]
  if (metadataValue) {
    return
  }

  const metadataDefaultValue = event.secrets.METADATA_DEFAULT_VALUE
  api.user.setUserMetadata(metadataKey, metadataValue || metadataDefaultValue)

  let namespace = event.secrets.ID_TOKEN_NAMESPACE || ''
  if (namespace && !namespace.endsWith('/')) {
    namespace += '/'
  }
  api.idToken.setCustomClaim(namespace + metadataKey, metadataValue || metadataDefaultValue)
}
