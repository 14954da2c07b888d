import { Script } from 'node:vm'
import { parse } from 'acorn'
import {
  collectConstants,
  constantString,
  join,
  moduleName,
  NO_BROWSER,
  propertyName,
  ReachWalker,
  type AnalyzeOptions,
  type Finding,
  type FindingCode,
  type Reach,
} from './analyze.js'
import { children, FUNCTION_TYPES, walk, type AstNode } from './ast.js'
import { claimProblem } from './claims-policy.js'

/**
 * The post-login action to analyze: an `ActionDefinition` (`{ name, code }`) or an action file
 * `readActionSet` read.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { analyzeAction, type AnalyzedAction } from '@tokenrules/testing'
 *
 * const action: AnalyzedAction = {
 *   name: 'add-roles',
 *   code: `exports.onExecutePostLogin = async (event, api) => {
 *   api.idToken.setCustomClaim('roles', event.authorization.roles);
 * };`,
 * }
 * assert.deepEqual(analyzeAction(action).map((f) => [f.code, f.line]), [['claim-not-namespaced', 2]])
 * ```
 */
export interface AnalyzedAction {
  /** The action's name, reported in its findings. */
  name: string
  /** The action's module source (CommonJS that sets `exports.onExecutePostLogin`). */
  code: string
  /** The action's file, reported in its findings. */
  file?: string | undefined
}

const TOKENS = new Set(['accessToken', 'idToken'])
const PROMISE_METHODS = new Set(['then', 'catch', 'finally'])

/**
 * Statically check one post-login action, as {@link analyzeRule} checks a rule: syntax (compiled
 * as the engine compiles the module), that it sets `exports.onExecutePostLogin`, constant claim
 * names of `api.accessToken.setCustomClaim` / `api.idToken.setCustomClaim` against the namespace
 * policy, `api.redirect.sendUserTo` on a path the password grant takes, `require`s of modules not
 * allowed, and promises the handler neither awaits nor returns while their callbacks call `api`
 * (the action ends first; those calls come too late). The `api` methods themselves are
 * synchronous (`api.cache` too): awaiting them is harmless and never required. Conservative: what
 * it cannot decide, it does not report.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict'
 * import { analyzeAction } from '@tokenrules/testing'
 *
 * const findings = analyzeAction({
 *   name: 'crm-tier',
 *   code: `const axios = require('axios');
 * exports.onExecutePostLogin = async (event, api) => {
 *   axios.get('https://crm.example.com/tier/' + event.user.user_id).then((res) => {
 *     api.accessToken.setCustomClaim('https://example.com/tier', res.data.tier);
 *   });
 * };`,
 * }, { allow: ['axios'] })
 * assert.deepEqual(findings.map((f) => [f.code, f.line]), [['action-not-awaited', 3]])
 * ```
 */
export function analyzeAction(action: AnalyzedAction, options: AnalyzeOptions = {}): Finding[] {
  const findings: Finding[] = []
  const report = (code: FindingCode, severity: Finding['severity'], node: AstNode | { line: number; column: number }, message: string) => {
    const { line, column } = 'type' in node ? at(node) : node
    findings.push({ code, severity, rule: action.name, file: action.file, line, column, message })
  }
  const syntax = compileError(action.code, action.file ?? `action:${action.name}`)
  if (syntax !== undefined) {
    report('syntax-error', 'error', syntax, syntax.message)
    return findings
  }
  let program: AstNode
  try {
    program = parse(action.code, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      locations: true,
      allowReturnOutsideFunction: true,
      allowHashBang: false,
    }) as unknown as AstNode
  } catch {
    // V8 compiles it but acorn cannot parse it (newer syntax): nothing more can be said statically.
    return findings
  }
  const constants = collectConstants(program)
  const handler = findHandler(program)
  if (handler === undefined) {
    report(
      'action-no-handler',
      'warning',
      { line: 1, column: 1 },
      'the module never sets exports.onExecutePostLogin (as a function): the engine skips this action, as Auth0 does',
    )
  }
  const handlerParams = handler === undefined ? [] : (handler.params as AstNode[])
  const apiName = handlerParams[1]?.type === 'Identifier' ? (handlerParams[1].name as string) : 'api'

  // ---- claims ------------------------------------------------------------------------------------
  const policy = { namespace: options.namespace ?? 'required', forbidden: options.forbiddenNamespaces ?? [] }
  walk(program, (node) => {
    if (node.type !== 'CallExpression') return
    const path = apiPath(node.callee as AstNode, apiName, constants)
    if (path === undefined || path.length !== 2 || path[1] !== 'setCustomClaim' || !TOKENS.has(path[0] as string)) return
    const token = path[0] as 'accessToken' | 'idToken'
    const arg = (node.arguments as AstNode[])[0]
    const name = arg === undefined ? undefined : constantString(arg, constants)
    if (name === undefined || arg === undefined) return
    if (token === 'accessToken' && name === 'scope') {
      report(
        'claim-reserved-name',
        'error',
        arg,
        "api.accessToken.setCustomClaim('scope', …) throws a TypeError in the engine: the scopes are not a custom claim; use api.accessToken.addScope / removeScope",
      )
      return
    }
    const problem = claimProblem(name, token, policy)
    if (problem !== undefined)
      report(problem.code, 'error', arg, `api.${token}.setCustomClaim: ${token} claim ${problem.message}; the engine drops it (CLAIM_DROPPED)`)
  })

  // ---- require -----------------------------------------------------------------------------------
  const allowed = new Set(options.allow ?? [])
  walk(program, (node) => {
    if (node.type !== 'CallExpression' || (node.callee as AstNode).type !== 'Identifier' || node.callee.name !== 'require') return
    const arg = (node.arguments as AstNode[])[0]
    const spec = arg === undefined ? undefined : constantString(arg, constants)
    if (spec === undefined) {
      report('require-dynamic', 'warning', node, 'require() with a computed name cannot be checked; the engine loads only modules it was told to allow')
      return
    }
    const name = moduleName(spec)
    if (!allowed.has(name)) {
      report(
        'module-not-allowed',
        'error',
        node,
        `require('${spec}'): '${name}' is not allowed${allowed.size === 0 ? ' (no module is; allow some with --allow)' : ` (allowed: ${[...allowed].join(', ')})`}; the action fails with ERR_MODULE_NOT_ALLOWED`,
      )
    }
  })

  if (handler === undefined) return sorted(findings)

  // ---- redirects ---------------------------------------------------------------------------------
  const redirects = new Map<AstNode, { reach: Reach; protocol: string | undefined }>()
  for (const protocol of NO_BROWSER) {
    const walker = new ReachWalker(constants, protocol, (node, reach) => {
      if (node.type !== 'CallExpression') return
      const path = apiPath(node.callee as AstNode, apiName, constants)
      if (path?.join('.') !== 'redirect.sendUserTo') return
      const seen = redirects.get(node)
      redirects.set(node, {
        reach: seen === undefined ? reach : join(seen.reach, reach),
        protocol: seen?.reach === 'yes' ? seen.protocol : reach === 'yes' ? protocol : undefined,
      })
    })
    walker.function(handler, 'yes')
  }
  for (const [node, { reach, protocol }] of redirects) {
    if (reach === 'yes') {
      report(
        'redirect-password-grant',
        'error',
        node,
        `calls api.redirect.sendUserTo on a path that ${protocol === 'oauth2-refresh-token' ? 'a refresh of a password-grant token (oauth2-refresh-token)' : 'the password grant (oauth2-password)'} takes: the login fails with ERR_REDIRECT_UNSUPPORTED (403 access_denied); check event.transaction.protocol first`,
      )
    } else if (options.passwordOnly === true) {
      report(
        'redirect-never-runs',
        'warning',
        node,
        'calls api.redirect.sendUserTo only for protocols with a browser, which this password-only set never serves: the step it enforces never happens',
      )
    }
  }

  // ---- promises the handler lets go --------------------------------------------------------------
  const asyncHelpers = asyncFunctionsUsing(program, apiName, handler)
  for (const statement of ownStatements(handler)) {
    const expression = statement.expression as AstNode
    if (expression.type === 'CallExpression' && isPromiseChain(expression) && chainCallbacksUse(expression, apiName)) {
      report(
        'action-not-awaited',
        'error',
        statement,
        `a promise whose callbacks call '${apiName}' is neither awaited nor returned: the action ends before it settles, and those calls come too late (the engine ignores them once the flow has ended, as Auth0 does); await it`,
      )
    } else if (
      expression.type === 'CallExpression' &&
      (expression.callee as AstNode).type === 'Identifier' &&
      asyncHelpers.has(expression.callee.name as string)
    ) {
      report(
        'action-not-awaited',
        'error',
        statement,
        `'${expression.callee.name as string}' is async and calls '${apiName}' after it awaits, but the handler does not await it: the action ends first and those calls come too late; await it`,
      )
    }
  }
  walk(handler, (node) => {
    if (node.type !== 'CallExpression') return
    const callee = node.callee as AstNode
    if (callee.type !== 'MemberExpression' || callee.computed || callee.property?.name !== 'forEach') return
    const callback = (node.arguments as AstNode[])[0]
    if (callback === undefined || !FUNCTION_TYPES.has(callback.type) || callback.async !== true || !awaitsThenUses(callback, apiName)) return
    report(
      'action-not-awaited',
      'error',
      node,
      `forEach does not wait for an async callback: its '${apiName}' calls after an await come after the action ended; use for…of with await (or await Promise.all(list.map(…)))`,
    )
  })
  return sorted(findings)
}

function sorted(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.line - b.line || a.column - b.column)
}

function at(node: AstNode): { line: number; column: number } {
  const start = node.loc?.start ?? { line: 1, column: 0 }
  return { line: start.line, column: start.column + 1 }
}

/** A syntax error of the module, compiled as the engine compiles it (inside `function (exports, require, module) { … }`). */
function compileError(code: string, filename: string): { line: number; column: number; message: string } | undefined {
  try {
    new Script(`(function (exports, require, module) {${code}\n})`, { filename })
    return undefined
  } catch (error) {
    const e = error as Error
    const stack = String(e.stack ?? '').split('\n')
    const found = /:(\d+)$/.exec(stack[0] ?? '')
    const lines = code.split('\n').length
    let line = found === null ? 1 : Number(found[1])
    const caret = (stack[2] ?? '').indexOf('^')
    let column = caret < 0 ? 1 : caret + 1
    if (line === 1) column = Math.max(1, column - '(function (exports, require, module) {'.length)
    let message = `${e.name}: ${e.message}`
    if (line > lines) {
      line = lines
      column = (code.split('\n')[lines - 1] ?? '').length + 1
      message = `${e.name}: Unexpected end of input (a '}' or ')' is missing)`
    }
    return { line, column, message }
  }
}

/** `exports.onExecutePostLogin` / `module.exports.onExecutePostLogin` / `module.exports = { onExecutePostLogin }`: the handler function. */
function findHandler(program: AstNode): AstNode | undefined {
  const functions = new Map<string, AstNode>()
  walk(program, (node) => {
    if (node.type === 'FunctionDeclaration' && node.id?.type === 'Identifier') functions.set(node.id.name as string, node)
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.init !== null && FUNCTION_TYPES.has((node.init as AstNode).type))
      functions.set(node.id.name as string, node.init as AstNode)
  })
  const resolve = (value: AstNode | undefined): AstNode | undefined => {
    if (value === undefined) return undefined
    if (FUNCTION_TYPES.has(value.type)) return value
    if (value.type === 'Identifier') return functions.get(value.name as string)
    return undefined
  }
  const isExports = (node: AstNode): boolean =>
    (node.type === 'Identifier' && node.name === 'exports') ||
    (node.type === 'MemberExpression' &&
      !node.computed &&
      node.object?.type === 'Identifier' &&
      node.object.name === 'module' &&
      node.property?.name === 'exports')
  let found: AstNode | undefined
  walk(program, (node) => {
    if (found !== undefined || node.type !== 'AssignmentExpression' || node.operator !== '=') return
    const left = node.left as AstNode
    if (left.type === 'MemberExpression' && isExports(left.object as AstNode) && memberKey(left) === 'onExecutePostLogin')
      found = resolve(node.right as AstNode)
    else if (isExports(left) && (node.right as AstNode).type === 'ObjectExpression') {
      for (const property of (node.right as AstNode).properties as AstNode[]) {
        if (property.type !== 'Property') continue
        const key = property.key as AstNode
        const name = property.computed ? (key.type === 'Literal' ? String(key.value) : undefined) : key.type === 'Identifier' ? key.name : String(key.value)
        if (name === 'onExecutePostLogin') found = property.method === true ? (property.value as AstNode) : resolve(property.value as AstNode)
      }
    }
  })
  return found
}

function memberKey(member: AstNode): string | undefined {
  const property = member.property as AstNode
  if (!member.computed) return property.type === 'Identifier' ? (property.name as string) : undefined
  return property.type === 'Literal' ? String(property.value) : undefined
}

/**
 * The path of an `api` member called: `api.accessToken.setCustomClaim` → `['accessToken', 'setCustomClaim']`,
 * also at the end of a chain (`api.idToken.setCustomClaim(…).accessToken.setCustomClaim`), since every method returns `api`.
 */
function apiPath(callee: AstNode, apiName: string, constants: Map<string, string>): string[] | undefined {
  const path: string[] = []
  let node = callee
  while (node.type === 'MemberExpression') {
    const key = propertyName(node, constants)
    if (key === undefined) return undefined
    path.unshift(key)
    const object = node.object as AstNode
    if (object.type === 'Identifier') return object.name === apiName ? path : undefined
    if (object.type === 'CallExpression') {
      // A chained call: what the previous call returned is the api when that call was an api method.
      const previous = object.callee as AstNode
      return previous.type === 'MemberExpression' && apiPath(previous, apiName, constants) !== undefined ? path : undefined
    }
    node = object
  }
  return undefined
}

/** The expression statements the handler itself runs (through blocks, ifs, loops and try, not nested functions). */
function ownStatements(fn: AstNode): AstNode[] {
  const out: AstNode[] = []
  const visit = (node: AstNode) => {
    if (node.type === 'ExpressionStatement') {
      out.push(node)
      return
    }
    if (FUNCTION_TYPES.has(node.type) || node.type === 'ClassDeclaration' || node.type === 'ClassExpression') return
    if (!node.type.endsWith('Statement') && node.type !== 'SwitchCase' && node.type !== 'CatchClause' && node.type !== 'VariableDeclaration') return
    for (const child of children(node)) visit(child)
  }
  const body = fn.body as AstNode
  if (body.type === 'BlockStatement') for (const statement of body.body as AstNode[]) visit(statement)
  return out
}

/** `x.then(…)`, `x.then(…).catch(…)`: a call of then/catch/finally at the end of the expression. */
function isPromiseChain(call: AstNode): boolean {
  const callee = call.callee as AstNode
  return callee.type === 'MemberExpression' && !callee.computed && PROMISE_METHODS.has(callee.property?.name as string)
}

/** Whether a callback of the chain mentions `api`. */
function chainCallbacksUse(call: AstNode, apiName: string): boolean {
  let node: AstNode | undefined = call
  while (node !== undefined && node.type === 'CallExpression' && isPromiseChain(node)) {
    for (const arg of node.arguments as AstNode[]) if (FUNCTION_TYPES.has(arg.type) && mentions(arg, apiName)) return true
    node = (node.callee as AstNode).object as AstNode
  }
  return false
}

function mentions(node: AstNode, name: string): boolean {
  let found = false
  walk(node, (n) => {
    if (n.type === 'Identifier' && n.name === name) found = true
  })
  return found
}

/** Whether an async function mentions `api` after an `await` (in its own body, in source order). */
function awaitsThenUses(fn: AstNode, apiName: string): boolean {
  let firstAwait = Infinity
  let lastUse = -1
  const visit = (node: AstNode, top: boolean) => {
    if (!top && FUNCTION_TYPES.has(node.type)) {
      if (mentions(node, apiName)) lastUse = Math.max(lastUse, node.start)
      return
    }
    if (node.type === 'AwaitExpression' || (node.type === 'ForOfStatement' && node.await === true)) firstAwait = Math.min(firstAwait, node.start)
    if (node.type === 'Identifier' && node.name === apiName) lastUse = Math.max(lastUse, node.start)
    for (const child of children(node)) visit(child, false)
  }
  visit(fn.body as AstNode, true)
  return lastUse > firstAwait
}

/** Module-level async functions (other than the handler) that get `api` as a parameter and use it after an await. */
function asyncFunctionsUsing(program: AstNode, apiName: string, handler: AstNode): Set<string> {
  const names = new Set<string>()
  for (const statement of program.body as AstNode[]) {
    const candidates: { name: string; fn: AstNode }[] = []
    if (statement.type === 'FunctionDeclaration' && statement.id?.type === 'Identifier') candidates.push({ name: statement.id.name as string, fn: statement })
    if (statement.type === 'VariableDeclaration') {
      for (const d of statement.declarations as AstNode[]) {
        if (d.id?.type === 'Identifier' && d.init !== null && FUNCTION_TYPES.has((d.init as AstNode).type))
          candidates.push({ name: d.id.name as string, fn: d.init as AstNode })
      }
    }
    for (const { name, fn } of candidates) {
      if (fn === handler || fn.async !== true) continue
      const takesApi = (fn.params as AstNode[]).some((p) => p.type === 'Identifier' && p.name === apiName)
      if (takesApi && awaitsThenUses(fn, apiName)) names.add(name)
    }
  }
  return names
}
