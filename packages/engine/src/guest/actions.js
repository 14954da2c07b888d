// Auth0's post-login Actions, after the rules, in the same run: `exports.onExecutePostLogin(event,
// api)` of each action in order, under the run's time budget, caps and host budget. The `event` is
// built from what the rules left (`user`, `context`), in the shape Auth0's post-login event
// reference documents; `api` writes into the same `context` the rules wrote (claims, scope,
// multifactor, redirect, primaryUser), so the result, the claims policy and every check of the
// rules' pipeline apply to actions unchanged. docs/actions.md describes the mapping.

/**
 * The actions, in pipeline order: each one's module factory `(exports, require, module) => …`, and
 * the module once loaded (once per isolate, inside the first run that needs it).
 * @type {{ name: string, factory: Function, settings: ActionSettings, module: { exports: any } | undefined }[]}
 */
const actions = []

function registerAction(name, factory) {
  if (typeof factory !== 'function') return false
  let found
  for (let i = 0; i < settings.actions.length; i++) if (settings.actions[i].name === name) found = settings.actions[i]
  if (found === undefined) return false
  push(actions, { name: name, factory: factory, settings: found, module: undefined })
  // The host's names list the rules first, then the actions (lib/sandbox.ts).
  ReflectApply(MapSet, ruleIndex, [name, rules.length + actions.length])
  return true
}

// ---- the event ------------------------------------------------------------------------------------
/** Fields of the Rules user profile that the Actions `event.user` does not have (they are in `event.stats` / `event.request`). */
const RULES_ONLY_USER_FIELDS = ['logins_count', 'last_login', 'last_ip']

function isRecord(value) {
  return value !== null && typeof value === 'object' && !ArrayIsArray(value)
}
// A JSON copy of what the rules left (own data only, as the result's serializer reads it), or undefined.
function jsonCopy(value) {
  if (value === undefined) return undefined
  let text
  try {
    text = serialize(value, 'event', false, settings.maxUserBytes)
  } catch (e) {
    return undefined
  }
  return text === undefined ? undefined : JSONParse(text)
}
function copyRecord(value) {
  const copy = jsonCopy(value)
  return isRecord(copy) ? copy : {}
}
// country_code → countryCode: Rules spell geoip in snake case, Actions in camel case.
function camelKeys(record) {
  const out = {}
  const keys = ObjectKeys(record)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const camel = StringPrototypeReplace(key, /_([a-z0-9])/g, function (_, c) {
      return StringPrototypeToUpperCase(c)
    })
    define(out, camel, record[key])
  }
  return out
}
function scopesOf(value) {
  const out = []
  if (typeof value !== 'string') return out
  const parts = StringPrototypeSplit(value, /\s+/)
  for (let i = 0; i < parts.length; i++) if (parts[i] !== '' && ArrayPrototypeIndexOf(out, parts[i]) === -1) push(out, parts[i])
  return out
}
function setIf(obj, key, value) {
  if (value !== undefined) define(obj, key, value)
}
function stringOr(value, fallback) {
  return typeof value === 'string' ? value : fallback
}

// The event every action of the run starts from, as JSON text (each action parses its own copy).
function eventBase(r) {
  const c = r.context
  const user = copyRecord(r.user)
  for (let i = 0; i < RULES_ONLY_USER_FIELDS.length; i++) delete user[RULES_ONLY_USER_FIELDS[i]]
  if (!isRecord(own(user, 'app_metadata'))) define(user, 'app_metadata', {})
  if (!isRecord(own(user, 'user_metadata'))) define(user, 'user_metadata', {})
  const event = {}
  define(event, 'user', user)

  const clientID = own(c, 'clientID')
  define(event, 'client', { client_id: clientID, name: stringOr(own(c, 'clientName'), clientID), metadata: copyRecord(own(c, 'clientMetadata')) })

  const connectionName = own(c, 'connection')
  if (typeof connectionName === 'string') {
    const connection = {}
    setIf(connection, 'id', stringOr(own(c, 'connectionID'), undefined))
    define(connection, 'name', connectionName)
    setIf(connection, 'strategy', stringOr(own(c, 'connectionStrategy'), undefined))
    define(connection, 'metadata', copyRecord(own(c, 'connectionMetadata')))
    define(event, 'connection', connection)
  }

  const request = copyRecord(own(c, 'request'))
  const body = copyRecord(own(request, 'body'))
  const query = copyRecord(own(request, 'query'))
  const eventRequest = {}
  setIf(eventRequest, 'ip', stringOr(own(request, 'ip'), undefined))
  setIf(eventRequest, 'hostname', stringOr(own(request, 'hostname'), undefined))
  setIf(eventRequest, 'user_agent', stringOr(own(request, 'userAgent'), undefined))
  setIf(eventRequest, 'method', stringOr(own(request, 'method'), undefined))
  setIf(eventRequest, 'language', stringOr(own(request, 'language'), undefined))
  define(eventRequest, 'query', query)
  define(eventRequest, 'body', body)
  const geoip = own(request, 'geoip')
  if (isRecord(geoip)) define(eventRequest, 'geoip', camelKeys(geoip))
  define(event, 'request', eventRequest)

  const transaction = {}
  define(transaction, 'protocol', own(c, 'protocol'))
  define(transaction, 'requested_scopes', scopesOf(own(body, 'scope') !== undefined ? own(body, 'scope') : own(query, 'scope')))
  const uiLocales = scopesOf(own(body, 'ui_locales') !== undefined ? own(body, 'ui_locales') : own(query, 'ui_locales'))
  // Auth0 picks the locale from the tenant's languages; without a browser only ui_locales asks for one, else the default, English.
  define(transaction, 'locale', uiLocales.length > 0 ? uiLocales[0] : 'en')
  if (uiLocales.length > 0) define(transaction, 'ui_locales', uiLocales)
  define(event, 'transaction', transaction)

  const authentication = own(c, 'authentication')
  if (isRecord(authentication)) define(event, 'authentication', copyRecord(authentication))
  const authorization = own(c, 'authorization')
  if (isRecord(authorization)) {
    const roles = jsonCopy(own(authorization, 'roles'))
    define(event, 'authorization', { roles: ArrayIsArray(roles) ? roles : [] })
  }
  const stats = own(c, 'stats')
  const logins = isRecord(stats) ? own(stats, 'loginsCount') : undefined
  if (typeof logins === 'number') define(event, 'stats', { logins_count: logins })
  const organization = own(c, 'organization')
  if (isRecord(organization)) define(event, 'organization', copyRecord(organization))
  const audience = own(body, 'audience') !== undefined ? own(body, 'audience') : own(query, 'audience')
  if (typeof audience === 'string' && audience !== '') define(event, 'resource_server', { identifier: audience })
  const tenant = own(c, 'tenant')
  if (typeof tenant === 'string') define(event, 'tenant', { id: tenant })
  return plain(event)
}

// One action's own event: the run's, with the metadata earlier actions set, its secrets and configuration.
function eventFor(flow, action) {
  const event = JSONParse(flow.baseText)
  const user = own(event, 'user')
  applyPatch(own(user, 'app_metadata'), flow.app)
  applyPatch(own(user, 'user_metadata'), flow.userMeta)
  define(event, 'secrets', copyRecord(action.settings.secrets))
  define(event, 'configuration', copyRecord(action.settings.configuration))
  return event
}
function applyPatch(target, patch) {
  ReflectApply(MapForEach, patch, [
    function (text, key) {
      if (text === 'null') delete target[key]
      else define(target, key, JSONParse(text))
    },
  ])
}

// ---- the api --------------------------------------------------------------------------------------
// An engine limitation, not an Auth0 one: the method exists at Auth0 but cannot work here.
function unsupported(what, why) {
  return function () {
    const err = new ErrorCtor('api.' + what + ' is not supported by the engine: ' + why)
    define(err, 'code', 'ERR_ACTION_API_UNSUPPORTED')
    throw err
  }
}
function tokenOf(r, key) {
  const token = own(r.context, key)
  if (token !== null && typeof token === 'object') return token
  const fresh = {}
  define(r.context, key, fresh)
  return fresh
}
function claimName(method, name) {
  if (typeof name !== 'string' || name === '') throw new TypeErrorCtor(method + ': the claim name must be a non-empty string.')
  return name
}
function scopeName(method, scope) {
  if (typeof scope !== 'string' || scope === '') throw new TypeErrorCtor(method + ': the scope must be a non-empty string.')
  return scope
}
// The access token's scopes as they stand: what the rules or earlier calls set, else what the client asked for.
function currentScopes(r, flow) {
  const scope = own(tokenOf(r, 'accessToken'), 'scope')
  if (typeof scope === 'string') return scopesOf(scope)
  if (ArrayIsArray(scope)) {
    const out = []
    for (let i = 0; i < scope.length; i++) {
      const parts = scopesOf(own(scope, i))
      for (let j = 0; j < parts.length; j++) if (ArrayPrototypeIndexOf(out, parts[j]) === -1) push(out, parts[j])
    }
    return out
  }
  return scopesOf(ArrayPrototypeJoin(own(own(JSONParse(flow.baseText), 'transaction'), 'requested_scopes'), ' '))
}
/** @param {'AppMetadata' | 'UserMetadata'} kind */
function metadataSetter(r, flow, kind) {
  const method = 'api.user.set' + kind
  const root = kind === 'AppMetadata' ? 'app_metadata' : 'user_metadata'
  return function (key, value) {
    if (typeof key !== 'string' || key === '') throw new TypeErrorCtor(method + ': the key must be a non-empty string.')
    const why = badMetadataKey(key)
    if (why !== undefined) throw new TypeErrorCtor(method + ': ' + keysText([root, key]) + ' ' + why + '.')
    if (value === undefined) return this
    let text = 'null'
    if (value !== null) {
      const copy = metadataCopy(value, keysText([root, key]))
      if (typeof copy !== 'string') throw new TypeErrorCtor(method + ': ' + keysText(copy.keys) + ' ' + copy.message + '.')
      text = copy
    }
    if (!flow.ended) ReflectApply(MapSet, kind === 'AppMetadata' ? flow.app : flow.userMeta, [key, text])
    return this
  }
}
function cacheKey(method, key) {
  if (typeof key !== 'string') throw new TypeErrorCtor(method + ': the key must be a string.')
  return key
}

function makeApi(r, flow, action) {
  /** @type {any} */
  const api = {}
  const open = function () {
    return !r.finished && !flow.ended
  }
  define(api, 'access', {
    deny: function deny(reason) {
      // The first denial wins; the action runs to its end, then no other action runs.
      if (open() && flow.denial === undefined) flow.denial = { reason: safeString(reason === undefined ? '' : reason, 4096), action: action.name }
      return api
    },
  })
  define(api, 'accessToken', {
    setCustomClaim: function setCustomClaim(name, value) {
      const claim = claimName('api.accessToken.setCustomClaim', name)
      if (claim === 'scope')
        throw new TypeErrorCtor("api.accessToken.setCustomClaim: 'scope' is the token's scopes: use api.accessToken.addScope / removeScope.")
      if (open()) define(tokenOf(r, 'accessToken'), claim, value)
      return api
    },
    addScope: function addScope(scope) {
      const name = scopeName('api.accessToken.addScope', scope)
      if (open()) {
        const scopes = currentScopes(r, flow)
        if (ArrayPrototypeIndexOf(scopes, name) === -1) push(scopes, name)
        define(tokenOf(r, 'accessToken'), 'scope', ArrayPrototypeJoin(scopes, ' '))
      }
      return api
    },
    removeScope: function removeScope(scope) {
      const name = scopeName('api.accessToken.removeScope', scope)
      if (open()) {
        const scopes = ArrayPrototypeFilter(currentScopes(r, flow), function (s) {
          return s !== name
        })
        define(tokenOf(r, 'accessToken'), 'scope', ArrayPrototypeJoin(scopes, ' '))
      }
      return api
    },
  })
  define(api, 'idToken', {
    setCustomClaim: function setCustomClaim(name, value) {
      const claim = claimName('api.idToken.setCustomClaim', name)
      if (open()) define(tokenOf(r, 'idToken'), claim, value)
      return api
    },
  })
  define(api, 'multifactor', {
    enable: function enable(provider, options) {
      if (typeof provider !== 'string' || provider === '') throw new TypeErrorCtor('api.multifactor.enable: the provider must be a non-empty string.')
      const remember = options !== null && typeof options === 'object' ? own(options, 'allowRememberBrowser') : undefined
      if (remember !== undefined && typeof remember !== 'boolean')
        throw new TypeErrorCtor('api.multifactor.enable: options.allowRememberBrowser must be a boolean.')
      if (open()) define(r.context, 'multifactor', { provider: provider, allowRememberBrowser: remember === true })
      return api
    },
  })
  define(api, 'user', {
    setAppMetadata: metadataSetter(r, flow, 'AppMetadata'),
    setUserMetadata: metadataSetter(r, flow, 'UserMetadata'),
  })
  // The setters return `this` (the api.user object); Auth0 returns the api.
  const user = own(api, 'user')
  const setApp = own(user, 'setAppMetadata')
  const setUser = own(user, 'setUserMetadata')
  define(user, 'setAppMetadata', function setAppMetadata(key, value) {
    ReflectApply(setApp, undefined, [key, value])
    return api
  })
  define(user, 'setUserMetadata', function setUserMetadata(key, value) {
    ReflectApply(setUser, undefined, [key, value])
    return api
  })
  define(api, 'cache', {
    get: function get(key) {
      return callHost('$actions.cache.get', [cacheKey('api.cache.get', key)])
    },
    set: function set(key, value, options) {
      const name = cacheKey('api.cache.set', key)
      if (typeof value !== 'string') throw new TypeErrorCtor('api.cache.set: the value must be a string.')
      const ttl = options !== null && typeof options === 'object' ? own(options, 'ttl') : undefined
      const expiresAt = options !== null && typeof options === 'object' ? own(options, 'expires_at') : undefined
      return callHost('$actions.cache.set', [name, value, ttl, expiresAt])
    },
    delete: function del(key) {
      return callHost('$actions.cache.delete', [cacheKey('api.cache.delete', key)])
    },
  })
  define(api, 'redirect', {
    sendUserTo: function sendUserTo(url, options) {
      if (typeof url !== 'string' || url === '') throw new TypeErrorCtor('api.redirect.sendUserTo: the url must be a non-empty string.')
      if (!open()) return api
      // Without a browser there is nowhere to send the user: refused as a rule's context.redirect is.
      if (r.noBrowser) {
        finish(r, { code: 'ERR_REDIRECT_UNSUPPORTED', message: 'redirect', rule: action.name })
        return api
      }
      let target = url
      const query = options !== null && typeof options === 'object' ? own(options, 'query') : undefined
      if (isRecord(query)) {
        const keys = ObjectKeys(query)
        for (let i = 0; i < keys.length; i++) {
          const sep = i === 0 && StringPrototypeIndexOf(target, '?') === -1 ? '?' : '&'
          target += sep + EncodeURIComponent(keys[i]) + '=' + EncodeURIComponent(safeString(own(query, keys[i]), 4096))
        }
      }
      define(r.context, 'redirect', { url: target })
      return api
    },
    encodeToken: unsupported('redirect.encodeToken', 'it signs the token of a redirect, and the engine answers without a browser.'),
    validateToken: unsupported('redirect.validateToken', 'it belongs to onContinuePostLogin, which never runs without a browser.'),
  })
  define(api, 'authentication', {
    setPrimaryUser: function setPrimaryUser(userId) {
      if (typeof userId !== 'string' || userId === '') throw new TypeErrorCtor('api.authentication.setPrimaryUser: the user id must be a non-empty string.')
      if (open()) define(r.context, 'primaryUser', userId)
      return api
    },
    challengeWith: unsupported('authentication.challengeWith', 'it needs a browser; use api.multifactor.enable.'),
    challengeWithAny: unsupported('authentication.challengeWithAny', 'it needs a browser; use api.multifactor.enable.'),
    enrollWith: unsupported('authentication.enrollWith', 'it needs a browser.'),
    enrollWithAny: unsupported('authentication.enrollWithAny', 'it needs a browser.'),
    recordMethod: unsupported('authentication.recordMethod', 'it belongs to onContinuePostLogin, which never runs without a browser.'),
  })
  define(api, 'prompt', { render: unsupported('prompt.render', 'forms need a browser.') })
  define(api, 'rules', {
    wasExecuted: function wasExecuted(ruleId) {
      if (typeof ruleId !== 'string') throw new TypeErrorCtor('api.rules.wasExecuted: the rule id must be a string.')
      for (let i = 0; i < r.timings.length; i++) {
        const name = r.timings[i].name
        const id = hasOwnData(settings.ruleIds, name) ? settings.ruleIds[name] : name
        if (id === ruleId) return true
      }
      return false
    },
  })
  return api
}

// ---- the pipeline ---------------------------------------------------------------------------------
function actionRequire(action) {
  const pinned = action.settings.dependencies
  const actionRequireFn = function (spec) {
    if (typeof spec !== 'string') throw new TypeErrorCtor('The "id" argument must be of type string.')
    const parsed = parseSpec(spec)
    // A declared dependency loads exactly the version the action declares.
    // (Called through ReflectApply: a direct call of `require` would make TypeScript read this file as CommonJS.)
    if (parsed.version === undefined && hasOwnData(pinned, parsed.name)) return ReflectApply(require, undefined, [parsed.name + '@' + pinned[parsed.name]])
    return ReflectApply(require, undefined, [spec])
  }
  addRequireSurface(actionRequireFn)
  return actionRequireFn
}
// The action's handler: its module is evaluated once per isolate, in the first run that needs it.
function handlerOf(action) {
  if (action.module === undefined) {
    /** @type {{ exports: any }} */
    const cjs = { exports: {} }
    ReflectApply(action.factory, cjs.exports, [cjs.exports, actionRequire(action), cjs])
    action.module = cjs
  }
  const exported = action.module.exports
  const handler = exported !== null && (typeof exported === 'object' || typeof exported === 'function') ? exported.onExecutePostLogin : undefined
  return typeof handler === 'function' ? { fn: handler, self: exported } : undefined
}

function startActions(r) {
  let baseText
  try {
    baseText = eventBase(r)
  } catch (e) {
    finish(r, {
      code: 'ERR_RULE_RESULT_INVALID',
      message: 'The rules left a user or context the engine cannot read: ' + describeThrown(e).message,
      path: '',
      rule: null,
    })
    return
  }
  r.flow = { index: 0, timings: [], denial: undefined, app: new MapCtor(), userMeta: new MapCtor(), baseText: baseText, ended: false }
  nextAction(r)
}

function nextAction(r) {
  const flow = r.flow
  if (r.finished) return
  if (flow.denial !== undefined || flow.index >= actions.length) {
    endActions(r)
    return
  }
  const action = actions[flow.index]
  const startedAt = now()
  const state = { settled: false }
  setCurrentRule(r, action.name)
  function done() {
    if (r.finished || state.settled) return
    state.settled = true
    push(flow.timings, { name: action.name, durationMs: now() - startedAt })
    flow.index++
    nextAction(r)
  }
  function failed(thrown) {
    if (r.finished) return
    if (state.settled) {
      warn(r, {
        code: 'RULE_THREW_AFTER_CALLBACK',
        rule: action.name,
        message: "Action '" + action.name + "' threw after it finished: " + describeThrown(thrown).message,
      })
      return
    }
    state.settled = true
    push(flow.timings, { name: action.name, durationMs: now() - startedAt })
    finish(r, classifyThrown(thrown, action.name))
  }
  r.currentFailed = failed
  let returned
  try {
    const handler = handlerOf(action)
    if (handler === undefined) {
      done()
      return
    }
    returned = ReflectApply(handler.fn, handler.self, [eventFor(flow, action), makeApi(r, flow, action)])
  } catch (e) {
    failed(e)
    return
  }
  if (returned !== null && typeof returned === 'object') {
    try {
      ReflectApply(PromiseThen, returned, [done, failed])
      return
    } catch (e) {
      /* not a promise: the action is done */
    }
  }
  done()
}

// Every action ran, or one denied: write the metadata they set (once per kind), then answer.
function endActions(r) {
  const flow = r.flow
  flow.ended = true
  setCurrentRule(r, null)
  r.currentFailed = null
  let writes = 0
  let written = 0
  const denial = flow.denial
  const afterWrite = function () {
    written++
    if (written === writes && !r.finished && denial !== undefined) finish(r, { code: 'ERR_RULE_DENIED', message: denial.reason, rule: denial.action })
  }
  const kinds = [
    { patch: flow.app, id: '$auth0.updateAppMetadata', root: 'app_metadata' },
    { patch: flow.userMeta, id: '$auth0.updateUserMetadata', root: 'user_metadata' },
  ]
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]
    if (ReflectApply(MapSize, kind.patch, []) === 0) continue
    let text = '{'
    ReflectApply(MapForEach, kind.patch, [
      function (value, key) {
        text += (text === '{' ? '' : ',') + JSONStringify(key) + ':' + value
      },
    ])
    text += '}'
    const userId = own(JSONParse(flow.baseText).user, 'user_id')
    let pending
    try {
      r.metadataUpdates++
      pending = callHost(/** @type {'$auth0.updateAppMetadata'} */ (kind.id), [StringCtor(userId), text], true)
    } catch (e) {
      finish(r, classifyThrown(e, null))
      return
    }
    writes++
    ReflectApply(PromiseThen, pending, [afterWrite, afterWrite])
    patchResultUser(r, kind.root, kind.patch)
  }
  if (denial !== undefined) {
    if (writes === 0) finish(r, { code: 'ERR_RULE_DENIED', message: denial.reason, rule: denial.action })
    return
  }
  complete(r)
}
// The result's user shows the metadata as written.
function patchResultUser(r, root, patch) {
  const user = copyRecord(r.user)
  const current = own(user, root)
  const meta = isRecord(current) ? current : {}
  applyPatch(meta, patch)
  define(user, root, meta)
  r.user = user
}

function actionsTrailer(r) {
  if (actions.length === 0) return ''
  const timings = r.flow === undefined ? [] : r.flow.timings
  let text = ',"actions":['
  for (let i = 0; i < timings.length; i++) {
    text += (i === 0 ? '' : ',') + '{"name":' + JSONStringify(timings[i].name) + ',"durationMs":' + JSONStringify(timings[i].durationMs) + '}'
  }
  return text + ']'
}
