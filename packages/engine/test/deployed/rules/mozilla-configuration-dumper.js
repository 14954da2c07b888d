/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/configuration-dumper.js @ 0eb0f6975b5fd82a027bf75b2aecefde9f8d7970   (repo: rules/ folder uploaded by the repository's CI uploader; enabled while debugging)
 * Debugging rule: logs the whole configuration (keys sorted through JSON.stringify's replacer
 * array), the context, the user and the Node version, then lets the login go on. Quirks kept: reads
 * the global `process.version`; prints secrets to the log.
 */
function configurationDumper(user, context, callback) {
  const config = JSON.stringify(configuration, Object.keys(configuration).sort(), 2);
  const ctx = JSON.stringify(context, null, 2);
  const profile = JSON.stringify(user, null, 2);
  const node = process.version;
  console.log(['Configuration Dump:', config, 'Context Dump:', ctx, 'User Dump:', profile, 'Node Version:', node].join('\n'));
  return callback(null, user, context);
}
