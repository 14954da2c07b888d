import { children, FUNCTION_TYPES, lineOf, visitReads, type AstNode } from './ast.js'

/** The callback findings: a path that never calls back, or one that calls back twice. */
export type CallbackFindingCode = 'return-without-callback' | 'callback-not-reached' | 'callback-twice' | 'callback-in-loop' | 'callback-after-return'

/**
 * How often does the rule call its callback, on each path a login can take?
 *
 * An abstract interpretation of the rule: it follows the rule's statements path by path, counting
 * the calls of the callback (0, 1 or 2). Inner functions run where they would: a helper declared
 * in the rule where it is called, a `forEach`/`map`/… body as a loop (twice, to see a second
 * iteration), a function handed to `request(…)`, to a timer or to `.then/.catch` once (a chain's
 * rejection taken as another path), `await` in sequence, `try/catch/finally` with the throws the
 * rule itself raises and those a call in the `try` can raise.
 *
 * Every finding must be true, so a path is dropped (nothing is said about it) when the analysis
 * cannot follow it: the callback stored in an object or handed to a function it does not know
 * (the rule is then not analysed at all), a function using it handed to a call that may run it
 * any number of times (`.on`, `setInterval`, a library call without a Node-style `(err, …)`
 * callback), a condition on a variable the path changed (`done = true`, `pending--`), two
 * conditions it cannot tell apart or relate (`x > 5` and `isBig(x)`), recursion, and rules too
 * big to follow (more than `MAX_PATHS` paths at one point). Two tests on one value are related
 * (`res.statusCode === 200` then `=== 404`), so contradictory paths are not taken.
 */
export function analyzeCallbackFlow(
  fn: AstNode,
  callbackName: string,
  source: string,
  report: (code: CallbackFindingCode, node: AstNode, message: string, severity: 'error' | 'warning') => void,
): void {
  const names = standIns(fn, callbackName)
  if (!modelled(fn, names)) return
  const flow = new Flow(fn, callbackName, names, source)
  try {
    flow.run()
  } catch (error) {
    if (error instanceof GiveUp) return
    throw error
  }
  for (const finding of flow.findings.values()) report(finding.code, finding.node, finding.message, finding.severity)
}

/** The analysis cannot follow the rule (too many paths, too deep): it reports nothing. */
class GiveUp extends Error {}

const MAX_PATHS = 400
/** A promise handler returned something other than a literal. */
const NOT_LITERAL = Symbol('not a literal')
const MAX_DEPTH = 12
const MAX_STEPS = 200_000

// ---- values --------------------------------------------------------------------------------------

type Value = { kind: 'callback' } | { kind: 'function'; node: AstNode; scope: Scope } | { kind: 'unknown' }
const UNKNOWN: Value = { kind: 'unknown' }
const CALLBACK: Value = { kind: 'callback' }

/** A binding: its value when it is written once (at its declaration), `undefined`-initialised literal facts. */
interface Binding {
  value: () => Value
  /** The literal it was declared with (for `let done = false`), `undefined` when none or not a literal. */
  literal?: { value: unknown } | undefined
}

class Scope {
  readonly vars = new Map<string, Binding>()
  constructor(readonly parent: Scope | undefined) {}
  lookup(name: string): Binding | undefined {
    for (let scope: Scope | undefined = this; scope !== undefined; scope = scope.parent) {
      const found = scope.vars.get(name)
      if (found !== undefined) return found
    }
    return undefined
  }
}

// ---- paths ---------------------------------------------------------------------------------------

interface Call {
  node: AstNode
  /** The inlined calls (helpers, loop bodies, continuations) this call was reached through. */
  sites: readonly AstNode[]
  /** The loops it ran in, as `start:iteration`. */
  iterations: string
  /** `return callback(…)` in a function other than the rule: the function it returned from. */
  returnedFrom?: AstNode | undefined
  /** Made in a function that runs after the rule's own code (a continuation, a promise handler). */
  later: boolean
}

interface Cond {
  key: string
  value: boolean
  node: AstNode
  test: Test
  /** The condition as the rule wrote it (`!user.email` true, where `key` is `user.email` false). */
  shown?: { node: AstNode; value: boolean } | undefined
}

interface Exit {
  node: AstNode
  kind: 'return' | 'end'
  fn: AstNode
  later: boolean
  /** The function names the callback (or a stand-in): where a path that never called back gave up. */
  uses?: boolean | undefined
}

/** One path through the rule, as far as it got. */
interface Fact {
  count: 0 | 1 | 2
  calls: readonly Call[]
  conds: readonly Cond[]
  dirty: ReadonlySet<string>
  exit?: Exit | undefined
  caught?: { call: AstNode; tryNode: AstNode } | undefined
  /** Leaving a promise handler: the literal it resolved the next link with (`return null`). */
  resolved?: { value: unknown } | undefined
  /** Leaving a promise handler: it returned a promise (a call's result), which may reject. */
  promise?: boolean | undefined
}

/** A condition as a constraint on one value, when it has a simple form. */
type Test =
  | { form: 'truthy'; chain: string }
  | { form: 'eq'; chain: string; literal: unknown; equal: boolean }
  | { form: 'range'; chain: string; op: '<' | '<=' | '>' | '>='; bound: number }
  | { form: 'opaque'; chains: readonly string[] }

interface Frame {
  fn: AstNode
  isRule: boolean
  later: boolean
  returns: Fact[]
  throwSinks: Fact[][]
  catching: boolean
  targets: { label: string | undefined; loop: boolean; breaks: Fact[]; continues: Fact[] }[]
  /** A promise handler: what it returns resolves the next link. */
  handler: boolean
  /** A Node-style callback `(err, res, body)`: its error parameter and the others. */
  nodeStyle?: { error: string; results: ReadonlySet<string> } | undefined
}

const ITERATORS = new Set(['forEach', 'map', 'filter', 'reduce', 'reduceRight', 'flatMap', 'sort'])
const EARLY_EXIT_ITERATORS = new Set(['some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex'])
const LODASH_ITERATORS = new Set(['forEach', 'each', 'map', 'filter', 'reduce', 'forOwn', 'forIn', 'times', 'mapValues'])
const REPEATING = new Set(['on', 'once', 'addListener', 'addEventListener', 'subscribe', 'setInterval', 'prependListener'])
const TIMERS = new Set(['setTimeout', 'setImmediate', 'queueMicrotask'])
const ERROR_PARAM = /^(e|er|err|error|.*(Err|Error))$/

class Flow {
  readonly findings = new Map<string, { code: CallbackFindingCode; node: AstNode; message: string; severity: 'error' | 'warning' }>()
  readonly stack: AstNode[] = []
  readonly sites: AstNode[] = []
  readonly iterations: string[] = []
  readonly requestNames = new Set<string>(['request'])
  readonly parents = new Map<AstNode, AstNode>()
  later = 0
  steps = 0

  constructor(
    readonly rule: AstNode,
    readonly callbackName: string,
    readonly names: ReadonlySet<string>,
    readonly source: string,
  ) {
    const link = (node: AstNode) => {
      for (const child of children(node)) {
        this.parents.set(child, node)
        link(child)
      }
    }
    link(rule)
    walkAll(rule, (node) => {
      if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.init?.type === 'CallExpression') {
        const call = node.init as AstNode
        const arg = (call.arguments as AstNode[])[0]
        if (call.callee?.type === 'Identifier' && call.callee.name === 'require' && arg?.type === 'Literal' && /^request(@|$)/.test(String(arg.value))) {
          this.requestNames.add(node.id.name as string)
        }
      }
    })
  }

  run(): void {
    const scope = new Scope(undefined)
    const params = this.rule.params as AstNode[]
    params.forEach((param, index) => {
      if (param.type !== 'Identifier') return
      scope.vars.set(param.name as string, { value: () => (index === 2 ? CALLBACK : UNKNOWN) })
    })
    if (writes(this.rule.body as AstNode).has(this.callbackName)) throw new GiveUp()
    const frame = this.frame(this.rule, true, false, false)
    const inner = this.declare(this.rule, scope)
    const start: Fact = { count: 0, calls: [], conds: [], dirty: new Set() }
    const body = this.rule.body as AstNode
    let finals: Fact[]
    if (body.type === 'BlockStatement') {
      const normal = this.block(body.body as AstNode[], [start], frame, inner)
      finals = [...normal.map((f) => this.withExit(f, { node: closing(body), kind: 'end', fn: this.rule, later: false })), ...frame.returns]
    } else {
      finals = this.expression(body, [start], frame, inner, 'return').map((f) => this.withExit(f, { node: body, kind: 'end', fn: this.rule, later: false }))
    }
    for (const fact of finals) if (fact.count === 0) this.reportUnreached(fact)
  }

  // ---- findings ----------------------------------------------------------------------------------

  add(code: CallbackFindingCode, node: AstNode, message: string, severity: 'error' | 'warning'): void {
    const key = `${code}:${node.start}:${node.end}`
    if (!this.findings.has(key)) this.findings.set(key, { code, node, message, severity })
  }

  label(fn: AstNode): string {
    if (fn === this.rule) return 'the rule'
    if (fn.type === 'FunctionDeclaration' && fn.id?.type === 'Identifier') return `'${fn.id.name as string}' (line ${lineOf(fn)})`
    const parent = this.parents.get(fn)
    if (parent?.type === 'VariableDeclarator' && parent.id?.type === 'Identifier') return `'${parent.id.name as string}' (line ${lineOf(fn)})`
    if ((parent?.type === 'CallExpression' || parent?.type === 'NewExpression') && parent.callee !== fn) {
      const callee = parent.callee as AstNode
      const name =
        callee.type === 'MemberExpression' && !callee.computed
          ? `.${callee.property.name as string}`
          : callee.type === 'Identifier'
            ? (callee.name as string)
            : undefined
      if (name !== undefined) return `the function given to ${name} on line ${lineOf(fn)}`
    }
    return `the function on line ${lineOf(fn)}`
  }

  reportUnreached(fact: Fact): void {
    const exit = fact.exit
    if (exit === undefined) return
    const cb = this.callbackName
    const why = this.why(fact)
    const tail = exit.later && exit.fn !== this.rule ? ', and nothing else on that path calls it' : ''
    if (exit.kind === 'return') {
      this.add(
        'return-without-callback',
        exit.node,
        `${this.label(exit.fn)} returns here without calling '${cb}'${why}${tail}: that login times out (ERR_RULE_TIMEOUT)`,
        'error',
      )
    } else {
      this.add(
        'callback-not-reached',
        exit.node,
        `${this.label(exit.fn)} can end without calling '${cb}'${why}${tail}: that login times out (ERR_RULE_TIMEOUT)`,
        'error',
      )
    }
  }

  /** On which path: the last condition that decided it, or the throw a catch caught. */
  why(fact: Fact): string {
    const decided = fact.conds.filter((c) => !c.key.includes('@'))
    const last = decided[decided.length - 1]
    if (fact.caught !== undefined && (last === undefined || last.node.start < fact.caught.tryNode.start)) {
      return ` (when the try block on line ${lineOf(fact.caught.tryNode)} throws, at the call on line ${lineOf(fact.caught.call)})`
    }
    if (last !== undefined) {
      const shown = last.shown ?? { node: last.node, value: last.value }
      return ` (when the condition on line ${lineOf(shown.node)} is ${shown.value ? 'true' : 'false'})`
    }
    const promise = fact.conds.filter((c) => c.key.startsWith('promise@')).pop()
    if (promise !== undefined) return ` (when the promise of the call on line ${lineOf(promise.node)} ${promise.value ? 'resolves' : 'rejects'})`
    return ''
  }

  reportSecond(first: Call, second: Call, fact: Fact): void {
    const cb = this.callbackName
    const ignored = `the first call decides, the engine ignores the second (CALLBACK_CALLED_TWICE)`
    if (first.node === second.node && first.iterations !== second.iterations) {
      const loop = loopOf(first.iterations, second.iterations, this.rule)
      this.add(
        'callback-in-loop',
        second.node,
        `calls '${cb}' inside a loop${loop === undefined ? '' : ` (line ${loop})`}: a second iteration that gets here calls it again; ${ignored}`,
        'warning',
      )
      return
    }
    // The place to point at: where the second call's way in leaves the first's.
    let at = second.node
    for (let i = 0; i < second.sites.length; i++) {
      if (first.sites[i] !== second.sites[i]) {
        at = second.sites[i] as AstNode
        break
      }
    }
    if (at === first.node) at = second.node
    const via = at === second.node ? '' : ` (through the call on line ${lineOf(at)}, which calls it on line ${lineOf(second.node)})`
    if (first.later && !second.later) {
      // The first call was in a function that runs after the rule's own code: that one is the second.
      this.add(
        'callback-twice',
        first.node,
        `can call '${cb}' a second time${this.why(fact)}: this runs after the rule's own code, which already called it on line ${lineOf(second.node)}; ${ignored}`,
        'warning',
      )
      return
    }
    if (first.returnedFrom !== undefined) {
      this.add(
        'callback-after-return',
        at,
        `calls '${cb}' again${via}${this.why(fact)}: the 'return ${cb}(…)' on line ${lineOf(first.node)} returns only from ${this.label(first.returnedFrom)}, and the rule goes on; ${ignored}`,
        'warning',
      )
    } else {
      this.add(
        'callback-twice',
        at,
        `can call '${cb}' a second time${via}${this.why(fact)}: it is also called on line ${lineOf(first.node)} on this path; ${ignored}`,
        'warning',
      )
    }
  }

  // ---- frames and scopes -------------------------------------------------------------------------

  frame(fn: AstNode, isRule: boolean, later: boolean, catching: boolean): Frame {
    return { fn, isRule, later, returns: [], throwSinks: [[]], catching, targets: [], handler: false }
  }

  /** Hoist a function's declarations into a new scope (function-wide, let/const included). */
  declare(fn: AstNode, outer: Scope): Scope {
    const scope = new Scope(outer)
    const written = writes(fn.body as AstNode)
    const visit = (node: AstNode, top: boolean) => {
      if (!top && FUNCTION_TYPES.has(node.type)) {
        if (node.type === 'FunctionDeclaration' && node.id?.type === 'Identifier') {
          const name = node.id.name as string
          scope.vars.set(name, { value: () => (written.has(name) ? UNKNOWN : { kind: 'function', node, scope }) })
        }
        return
      }
      if (node.type === 'VariableDeclarator') {
        for (const name of patternNames(node.id as AstNode)) {
          const init = node.id.type === 'Identifier' ? (node.init as AstNode | null) : undefined
          const once = !written.has(name)
          const literal = init === null ? { value: undefined } : init?.type === 'Literal' ? { value: init.value } : undefined
          scope.vars.set(name, {
            value: () => (once && init !== null && init !== undefined ? this.value(init, scope) : UNKNOWN),
            literal,
          })
        }
      }
      if (node.type === 'ClassDeclaration' && node.id?.type === 'Identifier') scope.vars.set(node.id.name as string, { value: () => UNKNOWN })
      if (node.type === 'CatchClause' && node.param !== null)
        for (const name of patternNames(node.param as AstNode)) scope.vars.set(name, { value: () => UNKNOWN })
      for (const child of children(node)) visit(child, false)
    }
    visit(fn.body as AstNode, true)
    return scope
  }

  value(node: AstNode, scope: Scope): Value {
    if (node.type === 'Identifier') return scope.lookup(node.name as string)?.value() ?? UNKNOWN
    if (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') return { kind: 'function', node, scope }
    return UNKNOWN
  }

  // ---- statements --------------------------------------------------------------------------------

  tick(facts: Fact[]): void {
    if (++this.steps > MAX_STEPS || facts.length > MAX_PATHS) throw new GiveUp()
  }

  block(statements: readonly AstNode[], facts: Fact[], frame: Frame, scope: Scope): Fact[] {
    let current = facts
    for (const statement of statements) {
      if (current.length === 0) return current
      current = this.statement(statement, current, frame, scope)
    }
    return current
  }

  statement(node: AstNode, facts: Fact[], frame: Frame, scope: Scope, label?: string): Fact[] {
    this.tick(facts)
    switch (node.type) {
      case 'BlockStatement':
        return this.block(node.body as AstNode[], facts, frame, scope)
      case 'EmptyStatement':
      case 'FunctionDeclaration':
      case 'ClassDeclaration':
      case 'DebuggerStatement':
        return facts
      case 'ExpressionStatement':
        return this.expression(node.expression as AstNode, facts, frame, scope, 'drop').map(settled)
      case 'VariableDeclaration': {
        let current = facts
        for (const decl of node.declarations as AstNode[]) {
          if (decl.init !== null) current = this.expression(decl.init as AstNode, current, frame, scope, 'drop')
          const declared = patternNames(decl.id as AstNode)
          const id = decl.id as AstNode
          current = current.map((f) => {
            // Declared (again, in a loop): what the path knew about it no longer holds.
            const fresh = declared.some((name) => f.dirty.has(name)) || f.conds.length > 0 ? reset(settled(f), declared) : settled(f)
            const init = decl.init as AstNode | null
            const bound = init !== null && ['CallExpression', 'AwaitExpression', 'ChainExpression'].includes(init.type)
            if (!bound || f.resolved === undefined || id.type !== 'Identifier' || f.resolved.value === NOT_LITERAL) return fresh
            // `const teams = await p.catch(…)`, `const token = helper()`: on that path, what the handler
            // or the helper returned.
            const name = id.name as string
            const cond: Cond = {
              key: `${name}@${decl.start}`,
              value: true,
              node: decl,
              test: { form: 'eq', chain: name, literal: f.resolved.value, equal: true },
            }
            return { ...fresh, conds: [...fresh.conds, cond] }
          })
        }
        return current
      }
      case 'ReturnStatement': {
        const argument = node.argument as AstNode | null
        let out = argument === null ? facts : this.expression(argument, facts, frame, scope, 'return')
        if (!frame.isRule && argument !== null && argument.type === 'CallExpression' && this.value(argument.callee as AstNode, scope).kind === 'callback') {
          out = out.map((f) => markReturned(f, argument, frame.fn))
        }
        const resolvedWith = this.resolvesWith(argument, scope)
        const promise = frame.handler && argument !== null && this.mayReject(argument, scope)
        for (const fact of out)
          frame.returns.push({ ...this.withExit(fact, { node, kind: 'return', fn: frame.fn, later: frame.later }), resolved: resolvedWith, promise })
        return []
      }
      case 'ThrowStatement': {
        const out = this.expression(node.argument as AstNode, facts, frame, scope, 'drop')
        this.throwTo(frame, out, undefined)
        return []
      }
      case 'IfStatement': {
        const test = node.test as AstNode
        const evaluated = this.expression(test, facts, frame, scope, 'drop')
        const yes = this.statement(node.consequent as AstNode, this.assume(evaluated, test, true, scope), frame, scope)
        const noFacts = this.assume(evaluated, test, false, scope)
        const no = node.alternate === null ? noFacts : this.statement(node.alternate as AstNode, noFacts, frame, scope)
        return merge([...yes, ...no])
      }
      case 'LabeledStatement': {
        const name = node.label.name as string
        const body = node.body as AstNode
        if (isLoop(body)) return this.statement(body, facts, frame, scope, name)
        const target = { label: name, loop: false, breaks: [] as Fact[], continues: [] as Fact[] }
        frame.targets.push(target)
        const out = this.statement(body, facts, frame, scope)
        frame.targets.pop()
        return merge([...out, ...target.breaks])
      }
      case 'BreakStatement':
      case 'ContinueStatement': {
        const name = node.label?.name as string | undefined
        const isBreak = node.type === 'BreakStatement'
        for (let i = frame.targets.length - 1; i >= 0; i--) {
          const target = frame.targets[i] as Frame['targets'][number]
          if (name === undefined ? isBreak || target.loop : target.label === name) {
            if (name === undefined && !isBreak && !target.loop) continue
            ;(isBreak ? target.breaks : target.continues).push(...facts)
            return []
          }
        }
        return []
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'WhileStatement':
      case 'DoWhileStatement':
        return this.loop(node, facts, frame, scope, label)
      case 'SwitchStatement':
        return this.switch(node, facts, frame, scope)
      case 'TryStatement':
        return this.try(node, facts, frame, scope)
      default:
        // with, and whatever else: not followed.
        return []
    }
  }

  loop(node: AstNode, facts: Fact[], frame: Frame, scope: Scope, label: string | undefined): Fact[] {
    let current = facts
    if (node.type === 'ForStatement' && node.init !== null) {
      const init = node.init as AstNode
      current = init.type === 'VariableDeclaration' ? this.statement(init, current, frame, scope) : this.expression(init, current, frame, scope, 'drop')
    }
    if (node.type === 'ForInStatement' || node.type === 'ForOfStatement') current = this.expression(node.right as AstNode, current, frame, scope, 'drop')
    // The loop's own counters (for (i = 0; …; i++)) and variables (for (const x of …)) change every
    // iteration: conditions on them describe one iteration only.
    const own = new Set<string>()
    if (node.type === 'ForStatement') {
      if (node.init !== null) for (const name of writes(node.init as AstNode, true)) own.add(name)
      if (node.update !== null) for (const name of writes(node.update as AstNode, true)) own.add(name)
    }
    if (node.type === 'ForInStatement' || node.type === 'ForOfStatement') {
      const left = node.left as AstNode
      for (const name of left.type === 'VariableDeclaration'
        ? (left.declarations as AstNode[]).flatMap((d) => patternNames(d.id as AstNode))
        : patternNames(left))
        own.add(name)
    }
    const test = node.type === 'ForStatement' || node.type === 'WhileStatement' || node.type === 'DoWhileStatement' ? (node.test as AstNode | null) : null
    const exits: Fact[] = []
    const target = { label, loop: true, breaks: [] as Fact[], continues: [] as Fact[] }
    frame.targets.push(target)
    let entering = current
    for (let iteration = 1; iteration <= 2; iteration++) {
      // Before each iteration the loop may stop (not before the first of a do-while).
      let tested = entering
      if (test !== null) tested = this.expression(test, tested, frame, scope, 'drop')
      const endless = node.type === 'ForStatement' ? test === null : test !== null && test.type === 'Literal' && Boolean(test.value)
      if (!(node.type === 'DoWhileStatement' && iteration === 1) && !endless) exits.push(...tested)
      // A path changed a variable the test reads: whether it iterates again is not known.
      const testNames = test === null ? [] : mentions(test).filter((chain) => !own.has(rootOf(chain)))
      tested = tested.map((f) => forget(f, own)).filter((f) => !testNames.some((chain) => isDirty(f, chain)))
      this.iterations.push(`${node.start}:${iteration}`)
      target.continues = []
      let after = this.statement(node.body as AstNode, tested, frame, scope)
      after = merge([...after, ...target.continues])
      this.iterations.pop()
      if (node.type === 'ForStatement' && node.update !== null) after = this.expression(node.update as AstNode, after, frame, scope, 'drop')
      entering = merge(after)
    }
    frame.targets.pop()
    // Paths that ran more than twice are not followed further than two iterations; they end as the
    // second did (with the count capped at two).
    const endless = node.type === 'ForStatement' ? test === null : test !== null && test.type === 'Literal' && Boolean(test.value)
    if (!endless) exits.push(...entering)
    return merge([...exits, ...target.breaks].map((f) => forget(f, own)))
  }

  switch(node: AstNode, facts: Fact[], frame: Frame, scope: Scope): Fact[] {
    const discriminant = node.discriminant as AstNode
    let rest = this.expression(discriminant, facts, frame, scope, 'drop')
    const target = { label: undefined, loop: false, breaks: [] as Fact[], continues: [] as Fact[] }
    frame.targets.push(target)
    let falling: Fact[] = []
    let defaultIndex = -1
    const cases = node.cases as AstNode[]
    const entries: Fact[][] = []
    cases.forEach((kase, index) => {
      if (kase.test === null) {
        defaultIndex = index
        entries.push([])
        return
      }
      const keyText = `${this.source.slice(discriminant.start, discriminant.end)} === ${this.source.slice(kase.test.start, kase.test.end)}`
      const test = {
        type: 'BinaryExpression',
        operator: '===',
        left: discriminant,
        right: kase.test,
        start: kase.start,
        end: kase.test.end,
        loc: kase.loc,
        keyText,
      } as AstNode
      entries.push(this.assume(rest, test, true, scope))
      rest = this.assume(rest, test, false, scope)
    })
    if (defaultIndex >= 0) entries[defaultIndex] = rest
    cases.forEach((kase, index) => {
      falling = this.block(kase.consequent as AstNode[], merge([...falling, ...(entries[index] ?? [])]), frame, scope)
    })
    frame.targets.pop()
    return merge([...falling, ...target.breaks, ...(defaultIndex >= 0 ? [] : rest)])
  }

  try(node: AstNode, facts: Fact[], frame: Frame, scope: Scope): Fact[] {
    const returnsBefore = frame.returns.length
    const sink: Fact[] = []
    frame.throwSinks.push(sink)
    const wasCatching = frame.catching
    frame.catching = node.handler !== null || wasCatching
    let normal = this.block((node.block as AstNode).body as AstNode[], facts, frame, scope)
    frame.catching = wasCatching
    frame.throwSinks.pop()
    let uncaught: Fact[] = []
    if (node.handler !== null) {
      normal = merge([...normal, ...this.block((node.handler as AstNode).body.body as AstNode[], merge(sink.map((f) => tagCaught(f, node))), frame, scope)])
    } else {
      uncaught = sink
    }
    if (node.finalizer === null) {
      if (uncaught.length > 0) this.throwTo(frame, uncaught, undefined)
      return normal
    }
    const finalizer = (node.finalizer as AstNode).body as AstNode[]
    const returned = frame.returns.splice(returnsBefore)
    for (const fact of this.block(finalizer, returned, frame, scope)) frame.returns.push(fact)
    if (uncaught.length > 0) this.throwTo(frame, this.block(finalizer, uncaught, frame, scope), undefined)
    return this.block(finalizer, normal, frame, scope)
  }

  throwTo(frame: Frame, facts: Fact[], call: AstNode | undefined): void {
    const sink = frame.throwSinks[frame.throwSinks.length - 1] as Fact[]
    for (const fact of facts) sink.push(call === undefined ? fact : { ...fact, caught: { call, tryNode: call } })
  }

  // ---- conditions --------------------------------------------------------------------------------

  /** The paths on which `test` is `value`; contradictory or undecidable ones are dropped. */
  assume(facts: Fact[], test: AstNode, value: boolean, scope: Scope, shown = { node: test, value }): Fact[] {
    if (facts.length === 0) return facts
    if (test.type === 'UnaryExpression' && test.operator === '!') return this.assume(facts, test.argument as AstNode, !value, scope, shown)
    if (test.type === 'LogicalExpression' && test.operator !== '??') {
      const left = test.left as AstNode
      const right = test.right as AstNode
      const and = test.operator === '&&'
      if (and === value) return this.assume(this.assume(facts, left, value, scope, shown), right, value, scope, shown)
      return merge([
        ...this.assume(facts, left, value, scope, shown),
        ...this.assume(this.assume(facts, left, !value, scope, shown), right, value, scope, shown),
      ])
    }
    if (hasSideEffect(test)) return []
    const parsed = parseTest(test, this.source)
    const key = ((test.keyText as string | undefined) ?? this.source.slice(test.start, test.end)).replace(/\s+/g, ' ')
    const cond: Cond = { key, value, node: test, test: parsed, shown }
    const chains = parsed.form === 'opaque' ? parsed.chains : [parsed.chain]
    const out: Fact[] = []
    for (const fact of facts) {
      if (chains.some((chain) => isDirty(fact, chain))) continue
      const same = fact.conds.find((c) => c.key === key)
      if (same !== undefined) {
        if (same.value === value) out.push(fact)
        continue
      }
      if (!feasible([...fact.conds, cond], (chain) => literalOf(chain, scope, fact))) continue
      out.push({ ...fact, conds: [...fact.conds, cond] })
    }
    return out
  }

  // ---- expressions -------------------------------------------------------------------------------

  /** `mode`: what the value is used for (`await`ed, `return`ed, or dropped), which matters for a promise chain. */
  expression(node: AstNode, facts: Fact[], frame: Frame, scope: Scope, mode: 'await' | 'return' | 'drop' | 'value' = 'value'): Fact[] {
    if (facts.length === 0) return facts
    this.tick(facts)
    switch (node.type) {
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ClassExpression':
      case 'Literal':
      case 'Identifier':
      case 'ThisExpression':
      case 'Super':
      case 'MetaProperty':
        return facts
      case 'CallExpression':
      case 'NewExpression':
        return this.call(node, facts, frame, scope, mode)
      case 'ChainExpression':
        return this.expression(node.expression as AstNode, facts, frame, scope, mode)
      case 'AwaitExpression': {
        const argument = node.argument as AstNode
        // A promise the rule waits for may reject. A call's rejection leaves the path as the call
        // found it (its throw is a path already), a chain's and an awaited helper's are paths too.
        if (frame.catching && !['CallExpression', 'NewExpression', 'ChainExpression'].includes(argument.type)) this.throwTo(frame, facts, node)
        return this.expression(argument, facts, frame, scope, 'await')
      }
      case 'LogicalExpression': {
        const left = node.left as AstNode
        const evaluated = this.expression(left, facts, frame, scope)
        if (node.operator === '??') return merge([...evaluated, ...this.expression(node.right as AstNode, evaluated, frame, scope)])
        const and = node.operator === '&&'
        const short = this.assume(evaluated, left, !and, scope)
        const long = this.expression(node.right as AstNode, this.assume(evaluated, left, and, scope), frame, scope, mode)
        return merge([...short, ...long])
      }
      case 'ConditionalExpression': {
        const test = node.test as AstNode
        const evaluated = this.expression(test, facts, frame, scope)
        const yes = this.expression(node.consequent as AstNode, this.assume(evaluated, test, true, scope), frame, scope, mode)
        const no = this.expression(node.alternate as AstNode, this.assume(evaluated, test, false, scope), frame, scope, mode)
        return merge([...yes, ...no])
      }
      case 'AssignmentExpression': {
        let out = this.expression(node.right as AstNode, facts, frame, scope)
        const left = node.left as AstNode
        if (left.type === 'MemberExpression') out = this.expression(left.object as AstNode, out, frame, scope)
        const literal = (node.right as AstNode).type === 'Literal' || node.operator !== '='
        return out.map((f) => changed(f, targets(left), left.type !== 'MemberExpression' || literal))
      }
      case 'UpdateExpression':
        return facts.map((f) => changed(f, targets(node.argument as AstNode), true))
      case 'UnaryExpression':
        if (node.operator === 'delete') return facts.map((f) => changed(f, targets(node.argument as AstNode), true))
        return this.expression(node.argument as AstNode, facts, frame, scope)
      case 'MemberExpression': {
        let out = this.expression(node.object as AstNode, facts, frame, scope)
        const object = node.object as AstNode
        if (object.type === 'Identifier' && node.optional !== true) out = this.read(object.name as string, out, frame, scope)
        return node.computed ? this.expression(node.property as AstNode, out, frame, scope) : out
      }
      case 'Property':
        return this.expression(node.value as AstNode, node.computed ? this.expression(node.key as AstNode, facts, frame, scope) : facts, frame, scope)
      case 'YieldExpression':
        return []
      default: {
        let out = facts
        for (const child of children(node)) {
          if (child.type.endsWith('Statement') || child.type === 'SwitchCase') return []
          out = this.expression(child, out, frame, scope)
        }
        return out
      }
    }
  }

  call(node: AstNode, facts: Fact[], frame: Frame, scope: Scope, mode: 'await' | 'return' | 'drop' | 'value'): Fact[] {
    if (isChain(node)) return this.chain(node, facts, frame, scope, mode)
    const callee = node.callee as AstNode
    const args = node.arguments as AstNode[]
    let out = facts
    if (callee.type === 'MemberExpression') {
      out = this.expression(callee.object as AstNode, out, frame, scope)
      if (callee.computed) out = this.expression(callee.property as AstNode, out, frame, scope)
    } else if (!FUNCTION_TYPES.has(callee.type)) {
      out = this.expression(callee, out, frame, scope)
    }
    for (const arg of args) {
      if (arg.type === 'SpreadElement') out = this.expression(arg.argument as AstNode, out, frame, scope)
      else if (!FUNCTION_TYPES.has(arg.type)) out = this.expression(arg, out, frame, scope)
    }
    if (out.length === 0) return out
    out = out.map(settled)
    const target = this.value(callee, scope)
    const method = callee.type === 'MemberExpression' && !callee.computed ? (callee.property.name as string) : undefined
    const root = rootName(callee)
    const argValues = args.map((arg) => this.value(arg, scope))

    if (target.kind === 'callback') return out.map((f) => this.called(f, node))
    if (target.kind === 'function') {
      if (node.type === 'NewExpression') return this.unknownCall(node, out, frame, argValues, false)
      return this.invoke(target, argValues, out, frame, node, false, mode === 'await')
    }
    if (node.type === 'NewExpression' && callee.type === 'Identifier' && callee.name === 'Promise') {
      const executor = argValues[0]
      if (executor?.kind === 'function') return this.invoke(executor, [UNKNOWN, UNKNOWN], out, frame, node, false)
      return out
    }
    // A loop over a collection: arr.forEach(fn), _.each(arr, fn).
    const iteratee =
      method !== undefined && (ITERATORS.has(method) || EARLY_EXIT_ITERATORS.has(method)) && !(root === '_' || root === 'lodash')
        ? argValues[0]
        : method !== undefined && (root === '_' || root === 'lodash') && (LODASH_ITERATORS.has(method) || EARLY_EXIT_ITERATORS.has(method))
          ? argValues[1]
          : undefined
    if (iteratee !== undefined && iteratee.kind !== 'unknown') {
      if (iteratee.kind === 'callback') return []
      const receiver = callee.type === 'MemberExpression' && !(root === '_' || root === 'lodash') ? (callee.object as AstNode) : args[0]
      return this.iterate(
        node,
        iteratee,
        receiver,
        out,
        frame,
        method !== undefined && EARLY_EXIT_ITERATORS.has(method),
        method !== 'forEach' && method !== 'each' && method !== 'forOwn' && method !== 'forIn',
      )
    }
    if (method !== undefined && REPEATING.has(method)) return this.unknownCall(node, out, frame, argValues, false)
    if (callee.type === 'Identifier' && REPEATING.has(callee.name as string)) return this.unknownCall(node, out, frame, argValues, false)
    const timer = (callee.type === 'Identifier' && TIMERS.has(callee.name as string)) || (root === 'process' && method === 'nextTick')
    const request = root !== undefined && this.requestNames.has(root) && scope.lookup(root)?.value().kind !== 'function'
    return this.unknownCall(node, out, frame, argValues, timer || request)
  }

  /**
   * Reading a property of `name`: on a path where it still holds the `undefined` or `null` it was
   * declared with, that throws. In a Node-style callback, the results (`res`, `body`) of a call that
   * failed may be missing: whether reading them throws is not known, the path is dropped.
   */
  read(name: string, facts: Fact[], frame: Frame, scope: Scope): Fact[] {
    const out: Fact[] = []
    for (const fact of facts) {
      const literal = literalOf(name, scope, fact) ?? boundTo(fact, name)
      if (literal !== undefined && literal.value == null) {
        this.throwTo(frame, [fact], undefined)
        continue
      }
      const style = frame.nodeStyle
      const failed =
        style !== undefined && style.results.has(name) && fact.conds.some((c) => c.value && c.test.form === 'truthy' && c.test.chain === style.error)
      if (!failed) out.push(fact)
    }
    return out
  }

  /** A call the analysis does not know: functions it gets run once later when that is their contract. */
  unknownCall(node: AstNode, facts: Fact[], frame: Frame, argValues: Value[], runsOnce: boolean): Fact[] {
    // The call may throw, before it runs anything it was given.
    if (frame.catching && !isConsole(node)) this.throwTo(frame, facts, node)
    let out = facts
    for (const value of argValues) {
      if (value.kind === 'callback') {
        if (!runsOnce) return []
        this.later++
        out = out.map((f) => this.called(f, node))
        this.later--
      } else if (value.kind === 'function') {
        const params = value.node.params as AstNode[]
        const nodeStyle = params[0]?.type === 'Identifier' && ERROR_PARAM.test(params[0].name as string)
        if (runsOnce || nodeStyle) {
          out = this.invoke(
            value,
            argValues.map(() => UNKNOWN),
            out,
            frame,
            node,
            true,
          )
          continue
        }
        if (this.reaches(value)) return []
        // Not run here: whatever it changes is not known afterwards.
        const changedNames = [...writes(value.node.body as AstNode)]
        out = out.map((f) => changed(f, changedNames, true))
      }
    }
    return out
  }

  /** What a handler's returned expression resolves the next link with: a literal, or what the callback returns (undefined). */
  resolvesWith(node: AstNode | null, scope: Scope): { value: unknown } {
    if (node === null) return { value: undefined }
    if (node.type === 'CallExpression' && this.value(node.callee as AstNode, scope).kind === 'callback') return { value: undefined }
    return literalValue(node) ?? { value: NOT_LITERAL }
  }

  /** A returned value that may be a promise that rejects: a call of something unknown, `await`, `new`. */
  mayReject(node: AstNode, scope: Scope): boolean {
    if (node.type === 'AwaitExpression') return true
    if (node.type !== 'CallExpression' && node.type !== 'NewExpression') return false
    return isChain(node) || this.value(node.callee as AstNode, scope).kind === 'unknown'
  }

  /** Whether a function may call the callback: it names it, or a binding that holds a function or the callback. */
  reaches(fn: Value & { kind: 'function' }): boolean {
    let found = false
    walkAll(fn.node.body as AstNode, (n) => {
      if (found || n.type !== 'Identifier') return
      if (this.names.has(n.name as string) || (fn.scope.lookup(n.name as string)?.value().kind ?? 'unknown') !== 'unknown') found = true
    })
    return found
  }

  /** A loop body run by a collection method: zero, one or two iterations (one for the early-exit ones). */
  iterate(
    node: AstNode,
    body: Value & { kind: 'function' },
    receiver: AstNode | undefined,
    facts: Fact[],
    frame: Frame,
    earlyExit: boolean,
    usesResult: boolean,
  ): Fact[] {
    const elements = receiver?.type === 'ArrayExpression' ? (receiver.elements as AstNode[]).length : undefined
    const params = new Set((body.node.params as AstNode[]).flatMap(patternNames))
    const exits: Fact[] = elements === undefined || elements === 0 ? [...facts] : []
    let entering = facts
    for (let iteration = 1; iteration <= (earlyExit ? 1 : 2); iteration++) {
      if (elements !== undefined && iteration > elements) break
      this.iterations.push(`${node.start}:${iteration}`)
      const after = this.invoke(
        body,
        [UNKNOWN, UNKNOWN, UNKNOWN],
        entering.map((f) => forget(f, params)),
        frame,
        node,
        false,
      )
      this.iterations.pop()
      entering = after.map((f) => forget(f, params))
      if (elements === undefined || iteration === elements || iteration === 2) exits.push(...entering)
    }
    // What a map/filter/… body returns is the call's result: a 'return callback(…)' there puts
    // undefined in it, and what the rule then does with it is not followed.
    const kept = usesResult ? exits.filter((f) => !f.calls.some((c) => c.returnedFrom === body.node)) : exits
    return merge(kept.map(settled))
  }

  /** Run a function: inline (a helper, a loop body) or later (a continuation). */
  invoke(fn: Value & { kind: 'function' }, args: Value[], facts: Fact[], caller: Frame, site: AstNode, later: boolean, awaited = false): Fact[] {
    const node = fn.node
    if (this.stack.includes(node) || this.stack.length >= MAX_DEPTH) return []
    const scope = new Scope(fn.scope)
    const written = writes(node.body as AstNode)
    ;(node.params as AstNode[]).forEach((param, index) => {
      if (param.type === 'Identifier') {
        const name = param.name as string
        scope.vars.set(name, { value: () => (written.has(name) ? UNKNOWN : (args[index] ?? UNKNOWN)) })
      } else for (const name of patternNames(param)) scope.vars.set(name, { value: () => UNKNOWN })
    })
    const inner = this.declare(node, scope)
    const frame = this.frame(node, false, later || caller.later, !later && caller.catching)
    const params = node.params as AstNode[]
    if (later && params[0]?.type === 'Identifier' && ERROR_PARAM.test(params[0].name as string)) {
      frame.nodeStyle = { error: params[0].name as string, results: new Set(params.slice(1).flatMap(patternNames)) }
    }
    this.stack.push(node)
    this.sites.push(site)
    if (later) this.later++
    const body = node.body as AstNode
    let normal: Fact[]
    try {
      if (body.type === 'BlockStatement') {
        normal = this.block(body.body as AstNode[], facts, frame, inner).map((f) => ({
          ...this.withExit(f, { node: closing(body), kind: 'end', fn: node, later: frame.later }),
          resolved: { value: undefined },
        }))
      } else {
        const value = this.resolvesWith(body, inner)
        normal = this.expression(body, facts, frame, inner, 'return').map((f) => ({
          ...this.withExit(f, { node: body, kind: 'end', fn: node, later: frame.later }),
          resolved: value,
        }))
      }
    } finally {
      this.stack.pop()
      this.sites.pop()
      if (later) this.later--
    }
    const thrown = frame.throwSinks[0] as Fact[]
    // What a function run inline throws, its caller's try sees; an async function's throw is a
    // rejection (lost unless awaited); a continuation's ends the run (ERR_RULE_EXCEPTION).
    if (!later && (node.async !== true || awaited) && thrown.length > 0) this.throwTo(caller, thrown.map(settled), undefined)
    const out = [...normal, ...frame.returns]
    // What it returned is the call's value; an async function's only when awaited.
    return merge(later || (node.async === true && !awaited) ? out.map(settled) : out)
  }

  /** `p.then(f).catch(g)…`: each link's handlers on the paths where the promise before it resolved or rejected. */
  chain(node: AstNode, facts: Fact[], frame: Frame, scope: Scope, mode: 'await' | 'return' | 'drop' | 'value'): Fact[] {
    const links: AstNode[] = []
    let base = node
    while (isChain(base)) {
      links.unshift(base)
      base = (base.callee as AstNode).object as AstNode
    }
    const evaluated = this.expression(base, facts, frame, scope)
    let resolved = this.fork(evaluated, base, true)
    let rejected = this.fork(evaluated, base, false)
    for (const link of links) {
      const method = (link.callee as AstNode).property.name as string
      const args = (link.arguments as AstNode[]).map((arg) => this.value(arg, scope))
      for (const arg of link.arguments as AstNode[]) if (!FUNCTION_TYPES.has(arg.type)) resolved = this.expression(arg, resolved, frame, scope)
      const argNodes = link.arguments as AstNode[]
      const run = (handler: Value | undefined, entering: Fact[], resolvedParam = false, at: AstNode = link): { ok: Fact[]; failed: Fact[] } => {
        if (handler === undefined || handler.kind === 'unknown' || entering.length === 0) return { ok: entering, failed: [] }
        if (handler.kind === 'callback') {
          this.later++
          const ok = entering.map((f) => this.called(f, at))
          this.later--
          return { ok, failed: [] }
        }
        return this.invokeHandler(handler, entering, link, resolvedParam)
      }
      if (method === 'then') {
        const onResolved = run(args[0], resolved, true, argNodes[0])
        const onRejected = args[1] === undefined ? { ok: [], failed: rejected } : run(args[1], rejected, false, argNodes[1])
        resolved = merge([...onResolved.ok, ...onRejected.ok])
        rejected = merge([...onResolved.failed, ...onRejected.failed])
      } else if (method === 'catch') {
        const onRejected = run(args[0], rejected, false, argNodes[0])
        resolved = merge([...resolved, ...onRejected.ok])
        rejected = onRejected.failed
      } else {
        const a = run(args[0], resolved)
        const b = run(args[0], rejected)
        resolved = a.ok
        rejected = merge([...a.failed, ...b.ok, ...b.failed])
      }
    }
    // An unhandled rejection ends the run (ERR_RULE_EXCEPTION); one the rule awaits or returns is
    // its caller's to handle.
    if (mode === 'await' || mode === 'return') this.throwTo(frame, rejected.map(settled), undefined)
    // What an awaited chain resolved with is kept for a declaration to bind (`const x = await …`).
    return merge(resolved.map((f) => (mode === 'await' ? { ...f, promise: undefined } : settled(f))))
  }

  invokeHandler(handler: Value & { kind: 'function' }, entering: Fact[], link: AstNode, resolvedParam: boolean): { ok: Fact[]; failed: Fact[] } {
    const probe = this.frame(handler.node, false, true, true)
    probe.handler = true
    // A handler runs later, with its throws (and a rejected promise it returns) rejecting the next link.
    const node = handler.node
    if (this.stack.includes(node) || this.stack.length >= MAX_DEPTH) return { ok: [], failed: [] }
    const scope = new Scope(handler.scope)
    const written = writes(node.body as AstNode)
    for (const param of node.params as AstNode[])
      for (const name of patternNames(param)) scope.vars.set(name, { value: () => (written.has(name) ? UNKNOWN : UNKNOWN) })
    const inner = this.declare(node, scope)
    // The value the link before resolved with, when it was a literal (`return null`): a fact about
    // this handler's first parameter.
    // When some paths resolve with a literal and others not, the literal is a sentinel (`return
    // null` after calling back) and a test of the parameter on the other paths is not decided.
    const first = (node.params as AstNode[])[0]
    const sentinel = entering.some((f) => f.resolved !== undefined && f.resolved.value !== NOT_LITERAL)
    const start = entering.map((f) => {
      if (f.resolved === undefined) return f
      const cleared = { ...f, resolved: undefined }
      if (!resolvedParam || first?.type !== 'Identifier') return cleared
      const name = first.name as string
      if (f.resolved.value === NOT_LITERAL) return sentinel ? changed(cleared, [name], true) : cleared
      const cond: Cond = { key: `${name}@${link.start}`, value: true, node: link, test: { form: 'eq', chain: name, literal: f.resolved.value, equal: true } }
      return { ...cleared, conds: [...cleared.conds, cond] }
    })
    this.stack.push(node)
    this.sites.push(link)
    this.later++
    const body = node.body as AstNode
    let normal: Fact[]
    try {
      if (body.type === 'BlockStatement') {
        normal = this.block(body.body as AstNode[], start, probe, inner).map((f) => ({
          ...this.withExit(f, { node: closing(body), kind: 'end', fn: node, later: true }),
          resolved: { value: undefined },
        }))
      } else {
        const value = this.resolvesWith(body, inner)
        const promise = this.mayReject(body, inner)
        normal = this.expression(body, start, probe, inner, 'return').map((f) => ({
          ...this.withExit(f, { node: body, kind: 'end', fn: node, later: true }),
          resolved: value,
          promise,
        }))
      }
    } finally {
      this.stack.pop()
      this.sites.pop()
      this.later--
    }
    const left = [...normal, ...probe.returns]
    const failed = [...(probe.throwSinks[0] as Fact[])]
    // A handler that returns a call's result (a promise, maybe) can make the next link reject.
    const promised = left.filter((f) => f.promise === true).map((f) => ({ ...f, promise: undefined }))
    failed.push(...this.fork(promised, link, false).map(settled))
    const ok = [...left.filter((f) => f.promise !== true), ...this.fork(promised, link, true)]
    return { ok: merge(ok), failed: merge(failed) }
  }

  /** The paths on which the promise of `node` resolved (`true`) or rejected. */
  fork(facts: Fact[], node: AstNode, resolved: boolean): Fact[] {
    const key = `promise@${node.start}:${node.end}`
    const cond: Cond = { key, value: resolved, node, test: { form: 'opaque', chains: [] } }
    return facts.map((f) => (f.conds.some((c) => c.key === key) ? f : { ...f, conds: [...f.conds, cond] }))
  }

  readonly usesCache = new Map<AstNode, boolean>()

  withExit(fact: Fact, exit: Exit): Fact {
    let uses = this.usesCache.get(exit.fn)
    if (uses === undefined) {
      uses = exit.fn === this.rule || touches(exit.fn, this.names)
      this.usesCache.set(exit.fn, uses)
    }
    return withExit(fact, { ...exit, uses })
  }

  called(fact: Fact, node: AstNode): Fact {
    const call: Call = { node, sites: [...this.sites], iterations: this.iterations.join(','), later: this.later > 0 }
    if (fact.count === 2) return fact
    if (fact.count === 1) {
      this.reportSecond(fact.calls[0] as Call, call, fact)
      return { ...fact, count: 2, calls: [...fact.calls, call] }
    }
    return { ...fact, count: 1, calls: [call] }
  }
}

// ---- helpers -------------------------------------------------------------------------------------

function walkAll(node: AstNode, visit: (node: AstNode) => void): void {
  visit(node)
  for (const child of children(node)) walkAll(child, visit)
}

function isLoop(node: AstNode): boolean {
  return ['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement'].includes(node.type)
}

function isChain(node: AstNode): boolean {
  if (node.type !== 'CallExpression') return false
  const callee = node.callee as AstNode
  return callee.type === 'MemberExpression' && !callee.computed && ['then', 'catch', 'finally'].includes(callee.property?.name as string)
}

function isConsole(node: AstNode): boolean {
  return rootName(node.callee as AstNode) === 'console'
}

function rootName(node: AstNode): string | undefined {
  let current = node
  while (current.type === 'MemberExpression') current = current.object as AstNode
  return current.type === 'Identifier' ? (current.name as string) : undefined
}

function closing(body: AstNode): AstNode {
  const end = body.loc?.end ?? { line: 1, column: 1 }
  return { type: 'Closing', start: body.end - 1, end: body.end, loc: { start: { line: end.line, column: Math.max(0, end.column - 1) }, end } }
}

/** The place a path ended: a function that uses the callback over one that does not, then one that runs later. */
function withExit(fact: Fact, exit: Exit): Fact {
  const old = fact.exit
  if (old !== undefined) {
    if (old.uses === true && exit.uses !== true) return fact
    if (old.uses === exit.uses && old.later && !exit.later) return fact
  }
  return { ...fact, exit }
}

function markReturned(fact: Fact, call: AstNode, fn: AstNode): Fact {
  const calls = fact.calls.map((c) => (c.node === call && c.returnedFrom === undefined ? { ...c, returnedFrom: fn } : c))
  return { ...fact, calls }
}

function settled(fact: Fact): Fact {
  return fact.resolved === undefined && fact.promise === undefined ? fact : { ...fact, resolved: undefined, promise: undefined }
}

/** A variable declared (again): what the path knew about it, and its being changed, no longer hold. */
function reset(fact: Fact, names: readonly string[]): Fact {
  const set = new Set(names)
  const cleared = forget(fact, set)
  return cleared
}

function tagCaught(fact: Fact, tryNode: AstNode): Fact {
  if (fact.caught === undefined) return fact
  return { ...fact, caught: { call: fact.caught.call, tryNode } }
}

/** The names of a binding pattern. */
function patternNames(node: AstNode): string[] {
  switch (node.type) {
    case 'Identifier':
      return [node.name as string]
    case 'ObjectPattern':
      return (node.properties as AstNode[]).flatMap((p) => patternNames((p.type === 'RestElement' ? p.argument : p.value) as AstNode))
    case 'ArrayPattern':
      return (node.elements as (AstNode | null)[]).flatMap((e) => (e === null ? [] : patternNames(e)))
    case 'RestElement':
      return patternNames(node.argument as AstNode)
    case 'AssignmentPattern':
      return patternNames(node.left as AstNode)
    default:
      return []
  }
}

/** Names assigned (not declared) anywhere inside `node`, nested functions included. `declarations`: count `let i = 0` too. */
function writes(node: AstNode, declarations = false): Set<string> {
  const out = new Set<string>()
  walkAll(node, (n) => {
    if (n.type === 'AssignmentExpression') for (const name of patternNames(n.left as AstNode)) out.add(name)
    if (n.type === 'UpdateExpression' && n.argument?.type === 'Identifier') out.add(n.argument.name as string)
    if ((n.type === 'ForInStatement' || n.type === 'ForOfStatement') && n.left?.type !== 'VariableDeclaration')
      for (const name of patternNames(n.left as AstNode)) out.add(name)
    if (declarations && n.type === 'VariableDeclarator') for (const name of patternNames(n.id as AstNode)) out.add(name)
  })
  return out
}

/** The chains an assignment target changes: `x`, `user.app_metadata.plan`. */
function targets(node: AstNode): string[] {
  const chain = chainOf(node)
  if (chain !== undefined) return [chain]
  return patternNames(node)
}

function changed(fact: Fact, chains: readonly string[], dirty: boolean): Fact {
  if (chains.length === 0) return fact
  const touches = (c: Cond) => (c.test.form === 'opaque' ? c.test.chains : [c.test.chain]).some((x) => chains.some((chain) => related(x, chain)))
  const conds = fact.conds.filter((c) => !touches(c))
  if (!dirty && conds.length === fact.conds.length) return fact
  const out = new Set(fact.dirty)
  if (dirty) for (const chain of chains) out.add(chain)
  return { ...fact, conds, dirty: out }
}

/** Forget what the path knew about names that are bound again (a loop's variable). */
function forget(fact: Fact, names: ReadonlySet<string>): Fact {
  if (names.size === 0) return fact
  const conds = fact.conds.filter((c) => !(c.test.form === 'opaque' ? c.test.chains : [c.test.chain]).some((x) => names.has(rootOf(x))))
  const dirty = [...fact.dirty].filter((chain) => !names.has(rootOf(chain)))
  return conds.length === fact.conds.length && dirty.length === fact.dirty.size ? fact : { ...fact, conds, dirty: new Set(dirty) }
}

function rootOf(chain: string): string {
  const dot = chain.search(/[.[]/)
  return (dot < 0 ? chain : chain.slice(0, dot)).replace(/^typeof /, '')
}

/** One chain is the other or inside it (`user.a` and `user.a.b`). */
function related(a: string, b: string): boolean {
  const x = a.replace(/^typeof /, '')
  const y = b.replace(/^typeof /, '')
  return x === y || x.startsWith(`${y}.`) || y.startsWith(`${x}.`)
}

function isDirty(fact: Fact, chain: string): boolean {
  for (const dirty of fact.dirty) if (related(chain, dirty)) return true
  return false
}

function touches(fn: AstNode, names: ReadonlySet<string>): boolean {
  let found = false
  walkAll(fn.body as AstNode, (n) => {
    if (n.type === 'Identifier' && names.has(n.name as string)) found = true
  })
  return found
}

function hasSideEffect(node: AstNode): boolean {
  let found = false
  walkAll(node, (n) => {
    if (n.type === 'AssignmentExpression' || n.type === 'UpdateExpression' || n.type === 'AwaitExpression' || n.type === 'YieldExpression') found = true
    if (FUNCTION_TYPES.has(n.type)) found = true
  })
  return found
}

/** `user.app_metadata.plan`, `res['statusCode']`: a chain of constant property reads on a name. */
function chainOf(node: AstNode): string | undefined {
  if (node.type === 'Identifier') return node.name as string
  if (node.type === 'ChainExpression') return chainOf(node.expression as AstNode)
  if (node.type !== 'MemberExpression') return undefined
  const object = chainOf(node.object as AstNode)
  if (object === undefined) return undefined
  const property = node.property as AstNode
  if (!node.computed && property.type === 'Identifier') return `${object}.${property.name as string}`
  if (node.computed && property.type === 'Literal') return `${object}.${String(property.value)}`
  return undefined
}

/** Every chain a condition reads. */
function mentions(node: AstNode): string[] {
  const out: string[] = []
  visitReads(node, (n) => {
    const chain = chainOf(n)
    if (chain !== undefined) out.push(chain)
    return chain !== undefined
  })
  return out
}

function literalValue(node: AstNode): { value: unknown } | undefined {
  if (node.type === 'Literal' && !('regex' in node)) return { value: node.value }
  if (node.type === 'Identifier' && node.name === 'undefined') return { value: undefined }
  if (node.type === 'UnaryExpression' && node.operator === '-' && node.argument?.type === 'Literal' && typeof node.argument.value === 'number') {
    return { value: -(node.argument.value as number) }
  }
  if (node.type === 'TemplateLiteral' && (node.expressions as AstNode[]).length === 0) return { value: (node.quasis as AstNode[])[0]?.value.cooked }
  return undefined
}

function parseTest(test: AstNode, source: string): Test {
  void source
  const chain = chainOf(test)
  if (chain !== undefined) return { form: 'truthy', chain }
  if (test.type === 'BinaryExpression') {
    const op = test.operator as string
    const sides = [test.left as AstNode, test.right as AstNode]
    for (const [a, b] of [sides, [...sides].reverse()] as [AstNode, AstNode][]) {
      const literal = literalValue(b)
      if (literal === undefined) continue
      const subject =
        chainOf(a) ??
        (a.type === 'UnaryExpression' && a.operator === 'typeof' && chainOf(a.argument as AstNode) !== undefined
          ? `typeof ${chainOf(a.argument as AstNode)}`
          : undefined)
      if (subject === undefined) continue
      if (['===', '!==', '==', '!='].includes(op)) return { form: 'eq', chain: subject, literal: literal.value, equal: op === '===' || op === '==' }
      if (['<', '<=', '>', '>='].includes(op) && typeof literal.value === 'number') {
        const flipped = a !== sides[0]
        const mirror: Record<string, '<' | '<=' | '>' | '>='> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' }
        return { form: 'range', chain: subject, op: flipped ? (mirror[op] as '<') : (op as '<'), bound: literal.value }
      }
    }
  }
  return { form: 'opaque', chains: mentions(test) }
}

/**
 * Whether conditions can all hold together. Conditions on one value are related when they have a
 * simple form (truthiness, `=== literal`, `< number`); any other overlap is undecidable (false).
 */
function feasible(conds: readonly Cond[], literalOf: (chain: string) => { value: unknown } | undefined): boolean {
  const byChain = new Map<string, Cond[]>()
  for (const cond of conds) {
    const chains = cond.test.form === 'opaque' ? cond.test.chains : [cond.test.chain]
    for (const chain of chains) {
      const list = byChain.get(chain) ?? []
      list.push(cond)
      byChain.set(chain, list)
    }
  }
  // A chain inside one a condition found falsy cannot be read (it throws): undecidable.
  for (const cond of conds) {
    if (cond.test.form !== 'truthy' || cond.value) continue
    const falsy = cond.test.chain
    for (const other of conds) {
      const chains = other.test.form === 'opaque' ? other.test.chains : [other.test.chain]
      if (chains.some((chain) => chain.startsWith(`${falsy}.`))) return false
    }
  }
  for (const [chain, list] of byChain) {
    const known = literalOf(chain)
    if (list.length < 2 && known === undefined) continue
    if (list.some((c) => c.test.form === 'opaque')) {
      // Knowing a value is truthy says nothing of another test on it (`if (!email) return …;` then
      // `if (email.toLowerCase() !== email)`); any other pair is undecidable.
      const others = list.filter((c) => !(c.test.form === 'truthy' && c.value))
      if (others.length > 1 || known !== undefined) return false
      continue
    }
    if (!satisfiable(list, known)) return false
  }
  return true
}

function satisfiable(conds: readonly Cond[], known: { value: unknown } | undefined): boolean {
  // Candidate values: every literal mentioned, the known one, and generic stand-ins.
  const candidates: unknown[] = known !== undefined ? [known.value] : [undefined, null, true, false, 0, '', 'a value no condition names', {}]
  if (known === undefined) {
    for (const c of conds) {
      if (c.test.form === 'eq') candidates.push(c.test.literal)
      if (c.test.form === 'range') candidates.push(c.test.bound, c.test.bound - 1, c.test.bound + 1, c.test.bound + 0.5, c.test.bound - 0.5)
    }
  }
  const typeofChain = conds.some((c) => c.test.form !== 'opaque' && c.test.chain.startsWith('typeof '))
  if (typeofChain && known === undefined) candidates.push('string', 'number', 'object', 'undefined', 'function', 'boolean')
  return candidates.some((v) => conds.every((c) => holds(c, v)))
}

function holds(cond: Cond, v: unknown): boolean {
  const test = cond.test
  let result: boolean
  switch (test.form) {
    case 'truthy':
      result = Boolean(v)
      break
    case 'eq':
      result = (v === test.literal || (v == null && test.literal == null)) === test.equal
      break
    case 'range': {
      if (typeof v !== 'number') result = false
      else result = test.op === '<' ? v < test.bound : test.op === '<=' ? v <= test.bound : test.op === '>' ? v > test.bound : v >= test.bound
      break
    }
    default:
      return true
  }
  return result === cond.value
}

/** The literal a path bound `name` to (a declaration from an awaited chain, a handler's parameter). */
function boundTo(fact: Fact, name: string): { value: unknown } | undefined {
  if (fact.dirty.has(name)) return undefined
  for (const c of fact.conds)
    if (c.value && c.test.form === 'eq' && c.test.equal && c.test.chain === name && c.key.includes('@')) return { value: c.test.literal }
  return undefined
}

function literalOf(chain: string, scope: Scope, fact: Fact): { value: unknown } | undefined {
  if (chain.includes('.') || chain.startsWith('typeof ') || fact.dirty.has(chain)) return undefined
  return scope.lookup(chain)?.literal
}

function loopOf(a: string, b: string, rule: AstNode): number | undefined {
  const x = a.split(',')
  const y = b.split(',')
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) {
      const start = Number((x[i] ?? '').split(':')[0])
      let line: number | undefined
      walkAll(rule, (n) => {
        if (line === undefined && n.start === start) line = lineOf(n)
      })
      return line
    }
  }
  return undefined
}

/** Sorted, deduplicated paths, with two that differ only in one condition's outcome merged. */
function merge(facts: Fact[]): Fact[] {
  const byKey = new Map<string, Fact>()
  for (const fact of facts) {
    const key = signature(fact, true)
    if (!byKey.has(key)) byKey.set(key, fact)
  }
  let list = [...byKey.values()]
  for (let changedAny = true; changedAny && list.length > 1;) {
    changedAny = false
    const groups = new Map<string, Fact[]>()
    for (const fact of list) {
      const key = signature(fact, false)
      const group = groups.get(key) ?? []
      group.push(fact)
      groups.set(key, group)
    }
    const next: Fact[] = []
    for (const group of groups.values()) {
      if (group.length === 1) {
        next.push(group[0] as Fact)
        continue
      }
      // Same outcome: a path whose conditions include another's is covered by it.
      const kept = group.filter(
        (f) =>
          !group.some((g) => g !== f && g.conds.length < f.conds.length && g.conds.every((c) => f.conds.some((d) => d.key === c.key && d.value === c.value))),
      )
      const used = new Set<Fact>()
      for (const f of kept) {
        if (used.has(f)) continue
        const partner = kept.find((g) => g !== f && !used.has(g) && differsInOne(f, g))
        if (partner === undefined) {
          next.push(f)
          continue
        }
        used.add(f)
        used.add(partner)
        const key = f.conds.find((c) => !partner.conds.some((d) => d.key === c.key && d.value === c.value))?.key
        next.push({ ...f, conds: f.conds.filter((c) => c.key !== key) })
        changedAny = true
      }
    }
    list = next
  }
  return list
}

function differsInOne(a: Fact, b: Fact): boolean {
  if (a.conds.length !== b.conds.length) return false
  let differences = 0
  for (const c of a.conds) {
    const d = b.conds.find((x) => x.key === c.key)
    if (d === undefined) return false
    if (d.value !== c.value) differences++
  }
  return differences === 1
}

/** What a path is, apart from (`withConds: false`) its conditions. */
function signature(fact: Fact, withConds: boolean): string {
  const calls = fact.calls.map((c) => `${c.node.start}/${c.returnedFrom?.start ?? ''}/${c.iterations}/${c.sites.map((s) => s.start).join('.')}`).join(';')
  const exit = fact.exit === undefined ? '' : `${fact.exit.kind}${fact.exit.node.start}${fact.exit.later ? 'L' : ''}`
  const caught = fact.caught === undefined ? '' : `${fact.caught.call.start}@${fact.caught.tryNode.start}`
  const conds = withConds
    ? [...fact.conds]
        .map((c) => `${c.key}=${c.value}`)
        .sort()
        .join('&')
    : ''
  const resolved =
    (fact.resolved === undefined ? '' : fact.resolved.value === NOT_LITERAL ? '?' : (JSON.stringify(fact.resolved.value) ?? 'undefined')) +
    (fact.promise === true ? 'P' : '')
  return `${fact.count}|${resolved}|${calls}|${exit}|${[...fact.dirty].sort().join(',')}|${caught}|${conds}`
}

// ---- which uses of the callback are followed -----------------------------------------------------

/**
 * The callback's name and the names that stand for it: aliases (`const done = callback`) and the
 * rule's functions that use it (`function fail(e) { callback(e) }`), to a fixed point.
 */
function standIns(fn: AstNode, callbackName: string): Set<string> {
  const names = new Set([callbackName])
  const bindings: { name: string; value: AstNode; alias: boolean }[] = []
  walkAll(fn.body as AstNode, (node) => {
    if (node.type === 'FunctionDeclaration' && node.id?.type === 'Identifier') bindings.push({ name: node.id.name as string, value: node, alias: false })
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.init !== null) {
      const init = node.init as AstNode
      if (init.type === 'Identifier') bindings.push({ name: node.id.name as string, value: init, alias: true })
      if (FUNCTION_TYPES.has(init.type)) bindings.push({ name: node.id.name as string, value: init, alias: false })
    }
  })
  for (let changedAny = true; changedAny;) {
    changedAny = false
    for (const { name, value, alias } of bindings) {
      if (names.has(name)) continue
      if (alias ? names.has(value.name as string) : touches(value, names)) {
        names.add(name)
        changedAny = true
      }
    }
  }
  return names
}

/**
 * Whether every use of the callback (and of functions that use it) is one the analysis follows: a
 * call, an argument, an alias (`const done = callback`), a test (`if (callback)`). Stored in an
 * object, returned as a value, called through `.call`/`.bind`, or used through `arguments`: the
 * rule is not analysed (nothing reported).
 */
function modelled(fn: AstNode, callbackNames: ReadonlySet<string>): boolean {
  // What may stand for the callback: its names, the rule's own functions, and the names the rule
  // declares and calls (a parameter such as `done`).
  const declared = new Set<string>()
  const called = new Set<string>()
  walkAll(fn, (n) => {
    if (FUNCTION_TYPES.has(n.type)) for (const param of n.params as AstNode[]) for (const name of patternNames(param)) declared.add(name)
    if (n.type === 'FunctionDeclaration' && n.id?.type === 'Identifier') called.add(n.id.name as string)
    if (n.type === 'VariableDeclarator') {
      for (const name of patternNames(n.id as AstNode)) declared.add(name)
      if (n.id.type === 'Identifier' && n.init !== null && FUNCTION_TYPES.has(n.init.type)) called.add(n.id.name as string)
    }
  })
  walkAll(fn, (n) => {
    if ((n.type === 'CallExpression' || n.type === 'NewExpression') && n.callee?.type === 'Identifier' && declared.has(n.callee.name as string))
      called.add(n.callee.name as string)
  })
  const names = new Set([...callbackNames, ...called])
  let ok = true
  const visit = (node: AstNode, parent: AstNode | undefined, top: boolean) => {
    if (!ok) return
    if (node.type === 'Identifier' && node.name === 'arguments' && !top) ok = false
    if (node.type === 'Identifier' && names.has(node.name as string) && parent !== undefined) {
      // A name the rule calls may also be an object (`request.post`); the callback's are not.
      const member = parent.type === 'MemberExpression' && parent.object === node && !callbackNames.has(node.name as string)
      if (!followed(node, parent) && !member) ok = false
    }
    if (!top && (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') && parent !== undefined && touches(node, names)) {
      const asArgument = (parent.type === 'CallExpression' || parent.type === 'NewExpression') && (parent.arguments as AstNode[]).includes(node)
      const asCallee = parent.type === 'CallExpression' && parent.callee === node
      const asInit = parent.type === 'VariableDeclarator' && parent.init === node
      if (!(asArgument || asCallee || asInit)) ok = false
    }
    if (node.type === 'MemberExpression') {
      visit(node.object as AstNode, node, false)
      if (node.computed) visit(node.property as AstNode, node, false)
      return
    }
    if (node.type === 'Property' && !node.computed) {
      visit(node.value as AstNode, node, false)
      return
    }
    // Binding patterns declare names, they do not use them.
    if (node.type === 'VariableDeclarator') {
      if (node.init !== null) visit(node.init as AstNode, node, false)
      return
    }
    if (node.type === 'CatchClause') {
      visit(node.body as AstNode, node, false)
      return
    }
    if (FUNCTION_TYPES.has(node.type)) {
      visit(node.body as AstNode, node, false)
      return
    }
    for (const child of children(node)) visit(child, node, false)
  }
  visit(fn, undefined, true)
  return ok
}

function followed(id: AstNode, parent: AstNode): boolean {
  switch (parent.type) {
    case 'CallExpression':
    case 'NewExpression':
      return parent.callee === id || (parent.arguments as AstNode[]).includes(id)
    case 'VariableDeclarator':
      return true
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return (parent.params as AstNode[]).includes(id) || parent.id === id
    case 'UnaryExpression':
      return parent.operator === 'typeof' || parent.operator === '!'
    case 'IfStatement':
      return parent.test === id
    case 'LogicalExpression':
      return parent.left === id
    case 'ChainExpression':
      return true
    default:
      return false
  }
}
