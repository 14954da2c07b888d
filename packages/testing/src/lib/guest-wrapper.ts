/**
 * Source transforms that let the testing kit see more than an engine result, without changing
 * what a rule does: seeding `global`, and (for `loadRule`) recording exactly what the rule passed
 * to its callback. Everything is added on the rule's first line and after its last, so the line
 * numbers in compile errors and stack traces stay the author's.
 */

/** Hidden global through which the wrapper reports the callback's arguments. */
export const CAPTURE_GLOBAL = '__tokenrulesCapture'
/** Hidden global holding the test's initial `global` contents. */
export const SEED_GLOBAL = '__tokenrulesSeed'

// Same as the engine's: Auth0 exports often end a rule with `};`.
const TRAILING_SEMICOLON = /;(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*$/

/** Hidden global holding the properties of callable stubs (`request.get`, `axios.post`). */
export const PROPS_GLOBAL = '__tokenrulesProps'

/**
 * Runs once per isolate, when the first rule is evaluated: copies the seed into `global`, and puts
 * the properties of callable stubs back on them (globals at once; modules when `require` returns
 * them, by wrapping `require`).
 */
const PRELUDE = `(function (g) {
var s = g.${SEED_GLOBAL}; try { delete g.${SEED_GLOBAL}; } catch (e) {}
if (s !== null && typeof s === 'object') { var k = Object.keys(s); for (var i = 0; i < k.length; i++) g[k[i]] = s[k[i]]; }
var p = g.${PROPS_GLOBAL}; try { delete g.${PROPS_GLOBAL}; } catch (e) {}
if (p === null || typeof p !== 'object') return;
function attach(target, props) { if (typeof target !== 'function' || props === null || typeof props !== 'object') return; var n = Object.keys(props); for (var j = 0; j < n.length; j++) target[n[j]] = props[n[j]]; }
var globalsProps = p.globals || {}; var gn = Object.keys(globalsProps);
for (var a = 0; a < gn.length; a++) attach(g[gn[a]], globalsProps[gn[a]]);
var moduleProps = p.modules || {};
if (Object.keys(moduleProps).length === 0) return;
var original = g.require; var done = [];
g.require = function require(spec) {
  var m = original(spec);
  var at = typeof spec === 'string' ? spec.lastIndexOf('@') : -1;
  var name = at > 0 ? spec.slice(0, at) : spec;
  if (Object.prototype.hasOwnProperty.call(moduleProps, name) && done.indexOf(m) === -1) { attach(m, moduleProps[name]); done.push(m); }
  return m;
};
})(globalThis), `.replace(/\n/g, ' ')

/**
 * The wrapper around the rule's function. It reports, through the capture host function and before
 * the engine sees them: the callback's arguments (their count, the error described, the objects the
 * rule passed, and whether they are the ones it received), or a synchronous throw or rejection.
 */
const CAPTURE_HEAD = `(function (rule, capture) {
if (typeof rule !== 'function') throw new TypeError('The rule must evaluate to a function (user, context, callback); it evaluates to ' + (rule === null ? 'null' : typeof rule) + '.');
function describe(e) {
  if (e === null) return { kind: 'null' };
  if (e === undefined) return { kind: 'undefined' };
  if (typeof e === 'string') return { kind: 'string', value: e };
  if (typeof e !== 'object' && typeof e !== 'function') return { kind: 'value', value: e };
  var isError = false;
  try { isError = e instanceof Error; } catch (x) {}
  if (!isError) return { kind: 'object', value: e };
  var props = {};
  try { var k = Object.keys(e); for (var i = 0; i < k.length; i++) { var v = e[k[i]]; if (typeof v !== 'function') props[k[i]] = v; } } catch (x) {}
  var d = { kind: 'error', name: 'Error', message: '', props: props, unauthorized: false };
  try { d.name = String(e.name); d.message = String(e.message); d.stack = typeof e.stack === 'string' ? e.stack : undefined; } catch (x) {}
  try { d.unauthorized = typeof UnauthorizedError === 'function' && e instanceof UnauthorizedError; } catch (x) {}
  return d;
}
function send(payload) {
  try { capture(payload); } catch (e) {
    try { capture({ kind: payload.kind, argc: payload.argc, failed: String(e && e.message) }); } catch (x) {}
  }
}
return function (user, context, callback) {
  var reported = false;
  function wrappedCallback(err, u, c) {
    if (!reported) {
      reported = true;
      var p = { kind: 'callback', argc: arguments.length, err: describe(err), user: user, context: context };
      if (arguments.length >= 2) { if (u === user) p.userSame = true; else p.passedUser = u; }
      if (arguments.length >= 3) { if (c === context) p.contextSame = true; else p.passedContext = c; }
      send(p);
    }
    return callback.apply(this, arguments);
  }
  var returned;
  try { returned = rule.call(this, user, context, wrappedCallback); }
  catch (e) { if (!reported) { reported = true; send({ kind: 'throw', error: describe(e) }); } throw e; }
  if (returned !== null && typeof returned === 'object' && typeof returned.then === 'function') {
    try { returned.then(undefined, function (e) { if (!reported) { reported = true; send({ kind: 'throw', error: describe(e) }); } }); } catch (x) {}
  }
  return returned;
};
})(`

const CAPTURE_TAIL = `\n, (function (g) { var c = g.${CAPTURE_GLOBAL}; try { delete g.${CAPTURE_GLOBAL}; } catch (e) {} return c; })(globalThis))`

/** `script` with a trailing semicolon (and comments after it) removed. */
export function stripTrailingSemicolon(script: string): string {
  return script.replace(TRAILING_SEMICOLON, '')
}

/** The first rule of a set, running the prelude (seed, callable stubs' properties) when it is evaluated. */
export function withPrelude(script: string): string {
  return PRELUDE + stripTrailingSemicolon(script)
}

/** A rule wrapped to report its callback's arguments through {@link CAPTURE_GLOBAL}. */
export function withCapture(script: string): string {
  return PRELUDE + CAPTURE_HEAD.replace(/\n/g, ' ') + stripTrailingSemicolon(script) + CAPTURE_TAIL
}

/** Lines the wrapper adds after the rule (compile errors there belong to the rule's last line). */
export const CAPTURE_EXTRA_LINES = 1

/** How a guest error or thrown value was described. */
export type DescribedError =
  | { kind: 'null' }
  | { kind: 'undefined' }
  | { kind: 'string'; value: string }
  | { kind: 'value'; value: unknown }
  | { kind: 'object'; value: unknown }
  | { kind: 'error'; name: string; message: string; stack?: string; props: Record<string, unknown>; unauthorized: boolean }

/** What the wrapper reports for one call of the rule. */
export interface CapturedCall {
  kind: 'callback' | 'throw'
  argc?: number
  err?: DescribedError
  error?: DescribedError
  user?: unknown
  context?: unknown
  userSame?: boolean
  contextSame?: boolean
  passedUser?: unknown
  passedContext?: unknown
  /** Set when the arguments could not be copied out (a circular object, say). */
  failed?: string
}
