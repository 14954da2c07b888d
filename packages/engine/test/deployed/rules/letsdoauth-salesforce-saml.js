/**
 * Origin: github.com/karissa-cricut/auth0-deployment rules/rd-saml-attributes-mapping.js @ 740285d633757393577e6bf9fe461495e451c0ff   (Deploy CLI directory export: rules/*.js with ##KEYWORD## replacement, pushed with a0deploy)
 * The Salesforce SAML application gets its audience, no identity mapping or pass-through of
 * unmapped claims, and the email as NameID.
 * Quirks kept: creates context.samlConfiguration when missing.
 */
function samlAttributesMapping(user, context, callback) {
  const SALESFORCE = 'https://rudydahbura-dev-ed.my.salesforce.com'
  if (!['eO16DYGJUOCphUCPiJ70jJGySPEv6gpK'].includes(context.clientID)) {
    callback(null, user, context)
    return
  }
  const saml = (context.samlConfiguration = context.samlConfiguration || {})
  saml.audience = SALESFORCE
  saml.mapIdentities = false
  saml.mapUnknownClaimsAsIs = false
  saml.passthroughClaimsWithNoMapping = false
  saml.mappings = { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': 'email' }
  callback(null, user, context)
}
