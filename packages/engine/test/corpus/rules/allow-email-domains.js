/**
 * Email-domain allow list: only addresses at the company's domains may log in.
 * configuration.ALLOWED_EMAIL_DOMAINS is a comma-separated list ("example.com, example.org").
 * Subdomains are not included unless listed.
 */
function allowEmailDomains(user, context, callback) {
  var allowed = (configuration.ALLOWED_EMAIL_DOMAINS || '')
    .split(',')
    .map(function (d) { return d.trim().toLowerCase(); })
    .filter(Boolean);

  var email = String(user.email || '').toLowerCase();
  var at = email.lastIndexOf('@');
  var domain = at === -1 ? '' : email.slice(at + 1);

  if (!domain || allowed.indexOf(domain) === -1) {
    return callback(new UnauthorizedError('Access denied: ' + (domain || 'no email') + ' is not an allowed email domain.'));
  }
  callback(null, user, context);
}
