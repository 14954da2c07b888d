/**
 * Origin: github.com/karissa-cricut/auth0-deployment rules/rd-check-password-reset.js @ 01465b54c1f858bdb1595ca914cc6857e5f70aaf   (Deploy CLI directory export: rules/*.js with ##KEYWORD## replacement, pushed with a0deploy)
 * Refuses logins whose password is more than 30 days old (last_password_reset, or created_at for a
 * password never reset).
 * Quirks kept: applies to every connection, social ones included (their created_at counts); the
 * age is a fractional number of days.
 */
function checkPasswordReset(user, context, callback) {
  const MS_PER_DAY = 1000 * 60 * 60 * 24
  const changedAt = new Date(user.last_password_reset || user.created_at)
  const ageInDays = (new Date() - changedAt) / MS_PER_DAY
  if (ageInDays > 30) {
    callback(new UnauthorizedError('Please change your password.'))
    return
  }
  callback(null, user, context)
}
