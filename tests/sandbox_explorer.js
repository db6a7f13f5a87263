/*
 * Explores everything a script can reach, as a hostile script would: every property (names and
 * symbols, data and accessors), every prototype, the objects that language features hand out
 * (generators, async functions, classes, iterators, promises, errors, regexp results, tagged
 * templates, arguments), and what comes back from calling every reachable function, plain and
 * with `new`, with simple arguments and receivers, two calls deep (return values, thrown
 * values, and whatever built-ins pass to callbacks).
 *
 * ctx.input = {mode, token, from, to, skip, hoard, hoardOnly}
 *   mode "mark":  after exploring, tries to change every object it reached (a mark property,
 *                 `next`/`then`/`constructor`/... replaced by poison, the prototype swapped,
 *                 `hoard` megabytes hung on it).
 *   mode "check": reports every reached object that carries a mark of an earlier run.
 *   from/to:      which of the functions found before any call are called (a slice, so that a
 *                 function that never returns for some argument can be found by bisection).
 * Returns {marked: [expression...], reached, called, frozen, hoarded}. Each expression is
 * JavaScript that reaches the object again from a fresh context.
 */
function main(ctx) {
  var input = ctx.input;
  var MARK = '__jss_mark';
  var G = (function () { return this; })();

  // Captured before anything is called or marked.
  var ObjectCtor = Object;
  var getOwnPropertyNames = Object.getOwnPropertyNames;
  var getOwnPropertySymbols = Object.getOwnPropertySymbols;
  var getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  var getPrototypeOf = Object.getPrototypeOf;
  var setPrototypeOf = Object.setPrototypeOf;
  var defineProperty = Object.defineProperty;
  var isExtensible = Object.isExtensible;
  var isFrozen = Object.isFrozen;
  var hasOwn = Object.prototype.hasOwnProperty;
  var reflectApply = Reflect.apply;
  var reflectConstruct = Reflect.construct;
  var arrayPush = Array.prototype.push;
  var arrayIndexOf = Array.prototype.indexOf;
  var arrayJoin = Array.prototype.join;
  var arraySlice = Array.prototype.slice;
  var stringify = JSON.stringify;
  var StringCtor = String;
  var symbolToString = Symbol.prototype.toString;
  var WELL_KNOWN = ['iterator', 'asyncIterator', 'hasInstance', 'isConcatSpreadable', 'match',
    'matchAll', 'replace', 'search', 'species', 'split', 'toPrimitive', 'toStringTag',
    'unscopables'];

  function push(list, value) { reflectApply(arrayPush, list, [value]); }
  function indexIn(list, value) { return reflectApply(arrayIndexOf, list, [value]); }
  function isObject(v) { return (typeof v === 'object' && v !== null) || typeof v === 'function'; }

  // -- samples: fresh values, each with the source text that makes it again ---------------
  var captured = [];
  var callbackBudget = 0;
  function recorder() {
    if (callbackBudget-- <= 0) {
      return undefined;  // a built-in that calls back in a loop has shown what it passes
    }
    push(captured, this);
    for (var i = 0; i < arguments.length; i++) {
      push(captured, arguments[i]);
    }
    return arguments[0];
  }
  var SAMPLE_SOURCES = ['undefined', 'null', 'true', '0', '1', '-1', '"abc"', '""', '[]',
    '[1, 2]', '[["k", 1]]', '{}', '{a: 1}', 'function () {}', '(function () { return arguments; })(1)',
    '/(a)/g', 'new Date(0)', 'new Error("x")', 'Symbol("s")'];
  function makeSample(i) {
    switch (i) {
      case 0: return undefined;
      case 1: return null;
      case 2: return true;
      case 3: return 0;
      case 4: return 1;
      case 5: return -1;
      case 6: return 'abc';
      case 7: return '';
      case 8: return [];
      case 9: return [1, 2];
      case 10: return [['k', 1]];
      case 11: return {};
      case 12: return {a: 1};
      case 13: return function () {};
      case 14: return (function () { return arguments; })(1);
      case 15: return /(a)/g;
      case 16: return new Date(0);
      case 17: return new Error('x');
      default: return Symbol('s');
    }
  }
  var RECORDER_SOURCE = 'function () { __c.push(this); for (var i = 0; i < arguments.length; i++)' +
    ' __c.push(arguments[i]); return arguments[0]; }';
  // Argument lists: indices into the samples, 'cb' for the recorder.
  var ARG_SETS = [[], [0], [3], [4], [5], [6], [8], [9], [10], [11], [13], [15], [16], [17], [18],
    ['cb'], ['cb', 'cb'], [11, 6], [6, 6], [11, 'cb'], ['cb', 'cb', 11, 8]];

  function args(set) {
    var out = [];
    for (var i = 0; i < set.length; i++) {
      push(out, set[i] === 'cb' ? recorder : makeSample(set[i]));
    }
    return out;
  }
  function argsSource(set) {
    var out = [];
    for (var i = 0; i < set.length; i++) {
      push(out, set[i] === 'cb' ? RECORDER_SOURCE : SAMPLE_SOURCES[set[i]]);
    }
    return '[' + reflectApply(arrayJoin, out, [', ']) + ']';
  }

  // -- what language features hand out ------------------------------------------------------
  function syntaxRoots() {
    var roots = [];
    function add(expr, make) {
      try {
        push(roots, {value: make(), expr: expr, make: make});
      } catch (e) {
        push(roots, {value: e, expr: '(function () { try { (' + expr + ') } catch (e) { return e; } })()'});
      }
    }
    add('(function* () { yield 1; })', function () { return function* () { yield 1; }; });
    add('(function* () { yield 1; })()', function () { return (function* () { yield 1; })(); });
    add('(async function () { await 1; })', function () { return async function () { await 1; }; });
    add('(async function () { await 1; })()', function () { return (async function () { await 1; })(); });
    add('(async () => 1)()', function () { return (async () => 1)(); });
    add('(class K { m() {} static s() {} get g() { return 1; } })', function () {
      return class K { m() {} static s() {} get g() { return 1; } };
    });
    add('new (class K extends Array {})()', function () { return new (class K extends Array {})(); });
    add('new (class K extends Error {})()', function () { return new (class K extends Error {})(); });
    add('(() => 1)', function () { return () => 1; });
    add('((s) => s)`a${1}b`', function () { return ((s) => s)`a${1}b`; });
    add('(function () { "use strict"; return function () {}; })()', function () {
      return (function () { 'use strict'; return function () {}; })();
    });
    add('(function () { "use strict"; return arguments; })()', function () {
      return (function () { 'use strict'; return arguments; })();
    });
    add('(function () { return arguments; })()', function () { return (function () { return arguments; })(); });
    add('(function () {}).bind(null)', function () { return (function () {}).bind(null); });
    add('/(?:a)(b)/g.exec("ab")', function () { return /(?:a)(b)/g.exec('ab'); });
    add('"ab".match(/a/g)', function () { return 'ab'.match(/a/g); });
    add('"a,b".split(",")', function () { return 'a,b'.split(','); });
    add('null.x', function () { return null.x; });
    add('undefinedVariable', function () { return undefinedVariable; });  // eslint-disable-line
    add('new Array(-1)', function () { return new Array(-1); });
    add('decodeURI("%")', function () { return decodeURI('%'); });
    add('JSON.parse("{")', function () { return JSON.parse('{'); });
    add('(1)()', function () { var one = 1; return one(); });
    add('Promise.resolve(1).then(function (x) { return x; })', function () {
      return Promise.resolve(1).then(function (x) { return x; });
    });
    add('Promise.reject(1)', function () { var p = Promise.reject(1); p['catch'](function () {}); return p; });
    add('[][Symbol.iterator]()', function () { return [][Symbol.iterator](); });
    add('[].entries()', function () { return [].entries(); });
    add('"ab"[Symbol.iterator]()', function () { return 'ab'[Symbol.iterator](); });
    add('new Map([[1, 2]]).entries()', function () { return new Map([[1, 2]]).entries(); });
    add('new Set([1]).values()', function () { return new Set([1]).values(); });
    add('(function () { var [a, ...b] = new Set([1, 2]); return b; })()', function () {
      var [a, ...b] = new Set([1, 2]);
      return [a, b];
    });
    add('(function () { var out = []; for (var x of new Map([[1, 2]])) out.push(x); return out; })()', function () {
      var out = [];
      for (var x of new Map([[1, 2]])) {
        out.push(x);
      }
      return out;
    });
    add('({...{a: 1}})', function () { return {...{a: 1}}; });
    add('ctx', function () { return ctx; });
    add('sdk', function () { return typeof sdk === 'undefined' ? undefined : sdk; });
    return roots;
  }

  // -- the walk ------------------------------------------------------------------------------
  // tags what this run has reached (unique per run: an unfrozen object keeps it afterwards)
  var SEEN = '__jss_seen_' + Date.now() + '_' + Math.random();
  var objects = [];   // every object reached
  var exprs = [];     // how to reach it again
  var calls = [];     // call depth of the route that reached it
  var steps = [];     // property/prototype steps since the last call on that route
  var frozenList = []; // reached objects that cannot carry the SEEN tag
  var queue = [];
  var marked = [];

  function known(v) {
    if (isExtensible(v)) {
      return hasOwn.call(v, SEEN);
    }
    return indexIn(frozenList, v) !== -1;
  }
  function remember(v) {
    if (isExtensible(v)) {
      defineProperty(v, SEEN, {value: true, configurable: true});
    } else {
      push(frozenList, v);
    }
  }
  function reach(value, expr, depth, step) {
    if (!isObject(value) || known(value)) {
      return;
    }
    if (input.mode === 'check' && hasOwn.call(value, MARK)) {
      push(marked, expr);
    }
    remember(value);
    push(objects, value);
    push(exprs, expr);
    push(calls, depth);
    push(steps, step);
    push(queue, objects.length - 1);
  }

  function expand(index) {
    var obj = objects[index];
    var expr = exprs[index];
    var depth = calls[index];
    // Frozen objects are shared built-ins (or were made so): always walked whole. A fresh
    // object is walked a few steps only, enough to reach the prototypes behind it.
    var next = isFrozen(obj) ? 0 : steps[index] + 1;
    if (next > 4) {
      return;
    }
    var keys = getOwnPropertyNames(obj);
    var symbols = getOwnPropertySymbols(obj);
    for (var s = 0; s < symbols.length; s++) {
      push(keys, symbols[s]);
    }
    for (var k = 0; k < keys.length; k++) {
      var key = keys[k];
      if (typeof key === 'string' && key.indexOf('__jss_seen_') === 0) {
        continue;
      }
      var where;
      if (typeof key === 'symbol') {
        var named = null;
        for (var w = 0; w < WELL_KNOWN.length; w++) {
          if (Symbol[WELL_KNOWN[w]] === key) {
            named = expr + '[Symbol.' + WELL_KNOWN[w] + ']';
          }
        }
        where = named || ('(function (o) { return o[Object.getOwnPropertySymbols(o)[' +
          (k - (keys.length - symbols.length)) + ']]; })(' + expr + ')');
      } else {
        where = expr + '[' + stringify(key) + ']';
      }
      var desc;
      try {
        desc = getOwnPropertyDescriptor(obj, key);
      } catch (e) {
        continue;  // a Proxy may throw
      }
      if (!desc) {
        continue;
      }
      if ('value' in desc) {
        reach(desc.value, where, depth, next);
      } else {
        var descExpr = 'Object.getOwnPropertyDescriptor(' + expr + ', ' +
          (typeof key === 'symbol' ? 'Object.getOwnPropertySymbols(' + expr + ')[' +
            (k - (keys.length - symbols.length)) + ']' : stringify(key)) + ')';
        reach(desc.get, descExpr + '.get', depth, next);
        reach(desc.set, descExpr + '.set', depth, next);
      }
    }
    var proto;
    try {
      proto = getPrototypeOf(obj);
    } catch (e) {
      proto = null;
    }
    reach(proto, 'Object.getPrototypeOf(' + expr + ')', depth, next);
  }

  function drain() {
    while (queue.length) {
      var index = queue.shift();
      expand(index);
    }
  }

  // Receivers for a function: undefined, and a fresh instance of each constructor reached.
  var instances = [];  // {proto, make, source}
  function instanceFor(proto) {
    for (var i = 0; i < instances.length; i++) {
      if (instances[i].proto === proto) {
        return instances[i];
      }
    }
    return null;
  }
  // Receivers are made afresh for every call (from samples and language features, never from
  // what a call returned), so that each function's calls do not depend on any other call.
  function learnInstance(make, source) {
    var value = make();
    if (value === undefined || value === null) {
      return;
    }
    var proto;
    try {
      proto = getPrototypeOf(ObjectCtor(value));
    } catch (e) {
      return;
    }
    if (proto !== null && !instanceFor(proto)) {
      push(instances, {proto: proto, make: make, source: source});
    }
  }
  function sampleMaker(i) {
    return function () { return makeSample(i); };
  }
  for (var si = 0; si < SAMPLE_SOURCES.length; si++) {
    learnInstance(sampleMaker(si), SAMPLE_SOURCES[si]);
  }

  var called = 0;
  function callOne(fn, fnExpr, receiver, receiverSource, set, depth, construct) {
    captured = [];
    callbackBudget = 20;
    var result;
    var resultExpr;
    var argsExpr = argsSource(set);
    called++;
    try {
      if (construct) {
        result = reflectConstruct(fn, args(set));
        resultExpr = 'Reflect.construct(' + fnExpr + ', ' + argsExpr + ')';
      } else {
        result = reflectApply(fn, receiver, args(set));
        resultExpr = 'Reflect.apply(' + fnExpr + ', ' + receiverSource + ', ' + argsExpr + ')';
      }
    } catch (e) {
      result = e;
      resultExpr = '(function () { try { ' + (construct
        ? 'Reflect.construct(' + fnExpr + ', ' + argsExpr + ')'
        : 'Reflect.apply(' + fnExpr + ', ' + receiverSource + ', ' + argsExpr + ')') +
        '; } catch (e) { return e; } })()';
    }
    reach(result, resultExpr, depth + 1, 0);
    var got = captured;
    for (var c = 0; c < got.length; c++) {
      reach(got[c], '(function () { var __c = []; try { ' + (construct
        ? 'Reflect.construct(' + fnExpr + ', ' + argsExpr + ')'
        : 'Reflect.apply(' + fnExpr + ', ' + receiverSource + ', ' + argsExpr + ')') +
        '; } catch (e) {} return __c[' + c + ']; })()', depth + 1, 0);
    }
  }

  function callAll(index) {
    var fn = objects[index];
    var fnExpr = exprs[index];
    var depth = calls[index];
    var receivers = [{make: function () { return undefined; }, source: 'undefined'}];
    // receivers: instances whose prototype holds this function, found through its holder
    for (var i = 0; i < instances.length; i++) {
      var inst = instances[i];
      var p = inst.proto;
      var hops = 0;
      while (p !== null && hops < 4) {
        var names = getOwnPropertyNames(p);
        var holds = false;
        for (var n = 0; n < names.length && !holds; n++) {
          var d = getOwnPropertyDescriptor(p, names[n]);
          holds = d && (d.value === fn || d.get === fn || d.set === fn);
        }
        var syms = getOwnPropertySymbols(p);
        for (var y = 0; y < syms.length && !holds; y++) {
          var ds = getOwnPropertyDescriptor(p, syms[y]);
          holds = ds && (ds.value === fn || ds.get === fn || ds.set === fn);
        }
        if (holds) {
          push(receivers, {make: inst.make, source: inst.source});
          break;
        }
        p = getPrototypeOf(p);
        hops++;
      }
    }
    for (var r = 0; r < receivers.length; r++) {
      for (var a = 0; a < ARG_SETS.length; a++) {
        callOne(fn, fnExpr, receivers[r].make(), receivers[r].source, ARG_SETS[a], depth, false);
      }
    }
    for (var b = 0; b < ARG_SETS.length; b++) {
      callOne(fn, fnExpr, undefined, 'undefined', ARG_SETS[b], depth, true);
    }
  }

  // Round 0: everything reachable without calling anything.
  reach(G, 'globalThis', 0, 0);
  var roots = syntaxRoots();
  for (var ri = 0; ri < roots.length; ri++) {
    reach(roots[ri].value, roots[ri].expr, 0, 0);
    if (roots[ri].make) {
      learnInstance(roots[ri].make, roots[ri].expr);
    }
  }
  drain();
  var firstFunctions = [];
  for (var fi = 0; fi < objects.length; fi++) {
    if (typeof objects[fi] === 'function') {
      push(firstFunctions, fi);
    }
  }
  // Rounds 1 and 2: call the functions of round 0 (the slice asked for), then what those
  // calls handed out.
  var done = [];
  var from = input.from || 0;
  var to = input.to === undefined ? firstFunctions.length : input.to;
  // Functions known never to return for some simple argument, as regular expressions over
  // their expressions (found by bisecting runs that timed out).
  var skip = [];
  for (var sk = 0; sk < (input.skip || []).length; sk++) {
    push(skip, new RegExp(input.skip[sk]));
  }
  function skipped(expr) {
    for (var i = 0; i < skip.length; i++) {
      if (skip[i].test(expr)) {
        return true;
      }
    }
    return false;
  }
  var skippedExprs = [];
  for (var ci = from; ci < to && ci < firstFunctions.length; ci++) {
    if (skipped(exprs[firstFunctions[ci]])) {
      push(skippedExprs, exprs[firstFunctions[ci]]);
      continue;
    }
    var before = objects.length;
    callAll(firstFunctions[ci]);
    push(done, firstFunctions[ci]);
    drain();
    for (var ni = before; ni < objects.length; ni++) {
      if (typeof objects[ni] === 'function' && calls[ni] === 1 && !skipped(exprs[ni])) {
        callAll(ni);
        drain();
      }
    }
  }

  var frozenCount = 0;
  for (var oi = 0; oi < objects.length; oi++) {
    if (isFrozen(objects[oi])) {
      frozenCount++;
    }
  }

  var hoarded = 0;
  if (input.mode === 'mark') {
    var token = input.token;
    var poison = function () { return {done: true, value: token}; };
    var poisonProto = {};
    // input.hoard megabytes, every page touched so that they count in the worker's RSS
    var hoard = new Uint8Array((input.hoard || 0) * 1048576);
    for (var h = 0; h < hoard.length; h += 4096) {
      hoard[h] = 1;
    }
    try { defineProperty(poison, MARK, {value: token}); } catch (e) {}
    try { defineProperty(poisonProto, MARK, {value: token}); } catch (e) {}
    var POISONED = ['next', 'then', 'constructor', 'toString', 'valueOf', 'return', 'throw',
      'size', 'length', 'push', 'get', 'set', 'has', 'call', 'apply'];
    for (var mi = 0; mi < objects.length; mi++) {
      var o = objects[mi];
      if (o === poison || o === poisonProto) {
        continue;
      }
      // piles up when an earlier run's pile survived on the object
      try {
        if (hasOwn.call(o, '__jss_hoard') && o.__jss_hoard instanceof Array) {
          push(o.__jss_hoard, hoard);
        } else {
          o.__jss_hoard = [hoard];
        }
      } catch (e) {}
      if (hasOwn.call(o, '__jss_hoard')) {
        hoarded++;
      }
      if (input.hoardOnly) {
        continue;
      }
      try { o[MARK] = token; } catch (e) {}
      try { defineProperty(o, MARK, {value: token, writable: true, configurable: true}); } catch (e) {}
      for (var pi = 0; pi < POISONED.length; pi++) {
        try { o[POISONED[pi]] = poison; } catch (e) {}
        try { defineProperty(o, POISONED[pi], {value: poison, configurable: true, writable: true}); } catch (e) {}
      }
      try { o[Symbol.iterator] = poison; } catch (e) {}
      try { setPrototypeOf(o, poisonProto); } catch (e) {}
    }
  }
  return {marked: marked, reached: objects.length, called: called, frozen: frozenCount,
    functions: firstFunctions.length, hoarded: hoarded, skipped: skippedExprs};
}
