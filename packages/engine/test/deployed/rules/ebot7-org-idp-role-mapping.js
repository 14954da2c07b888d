/**
 * Origin: github.com/ebot7/auth0-integration rules/setRolesToUser.js @ 8c811ab4804e629404c2b4be641dbe33fecf6584   (Deploy CLI: tenant.yaml + rules/, imported by the repository's GitHub Actions workflows auth0-staging / auth0-production)
 * Organisation logins: the organisation's IdP role mapping is fetched from the bot engine's API
 * (axios@0.21.1, an API-key token cached on `global` until 3 minutes before its exp, read with
 * jwt-decode@3.1.1), mapped onto Auth0 role ids, and the user's organisation member roles are
 * brought in line through a ManagementClient (auth0@2.35.0, client credentials, cached on `global`):
 * missing roles added, others removed.
 * Quirks kept: global roles only from one provider organisation; e-bot7 employees always get the
 * employee role; every failure is logged and the login goes on; the Authorization header is the
 * bare token (no "Bearer").
 */
async function setRolesToUser(user, context, callback) {
  const orgId = context.organization && context.organization.id
  if (!orgId) {
    return callback(null, user, context)
  }

  const botEngineToken = async () => {
    if (global.accessToken && global.tokenExpiryTime && Date.now() < global.tokenExpiryTime) {
      return global.accessToken
    }
    const res = await require('axios@0.21.1').post(`${configuration.AUTH_ENDPOINT}/authentication`, {
      strategy: 'local-api',
      apiKey: configuration.API_KEY,
      apiSecret: configuration.API_SECRET,
    })
    if (!res.data || !res.data.accessToken) {
      throw new Error('BOT_ENGINE_AUTH_FAILED')
    }
    global.accessToken = res.data.accessToken
    const { exp } = require('jwt-decode@3.1.1')(global.accessToken)
    global.tokenExpiryTime = exp * 1000 - 3 * 60 * 1000
    return global.accessToken
  }

  const orgManager = async () => {
    if (!global.auth0OrgManager) {
      const { ManagementClient } = require('auth0@2.35.0')
      global.auth0OrgManager = new ManagementClient({
        domain: auth0.domain,
        clientId: configuration.CLIENT_ID,
        clientSecret: configuration.CLIENT_SECRET,
        scope: 'create:organization_member_roles',
      })
    }
    return global.auth0OrgManager
  }

  const idpConfig = async () => {
    const res = await require('axios@0.21.1')({
      method: 'GET',
      url: `${configuration.AUTH_ENDPOINT}/orgs?auth0OrgId=${orgId}`,
      headers: { Authorization: global.accessToken },
    })
    const org = res.data && res.data.data && res.data.data[0]
    if (!org) {
      throw new Error('ORG_DOES_NOT_EXIST')
    }
    return org.idpConfig
  }

  const plan = (config, current) => {
    const globalRoles = {
      SSO_Console_Superadmin: configuration.SUPER_ADMIN_ROLE_ID,
      SSO_Console_Developer: configuration.DEVELOPER_ROLE_ID,
      SSO_Console_Employee: configuration.EMPLOYEE_ROLE_ID,
    }
    const globalIds = Object.values(globalRoles)
    const currentIds = current.map((r) => r.id)
    let wanted = []
    if (config && config.roleMapping) {
      let fromIdp = user[config.roleField || 'role']
      if (!Array.isArray(fromIdp)) fromIdp = [fromIdp]
      wanted = fromIdp.map((name) => config.roleMapping[name]).filter((id) => !globalIds.includes(id))
    }
    if (Array.isArray(user.global_roles) && orgId === configuration.GLOBAL_ROLES_PROVIDER_ORG_ID) {
      user.global_roles.forEach((name) => {
        if (globalRoles[name]) wanted.push(globalRoles[name])
      })
    }
    if (new RegExp('@e-bot7.com$').test(user.email)) {
      wanted.push(configuration.EMPLOYEE_ROLE_ID)
    }
    wanted = Array.from(new Set(wanted))
    if (!wanted.length) return { toAdd: [], toRemove: currentIds }
    return { toAdd: wanted.filter((id) => !currentIds.includes(id)), toRemove: currentIds.filter((id) => !wanted.includes(id)) }
  }

  try {
    await botEngineToken()
    const config = await idpConfig()
    const roleMap = config && config.roleMapping
    if (!roleMap) console.log(`${orgId} org does not have idp role mapping info`)
    if (!roleMap && !user.global_roles) {
      console.log(`${user.user_id} does not have any global roles either`)
      callback(null, user, context)
      return
    }
    if (user.global_roles && user.global_roles.length && orgId !== configuration.GLOBAL_ROLES_PROVIDER_ORG_ID) {
      console.log(`global_roles for user ${user.user_id} will not be applied`)
    }
    await orgManager()
    const { organizations } = global.auth0OrgManager
    const current = (await organizations.getMemberRoles({ id: orgId, user_id: user.user_id })) || []
    const { toAdd, toRemove } = plan(config, current)
    if (toAdd.length) {
      await organizations.addMemberRoles({ id: orgId, user_id: user.user_id }, { roles: toAdd })
      console.log(`Roles added for user ${user.user_id} for org ${orgId}: ${toAdd}`)
    }
    if (toRemove.length) {
      await organizations.removeMemberRoles({ id: orgId, user_id: user.user_id }, { roles: toRemove })
      console.log(`Roles removed for user ${user.user_id} for org ${orgId}: ${toRemove}`)
    }
    callback(null, user, context)
  } catch (err) {
    console.log(`Unable to update roles of user ${user.user_id} for org ${orgId}: ${err.message}`)
    callback(null, user, context)
  }
}
