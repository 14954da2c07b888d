/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/GHE-Groups.js @ 0ebaec925de79e6297137a93280c81cac7ae5619   (repo: rules/ folder uploaded by the repository's CI uploader)
 * GitHub Enterprise SSO apps: the user must be in the app's mozillians group and have a GitHub username
 * in the CIS Person API profile, else they are redirected to the wiki with a debug code. Gets a
 * client-credentials token (node-fetch@2.6.0, cached in `global` for 18 h) and reads the profile.
 * Quirks kept: the promise chain has no catch (a Person API failure never calls back); an undefined
 * username is set to null and then `.length` is read on it, so the catch turns it into code 'ghul';
 * the group check reads user.app_metadata.groups without a guard. (The original maps 41 client ids;
 * three are kept.)
 */
function GHEGroups(user, context, callback) {
  const appGroups = {
    '9MR2UMAftbs6758Rmbs8yZ9Dj5AjeT0P': 'mozilliansorg_ghe_ghe-auth-dev_users',
    'EnEylt4OZW6i7yCWzZmCxyCxDRp6lOY0': 'mozilliansorg_ghe_saml-test-integrations_users',
    '2MVzcGFtl2rbdEx97rpC98urD6ZMqUcf': 'mozilliansorg_ghe_mozilla-it_users',
  };

  const fetch = require('node-fetch@2.6.0');
  const TOKEN_TIMEOUT = 5000;
  const TOKEN_MAX_AGE = 64770;
  const PROFILE_TIMEOUT = 5000;
  const USER_ID = context.primaryUser || user.user_id;

  async function bearerToken() {
    if (
      global.personapi_bearer_token &&
      global.personapi_bearer_token_creation_time &&
      Date.now() - global.personapi_bearer_token_creation_time < TOKEN_MAX_AGE
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
          client_id: configuration.personapi_read_profile_api_client_id,
          client_secret: configuration.personapi_read_profile_api_secret,
          grant_type: 'client_credentials',
        }),
      });
      const json = await res.json();
      global.personapi_bearer_token = json.access_token;
      global.personapi_bearer_token_creation_time = Date.now();
      return global.personapi_bearer_token;
    } catch (e) {
      throw Error(`Unable to retrieve bearer token from Auth0: ${e.message}`);
    }
  }

  async function personProfile() {
    const token = await bearerToken();
    const url = `${configuration.personapi_url}/v2/user/user_id/${encodeURI(USER_ID)}`;
    console.log(`Fetching person profile of ${USER_ID}`);
    const res = await fetch(url, { method: 'GET', headers: { Authorization: `Bearer ${token}` }, timeout: PROFILE_TIMEOUT });
    return await res.json();
  }

  if (appGroups[context.clientID] === undefined) {
    return callback(null, user, context);
  }

  personProfile().then((profile) => {
    let code = null;
    if (!user.app_metadata.groups.includes(appGroups[context.clientID])) {
      code = 'ghgr';
      context.redirect = { url: configuration.github_enterprise_wiki_url + '?dbg=' + code };
      return callback(null, user, context);
    }

    let username = null;
    try {
      username = profile.usernames.values['HACK#GITHUB'];
      if (username === undefined) {
        console.log('githubUsername is undefined');
        code = 'ghnd';
        username = null;
      }
      if (username.length === 0) {
        console.log('empty HACK#GITHUB');
        code = 'ghnd';
        username = null;
      }
    } catch (e) {
      console.log('Unable to do the githubUsername lookup: ' + e.message);
      code = 'ghul';
    }

    if (username === null) {
      context.redirect = { url: configuration.github_enterprise_wiki_url + '?bc=' + code };
    }
    return callback(null, user, context);
  });
}
