/**
 * Origin: github.com/karissa-cricut/auth0-deployment rules/rd-add-delegated-admin-ext-roles.js @ c32f3bfd9d4a2d439bc6f6423238b9be8752f99d   (Deploy CLI directory export: rules/*.js with ##KEYWORD## replacement, pushed with a0deploy)
 * For the Delegated Administration extension's client only: a user without one of its roles in
 * app_metadata.roles gets "Administrator" or "User" (from the RBAC role Administrator), saved with
 * auth0.users.updateAppMetadata before the login goes on.
 * Quirks kept: lodash@4.17.10 _.get/_.set; the roles array read with _.get is pushed into in place.
 */
function addDelegatedAdminExtRoles(user, context, callback) {
  const _ = require('lodash@4.17.10')
  const CLIENT = 'Auth0 Delegated Admin'
  const ADMIN = 'Delegated Admin - Administrator'
  const MEMBER = 'Delegated Admin - User'

  if (context.clientName !== CLIENT) {
    callback(null, user, context)
    return
  }
  const roles = _.get(user, 'app_metadata.roles', [])
  if (roles.includes(ADMIN) || roles.includes(MEMBER)) {
    callback(null, user, context)
    return
  }
  const rbac = _.get(context, 'authorization.roles', [])
  roles.push(rbac.includes('Administrator') ? ADMIN : MEMBER)
  _.set(user, 'app_metadata.roles', roles)

  auth0.users
    .updateAppMetadata(user.user_id, user.app_metadata)
    .then(() => callback(null, user, context))
    .catch((err) => callback(err))
}
