/**
 * Origin: github.com/karissa-cricut/auth0-deployment rules/rd-bootstrap.js @ c32f3bfd9d4a2d439bc6f6423238b9be8752f99d   (Deploy CLI directory export: rules/*.js with ##KEYWORD## replacement, pushed with a0deploy)
 * The tenant's first rule: refuses user logins that ask for the internal DB API audience, then
 * installs helpers on `global` for the later rules (isJson, a node-auth0 ManagementClient built
 * with auth0.accessToken, a postAsync over node-fetch that parses JSON answers).
 * Quirks kept: lodash@4.17.10, node-fetch@2.6.0 and auth0@2.23.0 pinned; the helpers are cached on
 * `global` with `||` (the first container's ManagementClient, and its token, are reused).
 */
function boostrap(user, context, callback) {
  const _ = require('lodash@4.17.10')
  const fetch = require('node-fetch@2.6.0')
  const ManagementClient = require('auth0@2.23.0').ManagementClient

  const protectedAudiences = ['https://api-db.letsdoauth.com']
  const audience = _.get(context, 'request.query.audience', '').toLowerCase()
  if (protectedAudiences.includes(audience)) {
    callback(new UnauthorizedError('Cannot access protected API.'))
    return
  }

  global.isJson =
    global.isJson ||
    function (resp) {
      const type = resp.headers.get('Content-Type') || resp.headers.get('content-type') || ''
      return type.includes('application/json')
    }
  global.management = global.management || new ManagementClient({ domain: auth0.domain, token: auth0.accessToken })
  global.postAsync =
    global.postAsync ||
    async function (url, options) {
      const resp = await fetch(url, Object.assign({ method: 'POST' }, options))
      const text = await resp.text()
      if (resp.ok) {
        return global.isJson(resp) ? JSON.parse(text) : text
      }
      throw new Error(text)
    }
  callback(null, user, context)
}
