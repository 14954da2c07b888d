/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/unicodeworkaround.js @ 8c0dcc9799a2582eb847164e759db94b7d595abb   (tenant repo: rules/ uploaded to the tenant by the repository's CI)
 * A workaround for relying parties that choked on non-ASCII names: name, family_name and
 * given_name are passed through a JSON-style quoting that escapes control characters and DROPS every
 * character from U+007F up (the regex covers \x7f-\uffff and only the table's escapes are kept).
 * Quirks kept: the result is wrapped in literal double quotes ("\"Zoë\"" becomes "\"Zo\""); the global
 * regex's lastIndex is reset before test(); the name is quoted even when it is missing ("undefined").
 */
function (user, context, callback) {
  var escapable = /[\\\"\x00-\x1f\x7f-\uffff]/g;
  var replacements = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };
  function quote(text) {
    escapable.lastIndex = 0;
    if (!escapable.test(text)) {
      return '"' + text + '"';
    }
    return (
      '"' +
      text.replace(escapable, function (ch) {
        var sub = replacements[ch];
        return typeof sub === 'string' ? sub : '';
      }) +
      '"'
    );
  }
  user.name = quote(user.name);
  if (user.family_name) user.family_name = quote(user.family_name);
  if (user.given_name) user.given_name = quote(user.given_name);
  callback(null, user, context);
}
