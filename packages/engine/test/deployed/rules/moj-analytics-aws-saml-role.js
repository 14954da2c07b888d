/**
 * Origin: github.com/ministryofjustice/analytics-platform-auth0 rules/aws-saml-role-mapping.js @ 7c4ae2c92fc54b29da830bb8b7a18119cfc559ac   (tenant repo: rules/ deployed to the tenant by analytics-platform-ops' automation, rule configuration AWS_ACCOUNT_ID / ENV)
 * Every login gets an AWS role `<ENV>_user_<nickname>` and the `<ENV>-auth0` SAML provider, with the
 * lower-cased nickname as session name, mapped into the SAML assertion.
 * Quirks kept: runs for every application (not only SAML ones); a user without a nickname throws.
 */
function (user, context, callback) {
  var account = configuration.AWS_ACCOUNT_ID;
  var env = configuration.ENV;
  var login = user.nickname.toLowerCase();
  var roleArn = 'arn:aws:iam::' + account + ':role/' + env + '_user_' + login;
  var providerArn = 'arn:aws:iam::' + account + ':saml-provider/' + env + '-' + 'auth0';
  user.awsRole = roleArn + ',' + providerArn;
  user.awsRoleSession = login;
  context.samlConfiguration.mappings = {
    'https://aws.amazon.com/SAML/Attributes/Role': 'awsRole',
    'https://aws.amazon.com/SAML/Attributes/RoleSessionName': 'awsRoleSession',
  };
  callback(null, user, context);
}
