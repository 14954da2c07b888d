/**
 * The guest-side half of reachability.test.ts: plain JavaScript, embedded in a rule (or run in a
 * bare isolated-vm context), that walks breadth-first everything reachable from some roots and
 * flags isolated-vm objects and objects of another realm.
 *
 * `(WALKER)(census)` captures every intrinsic it uses when it is called (so call it first thing,
 * before any other code of the rule runs) and returns `{ walk, census }`:
 * - `walk(roots, limit?)`: roots are `[name, value]` pairs; reaches own keys (string and symbol) of
 *   every object and, through the prototypes (which are walked as objects too), the inherited
 *   ones; descriptors' value, get and set; the result of every accessor getter called on the
 *   object that holds it, and of inherited getters called on the object that inherits them; Map
 *   and Set entries; prototypes. Answers `{ visited, hitBound, findings, natives }`, each finding a
 *   string `path: reason` (`globalThis.foo.bar`, `.[[Prototype]]`, `.[[MapValue]]`…).
 * - `census(roots)`: how many native functions (`{ [native code] }`) of each signature (name,
 *   length, own keys) are reachable, for a fresh context: a `walk` given that census flags every
 *   native function whose signature is reachable more often than in a fresh context. That is what
 *   catches an `ivm.Callback`: inside the isolate it is an ordinary-looking native function of the
 *   guest realm, with the name and length of the host function it wraps.
 *
 * Flagged: functions named like isolated-vm's classes (Reference, ExternalCopy, Callback, Isolate,
 * Context, Script, Module, NativeModule; the guest's own `WebAssembly.Module` excepted), objects
 * whose own or inherited keys include Reference/ExternalCopy API methods (derefInto, applySync, …,
 * or both copy and release), a `Symbol.toStringTag` of one of those names, any object whose
 * prototype chain does not end at the guest's `Object.prototype` (null-prototype objects are fine),
 * any function without the guest's `Function.prototype` in its chain, and native functions beyond
 * the census.
 */
export const WALKER = String.raw`(function makeWalker(censusJson) {
  'use strict';
  const ReflectOwnKeys = Reflect.ownKeys;
  const ReflectApply = Reflect.apply;
  const GetPrototypeOf = Object.getPrototypeOf;
  const GetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const DefineProperty = Object.defineProperty;
  const HasOwn = Object.hasOwn;
  const ObjectPrototype = Object.prototype;
  const FunctionPrototype = Function.prototype;
  const FunctionToString = Function.prototype.toString;
  const MapCtor = Map;
  const MapPrototype = Map.prototype;
  const MapGet = Map.prototype.get;
  const MapSet = Map.prototype.set;
  const MapHas = Map.prototype.has;
  const MapForEach = Map.prototype.forEach;
  const SetPrototype = Set.prototype;
  const SetForEach = Set.prototype.forEach;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const SymbolToString = Symbol.prototype.toString;
  const SymbolToStringTag = Symbol.toStringTag;
  const RegExpExec = RegExp.prototype.exec;
  const StringSlice = String.prototype.slice;
  const JSONStringify = JSON.stringify;
  const JSONParse = JSON.parse;
  const StringCtor = String;
  const NATIVE = /\{\s*\[native code\]\s*\}$/;
  const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const INDEX = /^(?:0|[1-9][0-9]*)$/;
  // Getters that only ever throw (%ThrowTypeError%) or hand back a prototype the walk reaches anyway.
  const callerDescriptor = GetOwnPropertyDescriptor(FunctionPrototype, 'caller');
  const ThrowTypeError = callerDescriptor === undefined ? undefined : callerDescriptor.get;
  const ProtoGetter = GetOwnPropertyDescriptor(ObjectPrototype, '__proto__').get;
  const WasmModule = typeof WebAssembly === 'object' && WebAssembly !== null ? WebAssembly.Module : undefined;

  function push(array, value) {
    DefineProperty(array, array.length, { __proto__: null, value: value, writable: true, enumerable: true, configurable: true });
  }
  function set(map, key, value) { ReflectApply(MapSet, map, [key, value]); }
  function get(map, key) { return ReflectApply(MapGet, map, [key]); }
  function has(map, key) { return ReflectApply(MapHas, map, [key]); }
  function matches(re, text) { return ReflectApply(RegExpExec, re, [text]) !== null; }
  function lookup(names) { const m = new MapCtor(); for (let i = 0; i < names.length; i++) set(m, names[i], true); return m; }

  const IVM_NAMES = lookup(['Reference', 'ExternalCopy', 'Callback', 'Isolate', 'Context', 'Script', 'Module', 'NativeModule']);
  // Reference and ExternalCopy methods no guest intrinsic has ('deref' is WeakRef's; 'copy' and
  // 'release' count only together).
  const IVM_METHODS = lookup(['derefInto', 'applySync', 'applySyncPromise', 'applyIgnored', 'copyInto', 'copySync',
    'getSync', 'setSync', 'setIgnored', 'deleteSync', 'deleteIgnored', 'evalSync', 'evalClosureSync', 'runSync', 'instantiateSync',
    'compileScriptSync', 'createContextSync']);

  // The fresh context's native functions: signature -> how many.
  const census = new MapCtor();
  const haveCensus = typeof censusJson === 'string';
  if (haveCensus) {
    const parsed = JSONParse(censusJson);
    const keys = ReflectOwnKeys(parsed);
    for (let i = 0; i < keys.length; i++) set(census, keys[i], GetOwnPropertyDescriptor(parsed, keys[i]).value);
  }

  function keyText(key) {
    if (typeof key === 'symbol') return '[' + ReflectApply(SymbolToString, key, []) + ']';
    if (matches(INDEX, key)) return '[' + key + ']';
    if (matches(IDENTIFIER, key)) return '.' + key;
    return '[' + JSONStringify(key) + ']';
  }
  function nameOf(fn) {
    const d = GetOwnPropertyDescriptor(fn, 'name');
    return d !== undefined && HasOwn(d, 'value') && typeof d.value === 'string' ? d.value : undefined;
  }
  function signatureOf(fn, keys) {
    const d = GetOwnPropertyDescriptor(fn, 'length');
    const length = d !== undefined && HasOwn(d, 'value') ? d.value : '?';
    let names = '';
    for (let i = 0; i < keys.length; i++) names += (i === 0 ? '' : ',') + (typeof keys[i] === 'symbol' ? ReflectApply(SymbolToString, keys[i], []) : keys[i]);
    return StringCtor(nameOf(fn)) + '/' + StringCtor(length) + '/' + names;
  }
  function isNative(fn) {
    try { return matches(NATIVE, ReflectApply(FunctionToString, fn, [])); } catch (e) { return false; }
  }

  function walk(roots, limit) {
    const bound = typeof limit === 'number' ? limit : 200000;
    const index = new MapCtor();     // object -> its index in objects
    const objects = [];
    const parents = [];
    const edges = [];
    const natives = new MapCtor();   // signature -> [object index]
    const protoInfo = new MapCtor(); // prototype -> { getters: [[key, fn]], ivm: [method names] }
    let hitBound = false;
    let errors = 0;

    function enqueue(value, parent, edge) {
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
      if (has(index, value)) return;
      if (objects.length >= bound) { hitBound = true; return; }
      set(index, value, objects.length);
      push(objects, value);
      push(parents, parent);
      push(edges, edge);
    }
    function pathOf(i) {
      let path = '';
      for (let j = i; j !== -1; j = parents[j]) path = edges[j] + path;
      return path;
    }
    const flagged = new MapCtor();   // object index -> its reasons
    function flag(i, reason) {
      let reasons = get(flagged, i);
      if (reasons === undefined) { reasons = []; set(flagged, i, reasons); }
      push(reasons, reason);
    }
    function call(getter, receiver, parent, edge) {
      if (getter === ThrowTypeError || getter === ProtoGetter) return;
      let value;
      try { value = ReflectApply(getter, receiver, []); } catch (e) { return; }
      enqueue(value, parent, edge);
    }
    function infoOf(proto) {
      let info = get(protoInfo, proto);
      if (info !== undefined) return info;
      info = { getters: [], ivm: [], ivmText: '', kind: undefined };
      let keys = [];
      try { keys = ReflectOwnKeys(proto); } catch (e) { errors++; }
      for (let k = 0; k < keys.length; k++) {
        let d;
        try { d = GetOwnPropertyDescriptor(proto, keys[k]); } catch (e) { errors++; continue; }
        if (d === undefined) continue;
        if (!HasOwn(d, 'value') && typeof d.get === 'function') push(info.getters, [keys[k], d.get]);
        if (typeof keys[k] === 'string' && has(IVM_METHODS, keys[k])) push(info.ivm, keys[k]);
        // What its instances claim to be: their constructor's name, their Symbol.toStringTag.
        if (HasOwn(d, 'value') && keys[k] === 'constructor' && typeof d.value === 'function' && d.value !== WasmModule) {
          let name;
          try { name = nameOf(d.value); } catch (e) { errors++; }
          if (name !== undefined && has(IVM_NAMES, name)) info.kind = 'an instance of ' + name;
        }
        if (HasOwn(d, 'value') && keys[k] === SymbolToStringTag && typeof d.value === 'string' && has(IVM_NAMES, d.value)) info.kind = 'inherits the Symbol.toStringTag ' + d.value;
      }
      let copy = false, release = false;
      for (let k = 0; k < keys.length; k++) { if (keys[k] === 'copy') copy = true; if (keys[k] === 'release') release = true; }
      if (copy && release) push(info.ivm, 'copy+release');
      info.ivmText = '';
      for (let m = 0; m < info.ivm.length; m++) info.ivmText += (m === 0 ? '' : ',') + info.ivm[m];
      set(protoInfo, proto, info);
      return info;
    }

    for (let r = 0; r < roots.length; r++) enqueue(roots[r][1], -1, roots[r][0]);
    for (let i = 0; i < objects.length; i++) {
      const obj = objects[i];
      let keys;
      try { keys = ReflectOwnKeys(obj); } catch (e) { keys = []; errors++; }
      const view = ArrayBufferIsView(obj);
      let copy = false, release = false;
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k];
        // A typed array's elements are numbers: skip them, not their other keys.
        if (view && typeof key === 'string' && matches(INDEX, key)) continue;
        if (typeof key === 'string') {
          if (has(IVM_METHODS, key)) flag(i, 'has the isolated-vm method ' + key + '()');
          if (key === 'copy') copy = true;
          if (key === 'release') release = true;
        }
        let d;
        try { d = GetOwnPropertyDescriptor(obj, key); } catch (e) { errors++; continue; }
        if (d === undefined) continue;
        const edge = keyText(key);
        if (HasOwn(d, 'value')) {
          if (key === SymbolToStringTag && typeof d.value === 'string' && has(IVM_NAMES, d.value)) flag(i, 'has the Symbol.toStringTag ' + d.value);
          enqueue(d.value, i, edge);
          continue;
        }
        if (typeof d.get === 'function') {
          enqueue(d.get, i, edge + '[[Get]]');
          call(d.get, obj, i, edge);
        }
        if (typeof d.set === 'function') enqueue(d.set, i, edge + '[[Set]]');
      }
      if (copy && release) flag(i, 'has the isolated-vm methods copy and release');

      let proto = null;
      try { proto = GetPrototypeOf(obj); } catch (e) { errors++; }
      enqueue(proto, i, '.[[Prototype]]');
      // The whole chain: where it ends, what it inherits (isolated-vm methods, getters to call on obj).
      let last = null;
      let hasFunctionPrototype = false;
      let isMap = false, isSet = false;
      for (let p = proto, depth = 0; p !== null && depth < 10000; depth++) {
        if (p === FunctionPrototype) hasFunctionPrototype = true;
        if (p === MapPrototype) isMap = true;
        if (p === SetPrototype) isSet = true;
        const info = infoOf(p);
        if (info.kind !== undefined) flag(i, info.kind);
        if (info.ivm.length > 0) flag(i, 'inherits the isolated-vm methods ' + info.ivmText);
        for (let g = 0; g < info.getters.length; g++) call(info.getters[g][1], obj, i, keyText(info.getters[g][0]));
        last = p;
        try { p = GetPrototypeOf(p); } catch (e) { errors++; p = null; }
      }
      if (last !== null && last !== ObjectPrototype) flag(i, 'its prototype chain ends outside the guest realm (not at its Object.prototype)');
      if (typeof obj === 'function' && obj !== FunctionPrototype && !hasFunctionPrototype) flag(i, "a function without the guest realm's Function.prototype in its chain");
      if (isMap) {
        try { ReflectApply(MapForEach, obj, [function (v, k) { enqueue(k, i, '.[[MapKey]]'); enqueue(v, i, '.[[MapValue]]'); }]); } catch (e) { /* not a Map */ }
      }
      if (isSet) {
        try { ReflectApply(SetForEach, obj, [function (v) { enqueue(v, i, '.[[SetEntry]]'); }]); } catch (e) { /* not a Set */ }
      }
      if (typeof obj === 'function') {
        try {
          const name = nameOf(obj);
          if (name !== undefined && has(IVM_NAMES, name) && obj !== WasmModule) flag(i, 'a function named ' + name);
          if (isNative(obj)) {
            const signature = signatureOf(obj, keys);
            let list = get(natives, signature);
            if (list === undefined) { list = []; set(natives, signature, list); }
            push(list, i);
          }
        } catch (e) { errors++; }
      }
    }
    const counts = {};
    ReflectApply(MapForEach, natives, [function (list, signature) {
      DefineProperty(counts, signature, { __proto__: null, value: list.length, writable: true, enumerable: true, configurable: true });
      if (!haveCensus) return;
      const expected = has(census, signature) ? get(census, signature) : 0;
      if (list.length <= expected) return;
      for (let n = 0; n < list.length; n++) {
        flag(list[n], 'a native function (' + signature + ') reachable ' + list.length + ' times, ' + expected + ' in a fresh context');
      }
    }]);
    const findings = [];
    ReflectApply(MapForEach, flagged, [function (reasons, i) {
      let text = '';
      for (let n = 0; n < reasons.length; n++) text += (n === 0 ? '' : '; ') + reasons[n];
      push(findings, pathOf(i) + ': ' + text);
    }]);
    return { visited: objects.length, hitBound: hitBound, errors: errors, findings: findings, natives: counts };
  }

  // Native functions of a fresh context: its global, and the kinds of object any code can make
  // (errors, iterators, generators, arguments) whose prototypes no global property leads to.
  function censusOf(roots) {
    const samples = [['globalThis', globalThis], ['error', new Error('census')], ['arrayIterator', [][Symbol.iterator]()],
      ['mapIterator', new MapCtor().entries()], ['setIterator', new Set().values()], ['stringIterator', ''[Symbol.iterator]()],
      ['regExpStringIterator', /a/g[Symbol.matchAll]('a')], ['generator', (function* () {})()], ['asyncGenerator', (async function* () {})()],
      ['arguments', (function () { return arguments; })()], ['asyncFunction', async function () {}], ['promise', Promise.resolve()]];
    for (let r = 0; roots !== undefined && r < roots.length; r++) push(samples, roots[r]);
    return walk(samples).natives;
  }

  return { walk: walk, census: censusOf };
})`
