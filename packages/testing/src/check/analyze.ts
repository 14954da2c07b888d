import { Script } from 'node:vm'
import { parse } from 'acorn'
import { stripTrailingSemicolon } from '../lib/guest-wrapper.js'
import { callbackHandOffs, children, FUNCTION_TYPES, references, usesArguments, walk, type AstNode } from './ast.js'
import { analyzeCallbackFlow } from './callback-flow.js'
import { claimProblem, type NamespacePolicy } from './claims-policy.js'

/**
 * What `tokenrules check` can find in a rule: a syntax or shape error, a custom claim the claims
 * policy drops (`claim-*`), a redirect the password grant refuses (`redirect-*`), a path that never
 * calls back (`callback-*`, `return-without-callback`), a `require` not allowed (`module-not-allowed`)
 * or not checkable (`require-dynamic`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { analyzeRule, type FindingCode } from '@tokenrules/testing'
 *
 * const hangs: FindingCode[] = ['callback-never-called', 'callback-not-reached', 'return-without-callback']
 * const findings = analyzeRule({
 *   name: 'check-plan',
 *   script: `function (user, context, callback) {
 *     if (!user.app_metadata.plan) return;
 *     callback(null, user, context);
 *   }`,
 * })
 * assert.deepEqual(findings.filter((f) => hangs.includes(f.code)).map((f) => [f.code, f.line]), [['return-without-callback', 2]])
 * ```
 */
export type FindingCode =
  | 'syntax-error'
  | 'not-a-function'
  | 'claim-not-namespaced'
  | 'claim-forbidden-namespace'
  | 'claim-restricted'
  | 'claim-registered'
  | 'claim-reserved-name'
  | 'redirect-password-grant'
  | 'redirect-never-runs'
  | 'callback-never-called'
  | 'callback-not-reached'
  | 'return-without-callback'
  | 'callback-twice'
  | 'callback-in-loop'
  | 'callback-after-return'
  | 'module-not-allowed'
  | 'require-dynamic'
  | 'action-no-handler'
  | 'action-not-awaited'

/**
 * One problem in one rule, with its place in the rule's file.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { checkRules, type Finding } from '@tokenrules/testing'
 *
 * const format = (f: Finding) => `${f.file ?? f.rule}:${f.line}:${f.column} ${f.severity} ${f.code}`
 * const report = await checkRules({
 *   rules: [{ name: 'add-plan', script: `function (user, context, callback) {
 *   context.accessToken.plan = user.app_metadata.plan;
 *   callback(null, user, context);
 * }` }],
 * })
 * assert.deepEqual(report.findings.map(format), ['add-plan:2:23 error claim-not-namespaced'])
 * ```
 */
export interface Finding {
  /** What kind of problem it is. */
  code: FindingCode
  /** `error`: the rule misbehaves at run time. `warning`: it may, or it cannot be checked. */
  severity: 'error' | 'warning'
  /** The rule's name. */
  rule: string
  /** The rule's file, when it came from one. */
  file: string | undefined
  /** 1-based line in the rule's source. */
  line: number
  /** 1-based column. */
  column: number
  /** What is wrong and what the engine will do about it, for a person to read. */
  message: string
}

/**
 * What to check a rule against: the modules it may `require` and the engine's claims policy
 * (`checkRules` and `analyzeRule` take them).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { checkRules, type AnalyzeOptions } from '@tokenrules/testing'
 *
 * const rules = [`function (user, context, callback) {
 *   const _ = require('lodash');
 *   context.idToken.teams = _.uniq(user.app_metadata.teams);
 *   callback(null, user, context);
 * }`]
 * assert.deepEqual((await checkRules({ rules })).findings.map((f) => f.code), ['module-not-allowed', 'claim-not-namespaced'])
 * const options: AnalyzeOptions = { allow: ['lodash'], namespace: 'optional' }
 * assert.deepEqual((await checkRules({ rules }, options)).findings, [])
 * ```
 */
export interface AnalyzeOptions {
  /** Modules rules may `require` (the engine's `modules.packages`, plus `crypto`, `request`, … when those capabilities are on). */
  allow?: readonly string[] | undefined
  /** The claims namespace policy of the engine (default `required`). */
  namespace?: NamespacePolicy | undefined
  /** More forbidden namespace hosts (the engine's `claims.forbiddenNamespaces`). */
  forbiddenNamespaces?: readonly string[] | undefined
  /**
   * The rule set serves only the password grant (and its refreshes): every redirect is reported,
   * also one that only runs for other protocols (the step it enforces never happens).
   */
  passwordOnly?: boolean | undefined
}

/**
 * The rule to analyze: a rule definition (`{ name, script }`) or a rule file `readRuleSet` read.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { analyzeRule, type AnalyzedRule } from '@tokenrules/testing'
 *
 * const rule: AnalyzedRule = {
 *   name: 'require-consent',
 *   file: 'rules/03-require-consent.js',
 *   script: `function (user, context, callback) {
 *   if (!user.app_metadata.consented) context.redirect = { url: 'https://app.acme.example/consent' };
 *   callback(null, user, context);
 * }`,
 * }
 * const [finding] = analyzeRule(rule)
 * assert.equal(finding?.code, 'redirect-password-grant')
 * assert.equal(finding?.file, 'rules/03-require-consent.js')
 * ```
 */
export interface AnalyzedRule {
  /** The rule's name, reported in its findings. */
  name: string
  /** The rule's source text: `function (user, context, callback) { … }`. */
  script: string
  /** The rule's file, reported in its findings; `undefined` for a rule without one. */
  file?: string | undefined
}

export type Reach = 'yes' | 'guarded' | 'no'
/** Three-valued truth of a condition under the password grant; `guard`: depends on the protocol in a way not evaluated. */
type Truth = 'true' | 'false' | 'maybe' | 'guard'

export const NO_BROWSER = ['oauth2-password', 'oauth2-refresh-token']

/**
 * Statically check one rule: syntax (compiled by V8, as the engine does, without running it), that
 * it evaluates to a function, custom claim names against the namespace policy, redirects the
 * password grant would refuse, paths that never reach `callback`, and `require`s of modules not
 * allowed. Conservative: what it cannot decide (a computed claim name, a condition it cannot
 * evaluate) it does not report.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { analyzeRule } from '@tokenrules/testing'
 *
 * const findings = analyzeRule({
 *   name: 'step-up',
 *   script: `function (user, context, callback) {
 *   if (context.protocol === 'oauth2-password' || context.protocol === 'oauth2-refresh-token') return callback(null, user, context);
 *   context.redirect = { url: 'https://app.acme.example/step-up' };
 *   callback(null, user, context);
 * }`,
 * })
 * assert.deepEqual(findings, []) // the redirect never runs under the password grant or its refreshes
 * const strict = analyzeRule({ name: 'step-up', script: 'function (user, context, callback) { context.redirect = { url: "https://app.acme.example/step-up" }; callback(null, user, context); }' })
 * assert.deepEqual(strict.map((f) => [f.code, f.severity]), [['redirect-password-grant', 'error']])
 * ```
 */
export function analyzeRule(rule: AnalyzedRule, options: AnalyzeOptions = {}): Finding[] {
  const findings: Finding[] = []
  const report = (code: FindingCode, severity: Finding['severity'], line: number, column: number, message: string) => {
    findings.push({ code, severity, rule: rule.name, file: rule.file, line, column, message })
  }
  const script = stripTrailingSemicolon(rule.script)
  const syntax = compileError(rule.script, script, rule.file ?? rule.name)
  if (syntax !== undefined) {
    report('syntax-error', 'error', syntax.line, syntax.column, syntax.message)
    return findings
  }
  const parsed = `(${script}\n)`
  let program: AstNode
  try {
    program = parse(parsed, { ecmaVersion: 'latest', sourceType: 'script', locations: true, allowHashBang: false }) as unknown as AstNode
  } catch {
    // V8 compiles it but acorn cannot parse it (newer syntax): nothing more can be said statically.
    return findings
  }
  const at = (node: AstNode): { line: number; column: number } => {
    const start = node.loc?.start ?? { line: 1, column: 1 }
    return { line: start.line, column: start.line === 1 ? start.column : start.column + 1 }
  }
  const statement = program.body[0] as AstNode | undefined
  const fn = statement?.type === 'ExpressionStatement' ? (statement.expression as AstNode) : undefined
  if (fn === undefined) return findings
  if (!FUNCTION_TYPES.has(fn.type)) {
    if (['Literal', 'ObjectExpression', 'ArrayExpression', 'TemplateLiteral', 'ClassExpression'].includes(fn.type)) {
      const { line, column } = at(fn)
      report('not-a-function', 'error', line, column, `the rule must evaluate to a function (user, context, callback); it is ${describeNode(fn)}`)
    }
    return findings
  }

  const params = (fn.params as AstNode[]).map((p) => (p.type === 'Identifier' ? (p.name as string) : undefined))
  const contextName = params[1]
  const callbackName = params[2]
  const constants = collectConstants(fn)

  // ---- claims --------------------------------------------------------------------------------------
  const policy = { namespace: options.namespace ?? 'required', forbidden: options.forbiddenNamespaces ?? [] }
  const tokenAliases = new Map<string, 'accessToken' | 'idToken'>()
  const tokenOf = (node: AstNode | null | undefined): 'accessToken' | 'idToken' | undefined => {
    if (node === undefined || node === null) return undefined
    if (node.type === 'Identifier') return tokenAliases.get(node.name as string)
    if (node.type === 'MemberExpression' && isContextRef(node.object as AstNode, contextName)) {
      const key = propertyName(node, constants)
      return key === 'accessToken' || key === 'idToken' ? key : undefined
    }
    return undefined
  }
  walk(fn, (node) => {
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier') {
      const token = tokenOf(node.init as AstNode | undefined)
      if (token !== undefined) tokenAliases.set(node.id.name as string, token)
    }
  })
  const checkClaim = (token: 'accessToken' | 'idToken', name: string, node: AstNode) => {
    if (token === 'accessToken' && name === 'scope') return
    const problem = claimProblem(name, token, policy)
    if (problem === undefined) return
    const { line, column } = at(node)
    report(problem.code, 'error', line, column, `${token} claim ${problem.message}; the engine drops it (CLAIM_DROPPED)`)
  }
  const checkObjectClaims = (token: 'accessToken' | 'idToken', object: AstNode) => {
    for (const property of object.properties as AstNode[]) {
      if (property.type !== 'Property') continue
      const name = property.computed ? constantString(property.key as AstNode, constants) : keyName(property.key as AstNode)
      if (name !== undefined) checkClaim(token, name, property.key as AstNode)
    }
  }
  walk(fn, (node) => {
    if (node.type === 'AssignmentExpression') {
      const left = node.left as AstNode
      if (left.type === 'MemberExpression') {
        const token = tokenOf(left.object as AstNode)
        if (token !== undefined) {
          const name = propertyName(left, constants)
          if (name !== undefined) checkClaim(token, name, left.property as AstNode)
        }
        const whole = tokenOf(left)
        if (whole !== undefined && (node.right as AstNode).type === 'ObjectExpression') checkObjectClaims(whole, node.right as AstNode)
      }
    }
    if (node.type === 'CallExpression' && isObjectAssign(node.callee as AstNode)) {
      const [target, ...sources] = node.arguments as AstNode[]
      const token = tokenOf(target)
      if (token !== undefined) for (const source of sources) if (source.type === 'ObjectExpression') checkObjectClaims(token, source)
    }
  })

  // ---- require -----------------------------------------------------------------------------------
  const allowed = new Set(options.allow ?? [])
  walk(fn, (node) => {
    if (node.type !== 'CallExpression' || (node.callee as AstNode).type !== 'Identifier' || node.callee.name !== 'require') return
    const arg = (node.arguments as AstNode[])[0]
    const { line, column } = at(node)
    const spec = arg === undefined ? undefined : constantString(arg, constants)
    if (spec === undefined) {
      report('require-dynamic', 'warning', line, column, 'require() with a computed name cannot be checked; the engine loads only modules it was told to allow')
      return
    }
    const name = moduleName(spec)
    if (!allowed.has(name)) {
      report(
        'module-not-allowed',
        'error',
        line,
        column,
        `require('${spec}'): '${name}' is not allowed${allowed.size === 0 ? ' (no module is; allow some with --allow)' : ` (allowed: ${[...allowed].join(', ')})`}; the rule fails with ERR_MODULE_NOT_ALLOWED`,
      )
    }
  })

  // ---- redirects ---------------------------------------------------------------------------------
  const redirects = new Map<AstNode, { reach: Reach; protocol: string | undefined }>()
  const isRedirectTarget = (left: AstNode): boolean => {
    if (left.type !== 'MemberExpression') return false
    if (isContextRef(left.object as AstNode, contextName) && propertyName(left, constants) === 'redirect') return true
    const object = left.object as AstNode
    return object.type === 'MemberExpression' && isContextRef(object.object as AstNode, contextName) && propertyName(object, constants) === 'redirect'
  }
  for (const protocol of NO_BROWSER) {
    const walker = new ReachWalker(constants, protocol, (node, reach) => {
      if (node.type !== 'AssignmentExpression' || !isRedirectTarget(node.left as AstNode)) return
      const seen = redirects.get(node)
      const merged = seen === undefined ? reach : join(seen.reach, reach)
      redirects.set(node, { reach: merged, protocol: seen?.reach === 'yes' ? seen.protocol : reach === 'yes' ? protocol : undefined })
    })
    walker.function(fn, 'yes')
  }
  for (const [node, { reach, protocol }] of redirects) {
    const { line, column } = at(node)
    if (reach === 'yes') {
      report(
        'redirect-password-grant',
        'error',
        line,
        column,
        `sets context.redirect on a path that ${protocol === 'oauth2-refresh-token' ? 'a refresh of a password-grant token (oauth2-refresh-token)' : 'the password grant (oauth2-password)'} takes: the login fails with ERR_REDIRECT_UNSUPPORTED (403 access_denied); check context.protocol first`,
      )
    } else if (options.passwordOnly === true) {
      report(
        'redirect-never-runs',
        'warning',
        line,
        column,
        'sets context.redirect only for protocols with a browser, which this password-only rule set never serves: the step it enforces never happens',
      )
    }
  }

  // ---- callback ----------------------------------------------------------------------------------
  if (callbackName === undefined) {
    if (!usesArguments(fn)) {
      const { line, column } = at(fn)
      report(
        'callback-never-called',
        'error',
        line,
        column,
        'the rule has no callback parameter, so it can never call back: every login times out (ERR_RULE_TIMEOUT)',
      )
    }
  } else {
    const handOffs = callbackHandOffs(fn, callbackName)
    if (!references(fn.body as AstNode, handOffs)) {
      if (usesArguments(fn)) return findings.sort((a, b) => a.line - b.line || a.column - b.column)
      const { line, column } = at(fn)
      report('callback-never-called', 'error', line, column, `the rule never calls '${callbackName}': every login times out (ERR_RULE_TIMEOUT)`)
    } else {
      analyzeCallbackFlow(fn, callbackName, parsed, (code, node, message, severity) => {
        const { line, column } = at(node)
        report(code, severity, line, column, message)
      })
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column)
}

// ---- syntax ----------------------------------------------------------------------------------------

function compileError(original: string, stripped: string, filename: string): { line: number; column: number; message: string } | undefined {
  const attempt = (script: string): Error | undefined => {
    try {
      new Script(`(${script}\n)`, { filename })
      return undefined
    } catch (error) {
      return error as Error
    }
  }
  const first = attempt(original)
  if (first === undefined || attempt(stripped) === undefined) return undefined
  const lines = original.split('\n').length
  const stack = String(first.stack ?? '').split('\n')
  const found = /:(\d+)$/.exec(stack[0] ?? '')
  let line = found === null ? 1 : Number(found[1])
  const caret = (stack[2] ?? '').indexOf('^')
  let column = caret < 0 ? 1 : caret + 1
  if (line === 1) column = Math.max(1, column - 1)
  let message = `${first.name}: ${first.message}`
  if (line > lines) {
    // The error is at the parenthesis the engine adds after the rule: the rule ends too early.
    line = lines
    column = (original.split('\n')[lines - 1] ?? '').length + 1
    message = `${first.name}: Unexpected end of input (a '}' or ')' is missing)`
  }
  return { line, column, message }
}

// ---- AST helpers -----------------------------------------------------------------------------------

function describeNode(node: AstNode): string {
  switch (node.type) {
    case 'Literal':
      return `the literal ${JSON.stringify(node.value) ?? String(node.value)}`
    case 'ObjectExpression':
      return 'an object literal'
    case 'ArrayExpression':
      return 'an array literal'
    case 'TemplateLiteral':
      return 'a template string'
    default:
      return 'a class'
  }
}

/** `const NS = 'https://acme.example/'` and the like: names bound once to a constant string. */
export function collectConstants(fn: AstNode): Map<string, string> {
  const candidates = new Map<string, AstNode | null>()
  walk(fn, (node) => {
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier') {
      const name = node.id.name as string
      candidates.set(name, candidates.has(name) || node.init === null ? null : (node.init as AstNode))
    }
    if (node.type === 'AssignmentExpression' && node.left?.type === 'Identifier') candidates.set(node.left.name as string, null)
    if (node.type === 'UpdateExpression' && node.argument?.type === 'Identifier') candidates.set(node.argument.name as string, null)
  })
  const constants = new Map<string, string>()
  for (let pass = 0; pass < 4; pass++) {
    for (const [name, init] of candidates) {
      if (init === null || constants.has(name)) continue
      const value = constantString(init, constants)
      if (value !== undefined) constants.set(name, value)
    }
  }
  return constants
}

/** The string an expression always evaluates to, when that can be known. */
export function constantString(node: AstNode, constants: Map<string, string>): string | undefined {
  switch (node.type) {
    case 'Literal':
      return typeof node.value === 'string' || typeof node.value === 'number' ? String(node.value) : undefined
    case 'TemplateLiteral': {
      let out = ''
      const quasis = node.quasis as AstNode[]
      const expressions = node.expressions as AstNode[]
      for (let i = 0; i < quasis.length; i++) {
        out += quasis[i]?.value.cooked ?? ''
        const expression = expressions[i]
        if (expression !== undefined) {
          const value = constantString(expression, constants)
          if (value === undefined) return undefined
          out += value
        }
      }
      return out
    }
    case 'BinaryExpression': {
      if (node.operator !== '+') return undefined
      const left = constantString(node.left as AstNode, constants)
      const right = left === undefined ? undefined : constantString(node.right as AstNode, constants)
      return left === undefined || right === undefined ? undefined : left + right
    }
    case 'Identifier':
      return constants.get(node.name as string)
    default:
      return undefined
  }
}

function keyName(key: AstNode): string | undefined {
  if (key.type === 'Identifier') return key.name as string
  if (key.type === 'Literal') return String(key.value)
  return undefined
}

/** The property a member expression names, when it is constant. */
export function propertyName(member: AstNode, constants: Map<string, string>): string | undefined {
  const property = member.property as AstNode
  if (!member.computed) return property.type === 'Identifier' ? (property.name as string) : undefined
  return constantString(property, constants)
}

function isContextRef(node: AstNode, contextName: string | undefined): boolean {
  return node.type === 'Identifier' && contextName !== undefined && node.name === contextName
}

function isObjectAssign(callee: AstNode): boolean {
  return (
    callee.type === 'MemberExpression' &&
    callee.object?.type === 'Identifier' &&
    callee.object.name === 'Object' &&
    !callee.computed &&
    callee.property?.name === 'assign'
  )
}

/** `lodash@4.17.0` → `lodash`; `@scope/pkg@1` → `@scope/pkg`. */
export function moduleName(spec: string): string {
  const at = spec.lastIndexOf('@')
  return at > 0 ? spec.slice(0, at) : spec
}

// ---- which code runs under the password grant? -----------------------------------------------------------

/**
 * Walks the rule and tells, for each node it visits, whether a login of one protocol reaches it:
 * `yes`, `no` (a condition on `context.protocol` excludes it, or an earlier branch for that protocol
 * returned), or `guarded` (it depends on the protocol in a way this does not evaluate).
 */
export class ReachWalker {
  constructor(
    readonly constants: Map<string, string>,
    readonly protocol: string,
    readonly visit: (node: AstNode, reach: Reach) => void,
  ) {}

  function(fn: AstNode, reach: Reach): void {
    const body = fn.body as AstNode
    if (body.type === 'BlockStatement') this.block(body.body as AstNode[], reach)
    else this.expression(body, reach)
  }

  block(statements: readonly AstNode[], reach: Reach): { reach: Reach; falls: boolean } {
    let current = reach
    for (const statement of statements) {
      const out = this.statement(statement, current)
      if (!out.falls) return { reach: current, falls: false }
      current = out.reach
    }
    return { reach: current, falls: true }
  }

  statement(node: AstNode, reach: Reach): { reach: Reach; falls: boolean } {
    switch (node.type) {
      case 'BlockStatement':
        return this.block(node.body as AstNode[], reach)
      case 'IfStatement': {
        this.expression(node.test as AstNode, reach)
        const truth = this.truth(node.test as AstNode)
        const yes = this.statement(node.consequent as AstNode, narrow(reach, truth, true))
        const no =
          node.alternate === null ? { reach: narrow(reach, truth, false), falls: true } : this.statement(node.alternate as AstNode, narrow(reach, truth, false))
        const after = join(yes.falls ? yes.reach : 'no', no.falls ? no.reach : 'no')
        return { reach: after, falls: yes.falls || no.falls }
      }
      case 'ReturnStatement':
        if (node.argument !== null) this.expression(node.argument as AstNode, reach)
        return { reach, falls: false }
      case 'ThrowStatement':
        this.expression(node.argument as AstNode, reach)
        return { reach, falls: false }
      case 'SwitchStatement': {
        this.expression(node.discriminant as AstNode, reach)
        const protocolSwitch = isProtocolRef(node.discriminant as AstNode)
        for (const kase of node.cases as AstNode[]) {
          let caseReach = reach
          if (protocolSwitch && kase.test !== null) {
            const value = constantString(kase.test as AstNode, this.constants)
            caseReach = value === undefined ? narrow(reach, 'guard', true) : value === this.protocol ? reach : narrow(reach, 'false', true)
          } else if (protocolSwitch) caseReach = narrow(reach, 'guard', true)
          this.block(kase.consequent as AstNode[], caseReach)
        }
        return { reach, falls: true }
      }
      case 'TryStatement':
        this.block((node.block as AstNode).body as AstNode[], reach)
        if (node.handler !== null) this.block((node.handler as AstNode).body.body as AstNode[], reach)
        if (node.finalizer !== null) this.block((node.finalizer as AstNode).body as AstNode[], reach)
        return { reach, falls: true }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'LabeledStatement':
        for (const child of children(node)) {
          if (child.type.endsWith('Statement')) this.statement(child, reach)
          else this.expression(child, reach)
        }
        return { reach, falls: true }
      case 'FunctionDeclaration':
        this.function(node, reach)
        return { reach, falls: true }
      default:
        this.expression(node, reach)
        return { reach, falls: true }
    }
  }

  expression(node: AstNode, reach: Reach): void {
    this.visit(node, reach)
    if (FUNCTION_TYPES.has(node.type)) {
      this.function(node, reach)
      return
    }
    if (node.type === 'ConditionalExpression' || (node.type === 'LogicalExpression' && node.operator !== '??')) {
      const test = (node.type === 'ConditionalExpression' ? node.test : node.left) as AstNode
      this.expression(test, reach)
      const truth = this.truth(test)
      if (node.type === 'ConditionalExpression') {
        this.expression(node.consequent as AstNode, narrow(reach, truth, true))
        this.expression(node.alternate as AstNode, narrow(reach, truth, false))
      } else {
        this.expression(node.right as AstNode, narrow(reach, truth, node.operator === '&&'))
      }
      return
    }
    for (const child of children(node)) {
      if (child.type.endsWith('Statement') || child.type === 'SwitchCase') this.statement(child, reach)
      else this.expression(child, reach)
    }
  }

  /** Whether `test` holds for this walker's protocol. */
  truth(test: AstNode): Truth {
    return this.evaluate(test, this.protocol)
  }

  evaluate(node: AstNode, protocol: string): Truth {
    switch (node.type) {
      case 'BinaryExpression': {
        if (!['===', '==', '!==', '!='].includes(node.operator as string)) break
        const [ref, other] = isProtocolRef(node.left as AstNode) ? [node.left, node.right] : [node.right, node.left]
        if (!isProtocolRef(ref as AstNode)) break
        const value = constantString(other as AstNode, this.constants)
        if (value === undefined) return 'guard'
        const equal = value === protocol
        return (node.operator === '===' || node.operator === '==') === equal ? 'true' : 'false'
      }
      case 'UnaryExpression':
        if (node.operator === '!') {
          const inner = this.evaluate(node.argument as AstNode, protocol)
          return inner === 'true' ? 'false' : inner === 'false' ? 'true' : inner
        }
        break
      case 'LogicalExpression': {
        const left = this.evaluate(node.left as AstNode, protocol)
        const right = this.evaluate(node.right as AstNode, protocol)
        if (node.operator === '&&') {
          if (left === 'false' || right === 'false') return 'false'
          if (left === 'true' && right === 'true') return 'true'
          return left === 'guard' || right === 'guard' ? 'guard' : 'maybe'
        }
        if (node.operator === '||') {
          if (left === 'true' || right === 'true') return 'true'
          if (left === 'false' && right === 'false') return 'false'
          return left === 'guard' || right === 'guard' ? 'guard' : 'maybe'
        }
        break
      }
    }
    return mentionsProtocol(node) ? 'guard' : 'maybe'
  }
}

function isProtocolRef(node: AstNode): boolean {
  return node.type === 'MemberExpression' && ((!node.computed && node.property?.name === 'protocol') || (node.computed && node.property?.value === 'protocol'))
}

function mentionsProtocol(node: AstNode): boolean {
  let found = false
  walk(node, (n) => {
    if (isProtocolRef(n)) found = true
  })
  return found
}

/** The reach inside a branch taken when the condition is `branch`. */
function narrow(reach: Reach, truth: Truth, branch: boolean): Reach {
  if (reach === 'no') return 'no'
  if (truth === (branch ? 'false' : 'true')) return 'no'
  if (truth === 'guard') return 'guarded'
  return reach
}

export function join(a: Reach, b: Reach): Reach {
  if (a === 'yes' || b === 'yes') return 'yes'
  if (a === 'guarded' || b === 'guarded') return 'guarded'
  return 'no'
}
