/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/SAML-Navex-partition-id.js @ 0ebaec925de79e6297137a93280c81cac7ae5619   (repo: rules/ folder uploaded by the repository's CI uploader)
 * For the Navex SAML apps, adds a fixed partition id to the profile and maps it to the PARTITION
 * SAML attribute. Quirks kept: replaces any earlier mappings; assumes context.samlConfiguration
 * exists (a non-SAML context without it makes the rule throw); a null user passes through.
 */
function SAMLNavexPartitionId(user, context, callback) {
  if (!user) return callback(null, null, context);
  var navex = ['gL08r5BRiweqf4aDQVX6xB4FHyFepFlM', 'iz2qSHo0lSv2nRZ8V3JnOESX5UR4dcpX'];
  if (navex.indexOf(context.clientID) >= 0) {
    user.partition_id = 'MOZILLA';
    context.samlConfiguration.mappings = { PARTITION: 'partition_id' };
  }
  callback(null, user, context);
}
