import { describe, expect, it } from 'vitest'
import { createRuleRunner, runRules } from '@tokenrules/testing/vitest'
import { rule } from './settings.js'

describe('what goes in the tokens', () => {
  it('puts the roles in both tokens, namespaced', async () => {
    const result = await runRules({ files: [rule('04-add-roles.js')], user: { app_metadata: { roles: ['editor'] } } })
    expect(result).toHaveClaim('accessToken', 'https://acme.example/roles', ['editor'])
    expect(result).toHaveClaim('idToken', 'https://acme.example/roles', ['editor'])
  })

  describe('scopes follow the roles', () => {
    // One compiled rule for the whole block: faster than a runRules per test.
    const runner = createRuleRunner({ files: [rule('05-scopes-from-roles.js')] })
    const login = async (roles: string[], scope: string) => (await runner).run({ user: { app_metadata: { roles } }, context: { request: { body: { scope } } } })

    it('grants readers only what they may read', async () => {
      expect(await login(['reader'], 'openid read:reports write:reports admin:users')).toHaveScopes(['openid', 'read:reports'])
    })

    it('grants editors reading and writing', async () => {
      expect(await login(['editor'], 'openid profile read:reports write:reports')).toHaveScopes(['openid', 'profile', 'read:reports', 'write:reports'])
    })

    it('never grants a scope that was not requested', async () => {
      expect(await login(['admin'], 'openid')).toHaveScopes(['openid'])
    })
  })

  it('adds the display preferences with lodash, only when there are some', async () => {
    const files = [rule('15-profile-preferences.js')]
    const modules = { packages: ['lodash'] }
    const withPrefs = await runRules({ files, modules, user: { user_metadata: { theme: 'dark', locale: 'fr-FR', newsletter: true } } })
    expect(withPrefs).toHaveClaim('idToken', 'https://acme.example/preferences', { theme: 'dark', locale: 'fr-FR' })
    const without = await runRules({ files, modules, user: { user_metadata: {} } })
    expect(without).not.toHaveClaim('idToken', 'https://acme.example/preferences')
  })

  describe('organizations', () => {
    const organization = { id: 'org_W9xY8z', name: 'globex', display_name: 'Globex Corporation' }

    it('adds the organization to the tokens of its members', async () => {
      const result = await runRules({
        files: [rule('10-organization-claims.js')],
        user: { app_metadata: { organizations: ['org_W9xY8z'] } },
        context: { organization },
      })
      expect(result).toHaveClaim('accessToken', 'https://acme.example/org_id', 'org_W9xY8z')
      expect(result).toHaveClaim('idToken', 'https://acme.example/org_name', 'globex')
    })

    it('refuses people who are not members', async () => {
      await expect(runRules({ files: [rule('10-organization-claims.js')], context: { organization } })).toDenyWith(
        'ERR_RULE_UNAUTHORIZED',
        'You are not a member of Globex Corporation.',
      )
    })
  })

  it('shows what the claims policy drops (a claim without namespace)', async () => {
    const result = await runRules({
      rules: [
        `function (user, context, callback) {
        context.idToken.favourite_colour = user.user_metadata.colour;
        callback(null, user, context);
      }`,
      ],
      user: { user_metadata: { colour: 'teal' } },
    })
    expect(result).toDropClaim('favourite_colour', 'not-namespaced')
    expect(result).not.toHaveClaim('idToken', 'favourite_colour')
  })
})
