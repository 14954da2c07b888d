import { builtinModules } from 'node:module'
import { parse } from 'acorn'
import { stripTrailingSemicolon } from '../lib/guest-wrapper.js'
import { children, FUNCTION_TYPES, lineOf, walk, type AstNode } from '../check/ast.js'

/**
 * Something of the rule `convertRule` did not translate (`untranslated`: the action keeps the
 * rule's text there behind a `TODO(tokenrules convert)` comment and will not run as the rule did
 * until a person rewrites it), or translated with a difference Auth0 documents (`changed`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { convertRule, type ConversionNote } from '@tokenrules/testing'
 *
 * const { notes } = convertRule(`function (user, context, callback) {
 *   global.seen = true;
 *   callback(null, user, context);
 * }`)
 * const note: ConversionNote | undefined = notes[0]
 * assert.equal(note?.kind, 'untranslated')
 * assert.equal(note?.line, 2)
 * assert.equal(note?.code, 'global')
 * ```
 */
export interface ConversionNote {
  /** `untranslated`: the action does not do this part of the rule; `changed`: it does, differently (the message says how). */
  kind: 'untranslated' | 'changed'
  /** 1-based line in the rule's source. */
  line: number
  /** 1-based column in the rule's source. */
  column: number
  /** The rule's text it is about (shortened). */
  code: string
  /** What was not translated, or what differs, and what to do about it. */
  message: string
}

/**
 * What `convertRule` made of a rule: the action's module, whether the translation is complete,
 * every note, and what to declare with the action (its secrets and npm dependencies).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { convertRule, type ConvertedRule } from '@tokenrules/testing'
 *
 * const converted: ConvertedRule = convertRule(`function addTier(user, context, callback) {
 *   const moment = require('moment@2.29.4');
 *   context.accessToken[configuration.NAMESPACE + '/tier'] = user.app_metadata.tier;
 *   callback(null, user, context);
 * }`)
 * assert.equal(converted.complete, true)
 * assert.deepEqual(converted.secrets, ['NAMESPACE'])
 * assert.deepEqual(converted.dependencies, [{ name: 'moment', version: '2.29.4' }])
 * assert.ok(converted.code.includes("api.accessToken.setCustomClaim(event.secrets.NAMESPACE + '/tier', event.user.app_metadata.tier);"))
 * ```
 */
export interface ConvertedRule {
  /** The action: CommonJS setting `exports.onExecutePostLogin = async (event, api) => { … }`. */
  code: string
  /** `true` when no note is `untranslated`: the action does what the rule did. */
  complete: boolean
  /** Every part of the rule the action does not do, or does differently, in source order. */
  notes: ConversionNote[]
  /** The `configuration` keys the rule reads, which the action reads as `event.secrets` (declare them as its secrets). */
  secrets: string[]
  /** Modules the rule requires besides Node's built-ins (declare them as its dependencies; `version` when the rule pinned one). */
  dependencies: { name: string; version?: string }[]
}

/**
 * Options of {@link convertRule}.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { convertRule, type ConvertRuleOptions } from '@tokenrules/testing'
 *
 * const options: ConvertRuleOptions = { name: 'add-roles' }
 * const { code } = convertRule('function (user, context, callback) { callback(null, user, context); }', options)
 * assert.ok(code.startsWith("/**\n * Converted from the rule 'add-roles' by tokenrules convert."))
 * ```
 */
export interface ConvertRuleOptions {
  /** The rule's name, written in the action's header comment. Default: the function's name, else `rule`. */
  name?: string | undefined
}

/**
 * The error `convertRule` throws when the source is not a rule it can read (it does not parse, it
 * is not one function, its parameters are destructured), with the line when there is one.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { convertRule, RuleConversionError } from '@tokenrules/testing'
 *
 * assert.throws(
 *   () => convertRule('function (user, context, callback) {\n  callback(null, user, context;\n}'),
 *   (error) => error instanceof RuleConversionError && error.line === 2 && /does not parse/.test(error.message),
 * )
 * ```
 */
export class RuleConversionError extends Error {
  /** Always `'RuleConversionError'`. */
  override readonly name = 'RuleConversionError'
  /** The 1-based line of the rule's source the error is about, when it is about one. */
  readonly line: number | undefined
  /** A conversion error with its message and, when known, the rule's line. */
  constructor(message: string, line?: number) {
    super(message)
    this.line = line
  }
}

/** The rule's `context` fields and the `event` paths Auth0's migration guide maps them to. */
const CONTEXT_FIELDS: Record<string, string> = {
  clientID: 'event.client.client_id',
  clientName: 'event.client.name',
  clientMetadata: 'event.client.metadata',
  connection: 'event.connection.name',
  connectionID: 'event.connection.id',
  connectionStrategy: 'event.connection.strategy',
  connectionMetadata: 'event.connection.metadata',
  protocol: 'event.transaction.protocol',
  tenant: 'event.tenant.id',
  authorization: 'event.authorization',
  organization: 'event.organization',
  authentication: 'event.authentication',
}
const REQUEST_FIELDS: Record<string, string> = {
  ip: 'event.request.ip',
  hostname: 'event.request.hostname',
  userAgent: 'event.request.user_agent',
  query: 'event.request.query',
  body: 'event.request.body',
  geoip: 'event.request.geoip',
  language: 'event.request.language',
}
/** Rules' snake_case geoip fields, camelCase in Actions. */
const GEOIP_FIELDS: Record<string, string> = {
  country_code: 'countryCode',
  country_code3: 'countryCode3',
  country_name: 'countryName',
  city_name: 'cityName',
  latitude: 'latitude',
  longitude: 'longitude',
  time_zone: 'timeZone',
  continent_code: 'continentCode',
  subdivision_code: 'subdivisionCode',
  subdivision_name: 'subdivisionName',
}
/** `user` fields Rules had that are not on an action's `event.user`. */
const USER_MOVED: Record<string, string | undefined> = {
  logins_count: 'event.stats.logins_count',
  last_login: undefined,
  last_ip: undefined,
}
const NOTE_PREFIX = 'TODO(tokenrules convert)'

interface Params {
  user: string | undefined
  context: string | undefined
  callback: string | undefined
}

/**
 * Turn an Auth0 rule into the equivalent post-login action where the translation is mechanical
 * (`tokenrules convert`), and say exactly what it could not translate. Translated:
 *
 * - `function (user, context, callback) { … }` → `exports.onExecutePostLogin = async (event, api) => { … }`;
 * - `context.idToken[name] = v` / `context.accessToken[name] = v` → `api.idToken.setCustomClaim(name, v)` / `api.accessToken.setCustomClaim(name, v)`;
 * - `callback(null, user, context)` → `return`; `callback(new UnauthorizedError(m))`, `callback(new Error(m))`, `callback('m')` → `return api.access.deny(m)`;
 * - `context.multifactor = { provider, allowRememberBrowser }` → `api.multifactor.enable(provider, { allowRememberBrowser })` (a rule's default `true` written out: an action's is `false`);
 * - `context.redirect = { url }` → `api.redirect.sendUserTo(url)`;
 * - `auth0.users.updateAppMetadata(user.user_id, m)` (awaited, or `.then(() => callback(null, user, context))`) → `api.user.setAppMetadata` for each key of `m`; the same for user_metadata;
 * - `configuration.X` → `event.secrets.X`; `require('x@1.2.3')` → `require('x')` and a dependency;
 * - `user.x` → `event.user.x` (`logins_count` → `event.stats.logins_count`), `context.clientID` → `event.client.client_id`, `context.request.geoip.country_code` → `event.request.geoip.countryCode`, and the rest of Auth0's mapping.
 *
 * Not translated, reported as `untranslated` with its line: a callback inside a nested function
 * (an HTTP callback, a `.then`: the action must `await` the work instead), a callback passing
 * another user or context, an error the rule builds at run time, `global`, other `auth0.*`,
 * context fields without an action equivalent (`sso`, `sessionID`, `primaryUser`, reading the
 * token objects, `accessToken.scope`), `user.last_login` / `user.last_ip`, dynamic `require`.
 * Throws a {@link RuleConversionError} when the source is not a rule.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { convertRule } from '@tokenrules/testing'
 *
 * const { code, complete, notes } = convertRule(`function (user, context, callback) {
 *   if (!user.email_verified) return callback(new UnauthorizedError('Verify your email.'));
 *   context.idToken['https://example.com/country'] = context.request.geoip.country_code;
 *   callback(null, user, context);
 * }`)
 * assert.equal(complete, true)
 * assert.equal(code.split('\n').slice(4).join('\n'), `exports.onExecutePostLogin = async (event, api) => {
 *   if (!event.user.email_verified) return api.access.deny('Verify your email.');
 *   api.idToken.setCustomClaim('https://example.com/country', event.request.geoip.countryCode);
 *   return;
 * };
 * `)
 * assert.deepEqual(notes.map((n) => n.kind), ['changed'])
 * ```
 */
export function convertRule(source: string, options: ConvertRuleOptions = {}): ConvertedRule {
  if (typeof source !== 'string') throw new TypeError('convertRule: source must be a string')
  const script = stripTrailingSemicolon(source)
  const text = `(${script}\n)`
  let program: AstNode
  try {
    program = parse(text, { ecmaVersion: 'latest', sourceType: 'script', locations: true }) as unknown as AstNode
  } catch (error) {
    const loc = (error as { loc?: { line: number } }).loc
    throw new RuleConversionError(`the rule does not parse: ${(error as Error).message}`, loc?.line)
  }
  const statement = program['body'][0] as AstNode | undefined
  const fn = statement?.type === 'ExpressionStatement' ? (statement['expression'] as AstNode) : undefined
  if (fn === undefined || program['body'].length !== 1 || !FUNCTION_TYPES.has(fn.type))
    throw new RuleConversionError('the source is not a rule: one function (user, context, callback) { … }')
  if (fn['body'].type !== 'BlockStatement') throw new RuleConversionError('the rule is an arrow function without a body block')
  const params = (fn['params'] as AstNode[]).map((p) => (p.type === 'Identifier' ? (p['name'] as string) : undefined))
  if ((fn['params'] as AstNode[]).some((p) => p.type !== 'Identifier'))
    throw new RuleConversionError('the rule destructures its parameters: convert reads (user, context, callback) by name')
  const converter = new Converter(text, fn, { user: params[0], context: params[1], callback: params[2] })
  const body = fn['body'] as AstNode
  const rewritten = converter.block(body)
  const name = options.name ?? (fn['id']?.name as string | undefined) ?? 'rule'
  const header = [
    '/**',
    ` * Converted from the rule '${name.replace(/\*\//g, '* /')}' by tokenrules convert.`,
    converter.secrets.size === 0 ? undefined : ` * Secrets (the rule's configuration): ${[...converter.secrets].join(', ')}.`,
    converter.dependencies.size === 0
      ? undefined
      : ` * Dependencies: ${[...converter.dependencies].map(([n, v]) => (v === undefined ? n : `${n}@${v}`)).join(', ')}.`,
    converter.notes.some((n) => n.kind === 'untranslated')
      ? ` * Not translated: every ${NOTE_PREFIX} comment below (rewrite them by hand).`
      : ' * Everything was translated.',
    ' */',
  ].filter((line) => line !== undefined)
  const code = `${header.join('\n')}\nexports.onExecutePostLogin = async (event, api) => {${rewritten}};\n`
  const notes = [...converter.notes].sort((a, b) => a.line - b.line || a.column - b.column)
  return {
    code,
    complete: !notes.some((n) => n.kind === 'untranslated'),
    notes,
    secrets: [...converter.secrets],
    dependencies: [...converter.dependencies].map(([n, v]) => (v === undefined ? { name: n } : { name: n, version: v })),
  }
}

class Converter {
  readonly notes: ConversionNote[] = []
  readonly secrets = new Set<string>()
  readonly dependencies = new Map<string, string | undefined>()
  readonly #text: string
  readonly #fn: AstNode
  readonly #params: Params
  readonly #declared = new Map<AstNode, Set<string>>()
  readonly #noted = new Set<string>()

  constructor(text: string, fn: AstNode, params: Params) {
    this.#text = text
    this.#fn = fn
    this.#params = params
  }

  /** The rule function's body, between its braces, rewritten. */
  block(body: AstNode): string {
    return this.#spliced(body, [this.#fn], body.start + 1, body.end - 1)
  }

  #note(kind: ConversionNote['kind'], node: AstNode, message: string): void {
    const key = `${kind}:${node.start}:${message}`
    if (this.#noted.has(key)) return
    this.#noted.add(key)
    const start = node.loc?.start ?? { line: 1, column: 0 }
    // The parsed text starts with '(' on the rule's first line.
    const column = start.line === 1 ? start.column : start.column + 1
    const code = this.#text.slice(node.start, node.end).replace(/\s+/g, ' ')
    this.notes.push({ kind, line: lineOf(node), column, code: code.length > 80 ? `${code.slice(0, 77)}...` : code, message })
  }

  /**
   * The node behind a TODO comment: its parts translated, or (`raw`) its text exactly as the rule
   * wrote it, for a construct whose parts would only be reported again.
   */
  #untranslated(node: AstNode, ancestors: readonly AstNode[], message: string, raw = false): string {
    this.#note('untranslated', node, message)
    return `/* ${NOTE_PREFIX}: ${message.replace(/\*\//g, '* /')} */ ${raw ? this.#src(node) : this.#rewriteInner(node, ancestors)}`
  }

  /** The source between `from` and `to` with each child of `node` in that range rewritten. */
  #spliced(node: AstNode, ancestors: readonly AstNode[], from: number, to: number): string {
    let out = ''
    let at = from
    const seen = new Set<string>()
    const kids = children(node)
      .filter((c) => c.start >= from && c.end <= to)
      .sort((a, b) => a.start - b.start)
    for (const child of kids) {
      const key = `${child.start}:${child.end}`
      if (seen.has(key) || child.start < at) continue
      seen.add(key)
      out += this.#text.slice(at, child.start) + this.#rewrite(child, [...ancestors, node])
      at = child.end
    }
    return out + this.#text.slice(at, to)
  }

  #rewriteInner(node: AstNode, ancestors: readonly AstNode[]): string {
    if (node.type === 'Property' && node['shorthand'] === true) {
      const value = this.#rewrite(node['value'] as AstNode, [...ancestors, node])
      const key = node['key']['name'] as string
      return value === key ? key : `${key}: ${value}`
    }
    return this.#spliced(node, ancestors, node.start, node.end)
  }

  #src(node: AstNode): string {
    return this.#text.slice(node.start, node.end)
  }

  /** The rewritten text of one node. */
  #rewrite(node: AstNode, ancestors: readonly AstNode[]): string {
    switch (node.type) {
      case 'ExpressionStatement':
      case 'ReturnStatement': {
        const done = this.#statement(node, ancestors)
        if (done !== undefined) return done
        break
      }
      case 'CallExpression': {
        const done = this.#call(node, ancestors)
        if (done !== undefined) return done
        break
      }
      case 'MemberExpression': {
        const done = this.#member(node, ancestors)
        if (done !== undefined) return done
        break
      }
      case 'Identifier': {
        const done = this.#identifier(node, ancestors)
        if (done !== undefined) return done
        break
      }
      case 'ThisExpression':
        if (this.#atRuleLevel(ancestors)) return this.#untranslated(node, ancestors, '`this` in a rule has no equivalent in an action')
        break
      case 'AssignmentExpression': {
        const done = this.#assignment(node, ancestors)
        if (done !== undefined) return done
        break
      }
    }
    return this.#rewriteInner(node, ancestors)
  }

  // ---- what names refer to -------------------------------------------------------------

  /** Names declared directly in a scope node (a function, block, for, catch, switch). */
  #declaredIn(scope: AstNode): Set<string> {
    let names = this.#declared.get(scope)
    if (names !== undefined) return names
    names = new Set<string>()
    const add = (pattern: AstNode | null | undefined) => {
      if (pattern === null || pattern === undefined) return
      walk(pattern, (n) => {
        if (n.type === 'Identifier') names?.add(n['name'] as string)
      })
    }
    const declarations = (statements: readonly AstNode[], functionLevel: boolean) => {
      for (const s of statements) {
        if (s.type === 'VariableDeclaration' && (s['kind'] !== 'var' || functionLevel)) for (const d of s['declarations']) add(d['id'])
        if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s['id'] !== null) names?.add(s['id']['name'] as string)
      }
    }
    if (FUNCTION_TYPES.has(scope.type)) {
      for (const p of scope['params'] as AstNode[]) {
        // A parameter's default value is not a declaration; the names it binds are.
        add(p.type === 'AssignmentPattern' ? p['left'] : p)
      }
      if (scope.type === 'FunctionExpression' && scope['id'] !== null) names.add(scope['id']['name'] as string)
      // var anywhere in the function (not in nested functions) is function-scoped.
      const visit = (n: AstNode) => {
        if (n !== scope && FUNCTION_TYPES.has(n.type)) return
        if (n.type === 'VariableDeclaration' && n['kind'] === 'var') for (const d of n['declarations']) add(d['id'])
        for (const c of children(n)) visit(c)
      }
      if (scope['body'].type === 'BlockStatement') {
        visit(scope['body'])
        declarations(scope['body']['body'], false)
      }
    } else if (scope.type === 'BlockStatement' || scope.type === 'StaticBlock') declarations(scope['body'], false)
    else if (scope.type === 'SwitchStatement')
      declarations(
        (scope['cases'] as AstNode[]).flatMap((c) => c['consequent'] as AstNode[]),
        false,
      )
    else if (scope.type === 'ForStatement' && scope['init']?.type === 'VariableDeclaration' && scope['init']['kind'] !== 'var')
      for (const d of scope['init']['declarations']) add(d['id'])
    else if (
      (scope.type === 'ForInStatement' || scope.type === 'ForOfStatement') &&
      scope['left'].type === 'VariableDeclaration' &&
      scope['left']['kind'] !== 'var'
    )
      for (const d of scope['left']['declarations']) add(d['id'])
    else if (scope.type === 'CatchClause') add(scope['param'])
    this.#declared.set(scope, names)
    return names
  }

  /** What an identifier read refers to: the rule's parameter, a name the rule declares, or a global. */
  #resolve(name: string, ancestors: readonly AstNode[]): 'param' | 'local' | 'global' {
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const scope = ancestors[i] as AstNode
      if (scope === this.#fn) {
        const isParam = (this.#fn['params'] as AstNode[]).some((p) => p.type === 'Identifier' && p['name'] === name)
        if (isParam) return 'param'
        return this.#declaredIn(scope).has(name) ? 'local' : 'global'
      }
      if (this.#declaredIn(scope).has(name)) return 'local'
    }
    return 'global'
  }

  #isParam(node: AstNode | undefined, which: keyof Params, ancestors: readonly AstNode[]): boolean {
    const name = this.#params[which]
    return node?.type === 'Identifier' && name !== undefined && node['name'] === name && this.#resolve(name, ancestors) === 'param'
  }

  #isGlobal(node: AstNode | undefined, name: string, ancestors: readonly AstNode[]): boolean {
    return node?.type === 'Identifier' && node['name'] === name && this.#resolve(name, ancestors) === 'global'
  }

  /** Whether the code at this point runs in the rule's own function (no nested function in between). */
  #atRuleLevel(ancestors: readonly AstNode[]): boolean {
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const a = ancestors[i] as AstNode
      if (a === this.#fn) return true
      if (FUNCTION_TYPES.has(a.type)) return false
    }
    return false
  }

  /** Whether nothing of the rule runs after this statement (its last statement, through ifs and blocks). */
  #inTail(statement: AstNode, ancestors: readonly AstNode[]): boolean {
    let node = statement
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const parent = ancestors[i] as AstNode
      if (parent === this.#fn) return true
      if (parent.type === 'BlockStatement') {
        const list = parent['body'] as AstNode[]
        const rest = list.slice(list.indexOf(node) + 1)
        if (rest.some((s) => s.type !== 'EmptyStatement' && s.type !== 'FunctionDeclaration' && !(s.type === 'ReturnStatement' && s['argument'] === null)))
          return false
        if (rest.some((s) => s.type === 'ReturnStatement')) return true
      } else if (!['IfStatement', 'LabeledStatement', 'TryStatement', 'CatchClause'].includes(parent.type)) return false
      // The finally block runs after a return too, in the rule and in the action alike.
      node = parent
    }
    return false
  }

  #stringOf(node: AstNode): string | undefined {
    if (node.type === 'Literal' && typeof node['value'] === 'string') return node['value'] as string
    if (node.type === 'TemplateLiteral' && node['expressions'].length === 0) return node['quasis'][0]['value']['cooked'] as string
    return undefined
  }

  // ---- statements ---------------------------------------------------------------------------

  #statement(node: AstNode, ancestors: readonly AstNode[]): string | undefined {
    const expression = (node.type === 'ExpressionStatement' ? node['expression'] : node['argument']) as AstNode | null
    if (expression === null) return undefined
    const inner = [...ancestors, node]
    const call = expression.type === 'AwaitExpression' ? (expression['argument'] as AstNode) : expression
    if (call.type === 'CallExpression' && this.#isParam(call['callee'], 'callback', inner)) return this.#callbackStatement(node, call, ancestors)
    const metadata = this.#metadataStatement(node, call, ancestors)
    if (metadata !== undefined) return metadata
    if (node.type === 'ExpressionStatement' && expression.type === 'AssignmentExpression' && expression['operator'] === '=') {
      const target = expression['left'] as AstNode
      const token = this.#tokenTarget(target, inner)
      if (token !== undefined) {
        const member = target
        const prop = member['property'] as AstNode
        if (token === 'accessToken' && !member['computed'] && prop['name'] === 'scope')
          return this.#untranslated(node, ancestors, 'context.accessToken.scope: set scopes with api.accessToken.addScope(scope) / removeScope(scope)', true)
        const key = member['computed'] ? this.#rewrite(prop, [...inner, expression, member]) : `'${String(prop['name'])}'`
        const value = this.#rewrite(expression['right'] as AstNode, [...inner, expression])
        return `api.${token}.setCustomClaim(${key}, ${value});`
      }
      if (this.#isContextField(target, 'multifactor', inner)) return this.#multifactor(node, expression, ancestors)
      if (this.#isContextField(target, 'redirect', inner)) return this.#redirect(node, expression, ancestors)
    }
    return undefined
  }

  /** `context.idToken[x]` / `context.accessToken.x` as an assignment target: which token. */
  #tokenTarget(target: AstNode, ancestors: readonly AstNode[]): 'idToken' | 'accessToken' | undefined {
    if (target.type !== 'MemberExpression') return undefined
    const object = target['object'] as AstNode
    if (object.type !== 'MemberExpression' || object['computed']) return undefined
    const name = object['property']['name'] as string
    if ((name === 'idToken' || name === 'accessToken') && this.#isParam(object['object'], 'context', [...ancestors, target, object])) return name
    return undefined
  }

  #isContextField(node: AstNode, field: string, ancestors: readonly AstNode[]): boolean {
    return (
      node.type === 'MemberExpression' &&
      !node['computed'] &&
      node['property']['name'] === field &&
      this.#isParam(node['object'], 'context', [...ancestors, node])
    )
  }

  #callbackStatement(node: AstNode, call: AstNode, ancestors: readonly AstNode[]): string {
    const inner = [...ancestors, node, call]
    if (!this.#atRuleLevel(ancestors))
      return this.#untranslated(
        node,
        ancestors,
        'callback inside a nested function (a module callback, a .then): an action must await this work and return; rewrite it with await',
        true,
      )
    if (ancestors.some((a) => /^(For|ForIn|ForOf|While|DoWhile)Statement$/.test(a.type)))
      return this.#untranslated(node, ancestors, 'callback inside a loop: the rule went on looping after it; decide where the action returns', true)
    const args = call['arguments'] as AstNode[]
    const [err, user, context] = args
    const tail = node.type === 'ReturnStatement' || this.#inTail(node, ancestors)
    const after = (done: string) => {
      if (!tail) this.#note('changed', node, 'code after this callback still ran in the rule (its outcome was already decided); the action returns here')
      return done
    }
    const isNothing = (a: AstNode | undefined) =>
      a === undefined || (a.type === 'Literal' && a['value'] === null) || (a.type === 'Identifier' && a['name'] === 'undefined')
    if (isNothing(err)) {
      if (user !== undefined && !isNothing(user) && !this.#isParam(user, 'user', inner))
        return this.#untranslated(
          node,
          ancestors,
          'callback passes another user object: an action cannot replace the user (set metadata with api.user.*)',
          true,
        )
      if (context !== undefined && !isNothing(context) && !this.#isParam(context, 'context', inner))
        return this.#untranslated(node, ancestors, 'callback passes another context object: an action cannot replace it', true)
      return after('return;')
    }
    const reason = this.#denyReason(err as AstNode, inner)
    if (reason === undefined)
      return this.#untranslated(
        node,
        ancestors,
        'callback with an error built at run time: deny with api.access.deny(reason) (a thrown error fails the login with a generic message)',
        true,
      )
    if (reason.unauthorized)
      this.#note('changed', node, "UnauthorizedError answered 401 'unauthorized'; api.access.deny answers 403 'access_denied' with the same description")
    return after(`return api.access.deny(${reason.text});`)
  }

  /** `new UnauthorizedError(m)`, `UnauthorizedError(m)`, `new Error(m)`, `'m'`: the reason's text. */
  #denyReason(err: AstNode, ancestors: readonly AstNode[]): { text: string; unauthorized: boolean } | undefined {
    if (this.#stringOf(err) !== undefined || err.type === 'TemplateLiteral') return { text: this.#rewrite(err, ancestors), unauthorized: false }
    if (err.type !== 'NewExpression' && err.type !== 'CallExpression') return undefined
    const inner = [...ancestors, err]
    const unauthorized = this.#isGlobal(err['callee'], 'UnauthorizedError', inner)
    const plain = err.type === 'NewExpression' && this.#isGlobal(err['callee'], 'Error', inner)
    if (!unauthorized && !plain) return undefined
    const args = err['arguments'] as AstNode[]
    if (args.length > 1) return undefined
    return { text: args[0] === undefined ? "''" : this.#rewrite(args[0], inner), unauthorized }
  }

  #multifactor(node: AstNode, assignment: AstNode, ancestors: readonly AstNode[]): string {
    const value = assignment['right'] as AstNode
    const inner = [...ancestors, node, assignment, value]
    const props = value.type === 'ObjectExpression' ? (value['properties'] as AstNode[]) : undefined
    const named = (p: AstNode) => (p.type === 'Property' && !p['computed'] ? ((p['key']['name'] ?? p['key']['value']) as string) : undefined)
    if (props === undefined || props.some((p) => !['provider', 'allowRememberBrowser'].includes(named(p) ?? '')))
      return this.#untranslated(
        node,
        ancestors,
        'context.multifactor = <not a { provider, allowRememberBrowser } literal>: call api.multifactor.enable(provider, options)',
      )
    const provider = props.find((p) => named(p) === 'provider')
    const remember = props.find((p) => named(p) === 'allowRememberBrowser')
    const providerText = provider === undefined ? "'any'" : this.#rewrite(provider['value'] as AstNode, [...inner, provider])
    const rememberText = remember === undefined ? 'true' : this.#rewrite(remember['value'] as AstNode, [...inner, remember])
    return `api.multifactor.enable(${providerText}, { allowRememberBrowser: ${rememberText} });`
  }

  #redirect(node: AstNode, assignment: AstNode, ancestors: readonly AstNode[]): string {
    const value = assignment['right'] as AstNode
    const props = value.type === 'ObjectExpression' ? (value['properties'] as AstNode[]) : []
    const url = props.find((p) => p.type === 'Property' && !p['computed'] && (p['key']['name'] ?? p['key']['value']) === 'url')
    if (value.type !== 'ObjectExpression' || url === undefined || props.length !== 1)
      return this.#untranslated(node, ancestors, 'context.redirect = <not a { url } literal>: call api.redirect.sendUserTo(url, { query })')
    this.#note(
      'changed',
      node,
      'the rule resumed in the same function (context.protocol === "redirect-callback"); an action resumes in exports.onContinuePostLogin',
    )
    return `api.redirect.sendUserTo(${this.#rewrite(url['value'] as AstNode, [...ancestors, node, assignment, value, url])});`
  }

  /** `auth0.users.updateAppMetadata(user.user_id, m)`, awaited or chained to a success callback. */
  #metadataStatement(node: AstNode, call: AstNode, ancestors: readonly AstNode[]): string | undefined {
    const inner = [...ancestors, node]
    let update = call
    let thenFn: AstNode | undefined
    let catchFn: AstNode | undefined
    // .then(success).catch(failure) / .then(success, failure) / .then(success)
    const chained = (c: AstNode, method: string) =>
      c.type === 'CallExpression' && c['callee'].type === 'MemberExpression' && !c['callee']['computed'] && c['callee']['property']['name'] === method
    if (chained(update, 'catch')) {
      catchFn = update['arguments'][0] as AstNode | undefined
      update = update['callee']['object'] as AstNode
    }
    if (chained(update, 'then')) {
      thenFn = update['arguments'][0] as AstNode | undefined
      catchFn ??= update['arguments'][1] as AstNode | undefined
      update = update['callee']['object'] as AstNode
    }
    const kind = this.#metadataCall(update, inner)
    if (kind === undefined) return undefined
    const callText = this.#src(update)
    if (!this.#atRuleLevel(ancestors))
      return this.#untranslated(node, ancestors, `${callText.split('(')[0]} inside a nested function: move it to the action's own code`, true)
    const [userId, metadata] = update['arguments'] as AstNode[]
    const isUserId =
      userId?.type === 'MemberExpression' &&
      !userId['computed'] &&
      userId['property']['name'] === 'user_id' &&
      this.#isParam(userId['object'], 'user', [...inner, update, userId])
    if (!isUserId || metadata === undefined)
      return this.#untranslated(node, ancestors, 'a metadata update of another user than user.user_id: api.user.* writes the logged-in user only', true)
    const setter = kind === 'app_metadata' ? 'setAppMetadata' : 'setUserMetadata'
    const write = `for (const [key, value] of Object.entries(${this.#rewrite(metadata, [...inner, update])})) api.user.${setter}(key, value);`
    if (thenFn === undefined && catchFn === undefined) {
      this.#note('changed', node, `api.user.${setter} writes once when the whole flow ends, not now; a failed write fails the login`)
      return write
    }
    if (!this.#successCallback(thenFn) || (catchFn !== undefined && !this.#errorCallback(catchFn)))
      return this.#untranslated(node, ancestors, 'a metadata update whose .then/.catch does more than call back: rewrite it with await', true)
    this.#note(
      'changed',
      node,
      `api.user.${setter} writes once when the whole flow ends; a failed write fails the login (the rule's .catch called back with the error)`,
    )
    return `${write}\n${this.#indentOf(node)}return;`
  }

  #indentOf(node: AstNode): string {
    const lineStart = this.#text.lastIndexOf('\n', node.start) + 1
    return /^[ \t]*/.exec(this.#text.slice(lineStart, node.start))?.[0] ?? ''
  }

  #metadataCall(node: AstNode, ancestors: readonly AstNode[]): 'app_metadata' | 'user_metadata' | undefined {
    if (node.type !== 'CallExpression') return undefined
    const callee = node['callee'] as AstNode
    if (callee.type !== 'MemberExpression' || callee['computed']) return undefined
    const users = callee['object'] as AstNode
    if (users.type !== 'MemberExpression' || users['computed'] || users['property']['name'] !== 'users') return undefined
    if (!this.#isGlobal(users['object'], 'auth0', [...ancestors, node, callee, users])) return undefined
    const method = callee['property']['name'] as string
    return method === 'updateAppMetadata' ? 'app_metadata' : method === 'updateUserMetadata' ? 'user_metadata' : undefined
  }

  /** `function () { callback(null, user, context); }` / `() => callback(null, user, context)`. */
  #successCallback(fn: AstNode | undefined): boolean {
    const call = this.#onlyCall(fn)
    if (call === undefined) return false
    const [err, user, context] = call['arguments'] as AstNode[]
    const nothing = (a: AstNode | undefined) => a === undefined || (a.type === 'Literal' && a['value'] === null)
    return (
      nothing(err) &&
      (user === undefined || (user.type === 'Identifier' && user['name'] === this.#params.user)) &&
      (context === undefined || (context.type === 'Identifier' && context['name'] === this.#params.context))
    )
  }

  /** `function (err) { callback(err); }`. */
  #errorCallback(fn: AstNode): boolean {
    const call = this.#onlyCall(fn)
    const param = (fn['params'] as AstNode[] | undefined)?.[0]
    const args = call?.['arguments'] as AstNode[] | undefined
    return call !== undefined && param?.type === 'Identifier' && args?.length === 1 && args[0]?.type === 'Identifier' && args[0]['name'] === param['name']
  }

  #onlyCall(fn: AstNode | undefined): AstNode | undefined {
    if (fn === undefined || !FUNCTION_TYPES.has(fn.type)) return undefined
    let expression: AstNode | undefined
    if (fn['body'].type === 'BlockStatement') {
      const body = fn['body']['body'] as AstNode[]
      if (body.length !== 1) return undefined
      const only = body[0] as AstNode
      expression = only.type === 'ExpressionStatement' ? only['expression'] : only.type === 'ReturnStatement' ? only['argument'] : undefined
    } else expression = fn['body'] as AstNode
    if (expression?.type !== 'CallExpression') return undefined
    const callee = expression['callee'] as AstNode
    return callee.type === 'Identifier' && callee['name'] === this.#params.callback ? expression : undefined
  }

  // ---- expressions ---------------------------------------------------------------------------

  #assignment(node: AstNode, ancestors: readonly AstNode[]): string | undefined {
    const target = node['left'] as AstNode
    const inner = [...ancestors, node]
    if (this.#tokenTarget(target, inner) !== undefined)
      return this.#untranslated(
        node,
        ancestors,
        'a claim set inside an expression: set it with api.idToken/accessToken.setCustomClaim(name, value) as a statement',
      )
    if (this.#isContextField(target, 'multifactor', inner) || this.#isContextField(target, 'redirect', inner))
      return this.#untranslated(
        node,
        ancestors,
        'context.multifactor / context.redirect set inside an expression: call api.multifactor.enable / api.redirect.sendUserTo as a statement',
      )
    // user.x = v, other than the metadata the rule then persists.
    let root = target
    const path: string[] = []
    while (root.type === 'MemberExpression') {
      path.unshift(root['computed'] ? '[]' : (root['property']['name'] as string))
      root = root['object'] as AstNode
    }
    if (this.#isParam(root, 'user', [...inner, target]) && path[0] !== 'app_metadata' && path[0] !== 'user_metadata')
      this.#note('changed', node, "a rule's change to a user field changed the profile in its tokens; an action's event.user is read-only (set claims instead)")
    if (this.#isParam(root, 'context', [...inner, target]) && path.length > 0)
      return this.#untranslated(node, ancestors, `context.${path.join('.')} = …: an action has no equivalent`, true)
    return undefined
  }

  #call(node: AstNode, ancestors: readonly AstNode[]): string | undefined {
    const inner = [...ancestors, node]
    const callee = node['callee'] as AstNode
    if (this.#isParam(callee, 'callback', inner))
      return this.#untranslated(node, ancestors, 'callback used inside an expression: call it as a statement (callback(...) or return callback(...))', true)
    if (this.#metadataCall(node, ancestors) !== undefined)
      return this.#untranslated(
        node,
        ancestors,
        'a metadata update used as a value: call it as its own statement (await it, or .then(() => callback(null, user, context)))',
        true,
      )
    if (this.#isGlobal(callee, 'require', inner)) {
      const [arg] = node['arguments'] as AstNode[]
      const spec = arg === undefined ? undefined : this.#stringOf(arg)
      if (spec === undefined) return this.#untranslated(node, ancestors, 'require() with a computed name: list the action dependency by hand')
      const match = /^(@[^/@]+\/[^@]+|[^@]+)(?:@(.+))?$/.exec(spec)
      const name = match?.[1] ?? spec
      const version = match?.[2]
      const bare = name.replace(/^node:/, '')
      if (!builtinModules.includes(bare)) {
        if (!this.dependencies.has(name) || version !== undefined) this.dependencies.set(name, version)
        if (version === undefined)
          this.#note('changed', node, `require('${name}'): declare ${name} as a dependency of the action with the exact version your rule ran`)
      }
      return version === undefined ? undefined : `${this.#src(callee)}('${name}')`
    }
    return undefined
  }

  #member(node: AstNode, ancestors: readonly AstNode[]): string | undefined {
    const inner = [...ancestors, node]
    const object = node['object'] as AstNode
    const prop = node['property'] as AstNode
    const field = node['computed'] ? this.#stringOf(prop) : (prop['name'] as string)
    // configuration.X → event.secrets.X
    if (this.#isGlobal(object, 'configuration', inner)) {
      if (field !== undefined) this.secrets.add(field)
      return undefined
    }
    // user.logins_count, user.last_login
    if (this.#isParam(object, 'user', inner) && field !== undefined && field in USER_MOVED) {
      const moved = USER_MOVED[field]
      if (moved === undefined) return this.#untranslated(node, ancestors, `user.${field}: an action's event.user has no ${field} (Rules-only field)`, true)
      return moved
    }
    if (!this.#isParam(object, 'context', inner)) {
      // context.request.x, context.request.geoip.x, context.stats.loginsCount
      if (object.type === 'MemberExpression' && !object['computed'] && this.#isParam(object['object'], 'context', [...inner, object])) {
        const parent = object['property']['name'] as string
        if (parent === 'request' && field !== undefined && REQUEST_FIELDS[field] !== undefined) return REQUEST_FIELDS[field]
        if (parent === 'stats' && field === 'loginsCount') return 'event.stats.logins_count'
      }
      const geoip = this.#geoipField(node, inner)
      if (geoip !== undefined) return geoip
      return undefined
    }
    if (field === undefined) return this.#untranslated(node, ancestors, 'context[<computed>]: name the field (convert maps context fields by name)', true)
    if (CONTEXT_FIELDS[field] !== undefined) {
      if (field === 'authentication' && /\btimestamp\b/.test(this.#text))
        this.#note('changed', node, 'event.authentication.methods[].timestamp is an ISO string in an action (a number of milliseconds in a rule)')
      return CONTEXT_FIELDS[field]
    }
    if (field === 'request' || field === 'stats') {
      const parent = ancestors[ancestors.length - 1]
      const chained = parent?.type === 'MemberExpression' && parent['object'] === node
      if (chained) return `event.${field}`
      if (field === 'request') {
        this.#note('changed', node, "event.request has the rules' request fields under Actions' names (user_agent, geoip in camelCase)")
        return 'event.request'
      }
      return this.#untranslated(node, ancestors, 'context.stats as a whole: read event.stats.logins_count', true)
    }
    if (field === 'idToken' || field === 'accessToken')
      return this.#untranslated(node, ancestors, `reading context.${field}: an action cannot read the claims set so far; keep your own copy`, true)
    if (field === 'multifactor' || field === 'redirect')
      return this.#untranslated(node, ancestors, `reading context.${field}: an action cannot read it back`, true)
    return this.#untranslated(node, ancestors, `context.${field} has no equivalent on an action's event`, true)
  }

  /** `context.request.geoip.country_code` → `event.request.geoip.countryCode`. */
  #geoipField(node: AstNode, ancestors: readonly AstNode[]): string | undefined {
    const object = node['object'] as AstNode
    if (node['computed'] || object.type !== 'MemberExpression' || object['computed'] || object['property']['name'] !== 'geoip') return undefined
    const request = object['object'] as AstNode
    if (request.type !== 'MemberExpression' || request['computed'] || request['property']['name'] !== 'request') return undefined
    if (!this.#isParam(request['object'], 'context', [...ancestors, object, request])) return undefined
    const name = node['property']['name'] as string
    const camel = GEOIP_FIELDS[name]
    if (camel === undefined) return this.#untranslated(node, ancestors.slice(0, -1), `context.request.geoip.${name}: no such geoip field in an action`, true)
    return `event.request.geoip.${camel}`
  }

  #identifier(node: AstNode, ancestors: readonly AstNode[]): string | undefined {
    const parent = ancestors[ancestors.length - 1]
    // Property keys and member names are not reads.
    if (parent?.type === 'MemberExpression' && parent['property'] === node && !parent['computed']) return undefined
    if (
      (parent?.type === 'Property' || parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') &&
      parent['key'] === node &&
      !parent['computed']
    )
      return undefined
    if (parent !== undefined && FUNCTION_TYPES.has(parent.type) && parent['id'] === node) return undefined
    if (parent?.type === 'LabeledStatement' || parent?.type === 'BreakStatement' || parent?.type === 'ContinueStatement') return undefined
    const name = node['name'] as string
    if (this.#isParam(node, 'user', ancestors)) {
      // The whole user handed on (to a module, a request body, a copy): its keys are the action's.
      const handedOn =
        ((parent?.type === 'CallExpression' || parent?.type === 'NewExpression') && (parent['arguments'] as AstNode[]).includes(node)) ||
        (parent?.type === 'Property' && parent['value'] === node) ||
        parent?.type === 'ArrayExpression' ||
        parent?.type === 'SpreadElement'
      if (handedOn)
        this.#note(
          'changed',
          node,
          'event.user has no logins_count, last_login or last_ip (Rules-only fields): code that sends or copies the whole user sees fewer keys',
        )
      return 'event.user'
    }
    if (this.#isParam(node, 'context', ancestors))
      return this.#untranslated(node, ancestors, 'the whole context object: an action has event (read) and api (change) instead; pass the fields it needs')
    if (this.#isParam(node, 'callback', ancestors))
      return this.#untranslated(node, ancestors, 'callback passed on or stored: an action returns (or awaits) instead of calling back')
    if (this.#resolve(name, ancestors) !== 'global') return undefined
    if (name === 'configuration') return 'event.secrets'
    if (name === 'global') return this.#untranslated(node, ancestors, 'global: an action has no shared global object; cache values with api.cache.get/set')
    if (name === 'auth0')
      return this.#untranslated(
        node,
        ancestors,
        'auth0.*: an action has no auth0 object (metadata: api.user.setAppMetadata; the Management API: the auth0 package with client credentials)',
      )
    if (name === 'UnauthorizedError') return this.#untranslated(node, ancestors, 'UnauthorizedError outside callback(...): deny with api.access.deny(reason)')
    if (name === 'arguments' && this.#atRuleLevel(ancestors))
      return this.#untranslated(node, ancestors, "the rule's arguments object: name what it needs from event")
    return undefined
  }
}
