/**
 * Origin: github.com/karissa-cricut/auth0-deployment rules/rd-add-custom-claims.js @ 42e4cdc8c3eca034f8c30b61bd2f94c1b5f81905   (Deploy CLI directory export: rules/*.js with ##KEYWORD## replacement, pushed with a0deploy)
 * Namespaced ID token claims for the connection, its strategy, the GeoIP continent, country and
 * time zone, and the RBAC roles, all read with one nested destructuring of context.
 * Quirks kept: the destructuring has defaults for the leaves but not for `authorization` or
 * `request.geoip`, so a login without context.authorization throws a TypeError.
 */
function addCustomClaims(user, context, callback) {
  const NS = 'https://letsdoauth.com'
  const {
    authorization: { roles = [] },
    connection = '',
    connectionStrategy = '',
    request: {
      geoip: { continent_code = '', country_name = '', time_zone = '' },
    },
  } = context
  const claims = {
    connection,
    connectionStrategy,
    continent: continent_code,
    country: country_name,
    roles,
    timezone: time_zone,
  }
  Object.keys(claims).forEach((name) => {
    context.idToken[`${NS}/${name}`] = claims[name]
  })
  callback(null, user, context)
}
