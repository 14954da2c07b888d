/**
 * Origin: github.com/mozilla-iam/auth0-deploy rules/CIS-Claims-fixups.js @ 0eb0f6975b5fd82a027bf75b2aecefde9f8d7970   (repo: rules/ folder uploaded by the repository's CI uploader)
 * When the client asked for 'profile' or a URL scope, re-exposes groups, AAI and AAL as namespaced
 * ID-token claims, trims LDAP attributes off the profile and, for the mozillians verification
 * clients, names the original connection's user id. Quirks kept: the LDAP group re-integration
 * (legacy global `request` to auth0.baseUrl with auth0.accessToken) is guarded by
 * `user.app_metadata.length > 0`, never true for an object, so it never runs; claims are set inside a
 * forEach with a try/catch; the whitelist holds only ''.
 */
function CISClaimsFixups(user, context, callback) {
  var ns = 'https://sso.mozilla.com/claim/';
  var skipClients = [''];

  let requested = context.request.query.scope ? context.request.query.scope.split(' ') : [];
  if (!requested.some((s) => s === 'profile' || s.startsWith('https://'))) {
    console.log('Client ' + context.clientID + ' only requested ' + requested + ', not adding custom claims');
    return callback(null, user, context);
  }

  var legacyClaims = ['groups'];

  if (user.app_metadata !== undefined && user.app_metadata.length > 0) {
    var ldapGroupsOf = user.app_metadata.groups;
    request(
      { url: auth0.baseUrl + '/users/' + user.user_id, headers: { Authorization: 'Bearer ' + auth0.accessToken } },
      function (err, response, body) {
        if (err) {
          console.log('CIS: Error while parsing user groups for user ' + user.user_id + ': ' + err);
          return finish();
        }
        var stored = JSON.parse(body);
        stored.groups = stored.groups || [];
        if (stored.groups.length === 0) return finish();
        var merged = [];
        for (var i = 0; i < ldapGroupsOf.length; ++i) {
          var g = ldapGroupsOf[i];
          if (g === null) continue;
          if (g.substr(0, 14) === 'mozilliansorg_' || g.substr(0, 5) === 'hris_') merged.push(g);
        }
        for (i = 0; i < stored.groups.length; ++i) merged.push(stored.groups[i]);
        return finish(merged);
      },
    );
  } else {
    return finish();
  }

  function finish(newGroups) {
    user.app_metadata = user.app_metadata || {};
    if (newGroups !== undefined) {
      user.groups = newGroups;
      user.app_metadata.groups = newGroups;
      auth0.users.updateAppMetadata(user.user_id, user.app_metadata).catch(function (err) {
        console.log('CIS: Error updating app_metadata (groups) for user ' + user.user_id + ': ' + err);
      });
    }

    user.email_aliases = undefined;
    user.dn = undefined;
    user.organizationUnits = undefined;

    legacyClaims.forEach(function (claim) {
      try {
        if (skipClients.indexOf(context.clientID) < 0) context.idToken[ns + claim] = user[claim];
      } catch (e) {
        console.log('Undefined claim (non-fatal): ' + e);
      }
    });

    user.aai = user.aai || [];
    context.idToken[ns + 'AAI'] = user.aai;
    user.aal = user.aal || 'UNKNOWN';
    context.idToken[ns + 'AAL'] = user.aal;

    var verificationClients = ['HvN5D3R64YNNhvcHKuMKny1O0KJZOOwH', 't9bMi4eTCPpMp5Y6E1Lu92iVcqU0r1P1', 'jijaIzcZmFCDRtV74scMb9lI87MtYNTA'];
    if (verificationClients.indexOf(context.clientID) >= 0) {
      var originalId = user.user_id;
      if (user.identities && user.identities.length > 1) {
        for (var k = 0; k < user.identities.length; k++) {
          var idn = user.identities[k];
          if (idn.connection === context.connection && idn.provider === context.connectionStrategy) {
            if (idn.profileData !== undefined) originalId = idn.provider + '|' + idn.user_id;
            break;
          }
        }
      }
      context.idToken[ns + 'original_connection_user_id'] = originalId;
    }

    context.idToken[ns + 'README_FIRST'] =
      'Please refer to https://github.com/mozilla-iam/person-api in order to query Mozilla IAM CIS user profile data';
    return callback(null, user, context);
  }
}
