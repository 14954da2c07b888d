/**
 * The harness that runs rules inside the other sandboxes (node:vm, vm2, QuickJS, ses, and the
 * host itself for the plain call): plain ES5 source, evaluated in the sandbox's realm, that
 * compiles each rule once and returns `run(inputJson) -> outputJson`. It implements the rules'
 * callback contract (`callback(err, user, context)`, `UnauthorizedError`, `configuration`,
 * a `global` kept between runs) for rules that call back synchronously, and nothing more: no
 * timeouts, no result validation, no claims policy. It is the least work a sandbox must do to run
 * the workload, so it favours the contenders.
 */
import type { BenchRule } from './workload.js'

const RUNNER = `(function (ruleSources, configurationJson) {
  var configuration = Object.freeze(JSON.parse(configurationJson));
  function UnauthorizedError(message) {
    var error = new Error(message);
    error.name = 'UnauthorizedError';
    Object.setPrototypeOf(error, UnauthorizedError.prototype);
    return error;
  }
  UnauthorizedError.prototype = Object.create(Error.prototype);
  var shared = {};
  var rules = ruleSources.map(function (source) {
    var trimmed = source.replace(/;\\s*$/, '');
    return new Function('global', 'UnauthorizedError', 'configuration', 'return (' + trimmed + '\\n);')(shared, UnauthorizedError, configuration);
  });
  return function run(inputJson) {
    var input = JSON.parse(inputJson);
    var user = input.user;
    var context = input.context;
    context.accessToken = {};
    context.idToken = {};
    for (var i = 0; i < rules.length; i++) {
      var called = false;
      var failure = null;
      rules[i](user, context, function (err, nextUser, nextContext) {
        if (called) return;
        called = true;
        if (err) { failure = err; return; }
        if (nextUser) user = nextUser;
        if (nextContext) context = nextContext;
      });
      if (!called) throw new Error('this harness only runs rules that call back synchronously');
      if (failure) {
        return JSON.stringify({ ok: false, error: (failure instanceof UnauthorizedError ? 'unauthorized: ' : 'denied: ') + (failure.message || String(failure)) });
      }
    }
    var accessToken = {};
    var scope;
    for (var key in context.accessToken) {
      if (key === 'scope') scope = context.accessToken.scope; else accessToken[key] = context.accessToken[key];
    }
    return JSON.stringify({ ok: true, user: user, accessToken: accessToken, idToken: context.idToken, scope: scope });
  };
})`

/** Source that evaluates, in any realm, to the `run(inputJson)` function for `rules`. */
export function harnessSource(rules: readonly BenchRule[], configuration: Record<string, string>): string {
  return `${RUNNER}(${JSON.stringify(rules.map((r) => r.script))}, ${JSON.stringify(JSON.stringify(configuration))})`
}
