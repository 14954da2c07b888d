/**
 * Origin: github.com/dotkom/monoweb infra/auth0/js/actions/syncFeideName.js @ 2aa650d7a0695e1ada2baed37463f39162e3d771   (Terraform: auth0_action code = file(...) in infra/auth0)
 * For logins through the Feide connection (its id in the FEIDE_CONNECTION_ID secret), keeps the
 * trimmed profile name in app_metadata.feide_full_name.
 */
exports.onExecutePostLogin = async (event, api) => {
  if (event.connection.id !== event.secrets.FEIDE_CONNECTION_ID) {
    return
  }
  const feideName = typeof event.user.name === 'string' ? event.user.name.trim() : ''
  if (!feideName) {
    return
  }
  api.user.setAppMetadata('feide_full_name', feideName)
}
