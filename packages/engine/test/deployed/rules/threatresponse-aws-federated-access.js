/**
 * Origin: github.com/ThreatResponse/auth0-rules dist/aws-federated-access.js @ 858d9e862aae23943f38b78cd0017a43e0311053   (tenant repo: rules-es/ and common/ bundled by gulp into dist/, uploaded by Travis CI "managed by continuous release / continuous integration")
 * AWS federation over SAML for one client: two allowed addresses get every IAM role whose `users`
 * (or `groups`) list names them, paired with the account's SAML provider ARN, plus a 12-hour session.
 * Quirks kept: the bundler's wrapper (a 3-argument function that calls the rule with a config
 * object first); the bundle requires request-promise, js-yaml and array.prototype.flatten at the
 * top although this path only uses flatten; the role map is inlined by the bundler.
 */
function __bundlerWrapper(__bundlerArg1, __bundlerArg2, __bundlerCallback) {
  'use strict'
  var __bundlerConfig = { baseUrl: 'https://ephemeralsystems.auth0.com' }

  var request = require('request-promise')
  var yaml = require('js-yaml')
  var flatten = require('array.prototype.flatten')

  function AccountRoles() {
    this.account_roles = []
  }
  AccountRoles.prototype.load_url = function (url) {
    var self = this
    return request(url)
      .then(function (text) {
        return self.account_roles.push(yaml.safeLoad(text)['federated-access'])
      })
      .catch(function (error) {
        console.log('something went wrong loading from: ', url)
        console.log(error.message)
      })
  }
  AccountRoles.prototype.load = function (map) {
    return this.account_roles.push(map.federated_access)
  }
  AccountRoles.prototype.match = function (who) {
    var perAccount = this.account_roles.map(function (account) {
      return account.roles.map(function (role) {
        var arn = Object.keys(role)[0]
        var listed = function (list) {
          return (
            list &&
            list.some(function (entry) {
              return entry === who
            })
          )
        }
        if (listed(role[arn].users) || listed(role[arn].groups)) {
          return [arn, account.auth_provider_arn].join(',')
        }
      })
    })
    return flatten(perAccount).filter(function (r) {
      return r
    })
  }

  var roleMap = {
    federated_access: {
      account_id: 576309420438,
      auth_provider_arn: 'arn:aws:iam::576309420438:saml-provider/Auth0',
      roles: [
        { 'arn:aws:iam::576309420438:role/FederatedAWSAccountAdmin': { groups: null, users: ['jeffparr100@gmail.com', 'andrewkrug@gmail.com'] } },
        { 'arn:aws:iam::576309420438:role/FederatedAWSAccountRead': { groups: null, users: ['jeffparr100@gmail.com', 'andrewkrug@gmail.com'] } },
      ],
    },
  }

  function AwsFederatedAccess(config, user, context, callback) {
    var CLIENT_IDS = ['ju4KXE1fPksWMDRJbphK6Tfl3LPKBGul']
    if (CLIENT_IDS.indexOf(context.clientID) === -1) {
      return callback(null, user, context)
    }
    var allowed = ['andrewkrug@gmail.com', 'jeffparr100@gmail.com']
    if (
      !allowed.some(function (email) {
        return email === user.email
      })
    ) {
      return callback(new UnauthorizedError('Access denied.'))
    }
    var roles = new AccountRoles()
    roles.load(roleMap)
    user.awsRole = roles.match(user.email)
    user.awsRoleSession = user.email
    context.samlConfiguration.mappings = {
      'https://aws.amazon.com/SAML/Attributes/Role': 'awsRole',
      'https://aws.amazon.com/SAML/Attributes/RoleSessionName': 'awsRoleSession',
      'https://aws.amazon.com/SAML/Attributes/SessionDuration': '43200',
    }
    return callback(null, user, context)
  }

  AwsFederatedAccess(__bundlerConfig, __bundlerArg1, __bundlerArg2, __bundlerCallback)
}
