/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/activate-new-users-in-CIS.js @ 066a7ce597976962bd380b43e9baa7f37e8d22cd   (repo: rules/ folder uploaded by the repository's CI uploader)
 * First login of a user the identity system (CIS) does not know yet: gets a Person API token
 * (client credentials, cached in `global`), looks the user up, and if the Person API answers an empty
 * object builds a CIS profile from a null-profile skeleton in configuration, signs every attribute it
 * publishes with RS256 (jsonwebtoken, key from configuration in base64 PEM), posts it to the Change API
 * and marks user_metadata.existsInCIS. Modules: node-fetch@2.6.0 (timeouts), jsonwebtoken, Buffer.
 * Quirks kept: the token cache compares milliseconds with a number meant as seconds; any non-empty
 * Person API answer (an error body too) marks the user as existing; the metadata write is not
 * awaited; every failure still lets the user in; the SNS notice for LDAP users returns early without
 * AWS configuration (the aws-sdk require is never reached). (The identities handled are GitHub and
 * Google; Firefox Accounts and LDAP are kept in the allow list.)
 */
function (user, context, callback) {
  const TOKEN_TIMEOUT = 5000;
  const CHANGE_TIMEOUT = 14000;
  const META = context.primaryUserMetadata || user.user_metadata || {};
  const TOKEN_REFRESH_AGE = 64800;
  const PERSON_TIMEOUT = 5000;
  const PUBLISHER = 'access_provider';
  const USER_ID = context.primaryUser || user.user_id;
  const CONNECTIONS = ['email', 'firefoxaccounts', 'github', 'google-oauth2', 'Mozilla-LDAP', 'Mozilla-LDAP-Dev'];

  if (
    !configuration.changeapi_auth0_private_key ||
    !configuration.changeapi_null_profile ||
    !configuration.changeapi_url ||
    !configuration.personapi_client_id ||
    !configuration.personapi_client_secret ||
    !configuration.personapi_url
  ) {
    console.log('Error: Unable to find PersonAPI and/or ChangeAPI configuration');
    return callback(null, user, context);
  }
  if (configuration.personapi_audience.includes('https') || configuration.personapi_url.includes('/v')) {
    console.log('Error: PersonAPI configured incorrectly');
    return callback(null, user, context);
  }
  if (!CONNECTIONS.includes(context.connection)) return callback(null, user, context);
  if (META.existsInCIS) return callback(null, user, context);

  const fetch = require('node-fetch@2.6.0');
  const signingKey = Buffer.from(configuration.changeapi_auth0_private_key, 'base64');

  const bearer = async () => {
    if (
      global.personapi_bearer_token &&
      global.personapi_bearer_token_creation_time &&
      Date.now() - global.personapi_bearer_token_creation_time < TOKEN_REFRESH_AGE
    ) {
      return global.personapi_bearer_token;
    }
    try {
      const res = await fetch(configuration.personapi_oauth_url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        timeout: TOKEN_TIMEOUT,
        body: JSON.stringify({
          audience: configuration.personapi_audience,
          client_id: configuration.personapi_client_id,
          client_secret: configuration.personapi_client_secret,
          grant_type: 'client_credentials',
        }),
      });
      const data = await res.json();
      global.personapi_bearer_token = data.access_token;
      global.personapi_bearer_token_creation_time = Date.now();
      return global.personapi_bearer_token;
    } catch (e) {
      throw Error(`Unable to retrieve bearer token from Auth0: ${e.message}`);
    }
  };

  const publish = (attr, now) => {
    attr.metadata.last_modified = now;
    attr.signature.publisher.name = PUBLISHER;
  };

  const buildProfile = async () => {
    const now = new Date().toISOString();
    const profile = JSON.parse(Buffer.from(configuration.changeapi_null_profile, 'base64'));

    publish(profile.active, now);
    profile.active.value = true;

    publish(profile.first_name, now);
    profile.first_name.metadata.display = 'private';
    profile.first_name.value = user.given_name || user.name || user.family_name || user.nickname || ' ';

    publish(profile.last_name, now);
    profile.last_name.metadata.display = 'private';
    profile.last_name.value = user.family_name ? user.family_name : ' ';

    publish(profile.primary_email, now);
    profile.primary_email.value = user.email;

    publish(profile.user_id, now);
    profile.user_id.value = USER_ID;

    for (let i = 0; i < user.identities.length; i++) {
      const idn = user.identities[i];
      if (!CONNECTIONS.includes(idn.connection)) continue;

      if (i === 0) {
        publish(profile.login_method, now);
        profile.login_method.value = idn.connection;
        if (idn.provider === 'ad' && (idn.connection === 'Mozilla-LDAP' || idn.connection === 'Mozilla-LDAP-Dev')) {
          profile.first_name.metadata.display = 'staff';
          profile.last_name.metadata.display = 'staff';
          profile.primary_email.metadata.display = 'staff';
          notify(`Auth0 rule activate-new-users-in-CIS.js is creating a new CIS profile for ${USER_ID} with connection ${idn.connection}`);
        }
      }

      if (idn.provider === 'github') {
        publish(profile.identities.github_id_v3, now);
        profile.identities.github_id_v3.metadata.display = 'private';
        profile.identities.github_id_v3.value = idn.user_id;
        if (user.nickname) {
          profile.usernames.metadata.display = 'private';
          profile.usernames.signature.publisher.name = PUBLISHER;
          profile.usernames.values = { 'HACK#GITHUB': user.nickname };
        }
      } else if (idn.provider === 'google-oauth2') {
        publish(profile.identities.google_oauth2_id, now);
        profile.identities.google_oauth2_id.metadata.display = 'private';
        profile.identities.google_oauth2_id.value = idn.user_id;
        publish(profile.identities.google_primary_email, now);
        profile.identities.google_primary_email.metadata.display = 'private';
        profile.identities.google_primary_email.value = user.email;
      }
    }

    signEverything(profile);
    return profile;
  };

  const notify = (message) => {
    if (
      !('aws_logging_sns_topic_arn' in configuration) ||
      !('aws_logging_access_key_id' in configuration) ||
      !('aws_logging_secret_key' in configuration)
    ) {
      console.log('Missing Auth0 AWS SNS logging configuration values');
      return false;
    }
    const AWS = require('aws-sdk@2.5.3');
    const sns = new AWS.SNS({
      apiVersion: '2010-03-31',
      accessKeyId: configuration.aws_logging_access_key_id,
      secretAccessKey: configuration.aws_logging_secret_key,
      region: 'us-west-2',
      logger: console,
    });
    sns.publish({ Message: message, TopicArn: configuration.aws_logging_sns_topic_arn }, function (err, data) {
      if (err) console.log(err, err.stack);
      else console.log(data);
    });
  };

  const lookUp = async () => {
    const token = await bearer();
    const res = await fetch(`${configuration.personapi_url}/v2/user/user_id/${encodeURI(USER_ID)}?active=any`, {
      method: 'GET',
      headers: { Authorization: `Bearer ${token}` },
      timeout: PERSON_TIMEOUT,
    });
    return res.json();
  };

  const send = async (profile) => {
    const token = await bearer();
    const res = await fetch(`${configuration.changeapi_url}/v2/user?user_id=${encodeURI(USER_ID)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(profile),
      timeout: CHANGE_TIMEOUT,
    });
    return res.json();
  };

  const signEverything = (node) => {
    Object.values(node).forEach((attr) => {
      if (attr.constructor === Object && attr.signature) signOne(attr);
      else if (attr.constructor === Object && !attr.signature) signEverything(attr);
    });
  };

  const signOne = (attr) => {
    const jwt = require('jsonwebtoken');
    if (!attr.signature || attr.signature.publisher.name !== PUBLISHER || attr.value === null || attr.values === null) return attr;
    if (attr.value && typeof attr.value === 'number') attr.value = attr.value.toString();
    delete attr.signature;
    attr.signature = {
      additional: [{ alg: 'RS256', name: null, typ: 'JWS', value: '' }],
      publisher: { alg: 'RS256', name: PUBLISHER, typ: 'JWS', value: jwt.sign(attr, signingKey, { algorithm: 'RS256', noTimestamp: true }) },
    };
    return attr;
  };

  const markExisting = (exists = true) => {
    META.existsInCIS = exists;
    auth0.users
      .updateUserMetadata(USER_ID, META)
      .then(() => {
        console.log(`Updated user metadata on ${USER_ID} to set existsInCIS`);
        return exists;
      })
      .catch(() => {
        throw Error(`Unable to set existsInCIS on ${USER_ID}`);
      });
  };

  lookUp()
    .then((found) => {
      if (Object.keys(found).length !== 0) {
        markExisting();
        throw Error(`Profile for ${user.user_id} already exists in PersonAPI as ${USER_ID}`);
      }
      return buildProfile();
    })
    .then((profile) => send(profile))
    .then((answer) => {
      if (answer.constructor === Object && answer.status_code === 200) {
        console.log(`Successfully created profile for ${user.user_id} in ChangeAPI as ${USER_ID}`);
        markExisting();
        return callback(null, user, context);
      }
      throw Error(`Unable to create profile for ${USER_ID} in ChangeAPI`);
    })
    .catch((error) => {
      console.log(`Error: ${error.message}`);
      return callback(null, user, context);
    });
}
