/** ESTree helpers shared by the checks (acorn's nodes, read loosely). */

// A loose ESTree node: the analysis reads a few fields of many node types.
export interface AstNode {
  type: string
  start: number
  end: number
  loc?: { start: { line: number; column: number }; end: { line: number; column: number } } | null
  [key: string]: any
}

export const FUNCTION_TYPES = new Set(['FunctionExpression', 'ArrowFunctionExpression', 'FunctionDeclaration'])

export function children(node: AstNode): AstNode[] {
  const out: AstNode[] = []
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'type' || key === 'start' || key === 'end') continue
    const value = node[key]
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object' && typeof item.type === 'string') out.push(item as AstNode)
    } else if (value !== null && typeof value === 'object' && typeof value.type === 'string') out.push(value as AstNode)
  }
  return out
}

export function walk(node: AstNode, visit: (node: AstNode) => void): void {
  visit(node)
  for (const child of children(node)) walk(child, visit)
}

export function usesArguments(fn: AstNode): boolean {
  let found = false
  const visit = (node: AstNode, top: boolean) => {
    if (found) return
    if (!top && (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration')) return
    if (node.type === 'Identifier' && node.name === 'arguments') found = true
    for (const child of children(node)) visit(child, false)
  }
  visit(fn, true)
  return found
}

/**
 * The callback's name and every name that stands for it: `const done = callback`, and functions
 * declared in the rule that call it (`function fail(e) { callback(e) }`), to a fixed point.
 */
export function callbackHandOffs(fn: AstNode, callbackName: string): Set<string> {
  const names = new Set([callbackName])
  const bindings: { name: string; value: AstNode }[] = []
  walk(fn.body as AstNode, (node) => {
    if (node.type === 'FunctionDeclaration' && node.id?.type === 'Identifier') bindings.push({ name: node.id.name as string, value: node })
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.init !== null)
      bindings.push({ name: node.id.name as string, value: node.init as AstNode })
    if (node.type === 'AssignmentExpression' && node.left?.type === 'Identifier')
      bindings.push({ name: node.left.name as string, value: node.right as AstNode })
  })
  for (let changed = true; changed;) {
    changed = false
    for (const { name, value } of bindings) {
      if (!names.has(name) && references(value, names)) {
        names.add(name)
        changed = true
      }
    }
  }
  return names
}

/** Whether the subtree mentions one of `names` as a value (calls it, passes it on, stores it). */
export function references(node: AstNode, names: ReadonlySet<string>): boolean {
  let found = false
  visitReads(node, (n) => {
    if (found) return true
    if (n.type === 'Identifier' && names.has(n.name as string)) found = true
    return found
  })
  return found
}

/**
 * Visits what an expression reads, outermost first: `leaf(n)` answers true to stop at `n`. A
 * member's non-computed property and an object literal's non-computed key are names, not reads.
 */
export function visitReads(node: AstNode, leaf: (n: AstNode) => boolean): void {
  const visit = (n: AstNode) => {
    if (leaf(n)) return
    if (n.type === 'MemberExpression') {
      visit(n.object as AstNode)
      if (n.computed) visit(n.property as AstNode)
      return
    }
    if (n.type === 'Property' && !n.computed) {
      visit(n.value as AstNode)
      return
    }
    for (const child of children(n)) visit(child)
  }
  visit(node)
}

export function lineOf(node: AstNode): number {
  return node.loc?.start.line ?? 1
}
