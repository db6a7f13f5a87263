/*
 * flask-jsscripts sandbox shim (ES5, evaluated once per Duktape context, after the polyfills).
 *
 * It captures what it needs from the global object, removes what user code must not reach,
 * freezes every built-in, and leaves two entry points on the global object that the worker takes
 * and then deletes (__jss_load, __jss_run). Only ASCII JSON text crosses into and out of this file;
 * no thrown value ever escapes it (an uncaught `throw null` would abort the whole process).
 */
(function (global) {
  'use strict';

  var bridge = global.__jss_bridge;           // Python callback: (kind, asciiJson) -> asciiJson
  var drainJobs = global.__jss_drainJobs;     // promise job queue (polyfills.js)
  var toAscii = global.__jss_toAscii;         // text -> ASCII-only text (polyfills.js)
  var intrinsics = global.__jss_intrinsics;   // objects reachable only by calls (intrinsics.js)
  var heapInfo = global.Duktape.info;         // identity of an object: its heap address
  var collectGarbage = global.Duktape.gc;
  var FunctionCtor = Function;
  var realEval = global.eval;
  var stringify = JSON.stringify;
  var parse = JSON.parse;
  var ObjectKeys = Object.keys;
  var defineProperty = Object.defineProperty;
  var freeze = Object.freeze;
  var getOwnPropertyNames = Object.getOwnPropertyNames;
  var getPrototypeOf = Object.getPrototypeOf;
  var isArray = Array.isArray;
  var StringCtor = String;
  var now = Date.now;
  var slice = StringCtor.prototype.slice;
  var split = StringCtor.prototype.split;
  var indexOf = StringCtor.prototype.indexOf;
  var join = Array.prototype.join;
  var push = Array.prototype.push;
  var call = FunctionCtor.prototype.call;
  var apply = FunctionCtor.prototype.apply;
  var bind = FunctionCtor.prototype.bind;
  var ErrorCtor = Error;

  function callMethod(method, self) {  // method.call(self, ...) without trusting .call later
    return apply.call(method, self, Array.prototype.slice.call(arguments, 2));
  }

  // -- ASCII-only JSON --------------------------------------------------------------------
  function asciiJson(value) {
    return toAscii(stringify(value));
  }

  // -- safe formatting of arbitrary (possibly hostile) values ----------------------------
  function safeString(value) {
    try {
      if (typeof value === 'symbol') {
        return callMethod(Symbol.prototype.toString, value);
      }
      return StringCtor(value);
    } catch (e) {
      return '[unprintable ' + typeof value + ']';
    }
  }
  function formatArg(value) {
    if (typeof value === 'string') {
      return value;
    }
    if (value instanceof ErrorCtor) {
      return safeString(value);
    }
    if (value !== null && typeof value === 'object') {
      try {
        var text = stringify(value);
        if (text !== undefined) {
          return text;
        }
      } catch (e) {
        // cyclic or throwing toJSON: fall through to String()
      }
    }
    return safeString(value);
  }

  // -- per-run state (reset by every run) -------------------------------------------------
  var run = null;

  function fatal(kind, message) {
    // A limit that ends the run whatever user code does with the error we throw.
    if (run && !run.fatal) {
      run.fatal = kind;
      run.fatalMessage = message;
    }
    var err = new ErrorCtor(message);
    err.code = kind;
    throw err;
  }

  function emit(level, message, meta, channel) {
    if (!run) {
      return;
    }
    if (run.consoleCount >= run.limits.consoleEntries) {
      run.consoleDropped += 1;
      return;
    }
    // The meta of sdk.log counts towards the byte cap like the message does: otherwise one
    // big object logged a thousand times would pile up gigabytes in the host process.
    var metaText;
    if (meta !== undefined) {
      try {
        metaText = stringify(meta);
      } catch (e) {
        meta = safeString(meta);
        metaText = stringify(meta);
      }
    }
    var size = message.length + (metaText === undefined ? 0 : metaText.length);
    if (run.consoleBytes + size > run.limits.consoleBytes) {
      run.consoleDropped += 1;
      return;
    }
    run.consoleCount += 1;
    run.consoleBytes += size;
    var entry = {level: level, message: message, ts: now()};
    if (metaText !== undefined) {
      entry.meta = meta;
    }
    bridge(channel, asciiJson(entry));
  }

  function makeConsole() {
    var c = {};
    var levels = ['debug', 'info', 'log', 'warn', 'error'];
    for (var i = 0; i < levels.length; i++) {
      (function (level) {
        c[level] = function () {
          var parts = [];
          for (var j = 0; j < arguments.length; j++) {
            callMethod(push, parts, formatArg(arguments[j]));
          }
          emit(level === 'log' ? 'info' : level, callMethod(join, parts, ' '), undefined, 'console');
        };
      })(levels[i]);
    }
    return c;
  }

  function makeLogger() {
    var log = {};
    var levels = ['debug', 'info', 'warn', 'error'];
    for (var i = 0; i < levels.length; i++) {
      (function (level) {
        log[level] = function (message, meta) {
          var m;
          if (meta !== undefined) {
            try {
              m = parse(stringify(meta));
            } catch (e) {
              m = safeString(meta);
            }
          }
          emit(level, formatArg(message), m, 'log');
        };
      })(levels[i]);
    }
    return log;
  }

  function hostCall(name, args) {
    if (!run) {
      throw new ErrorCtor('sdk calls are only allowed while a script runs');
    }
    if (run.hostCalls >= run.limits.hostCalls) {
      fatal('host_call_limit', 'host call limit of ' + run.limits.hostCalls + ' reached');
    }
    run.hostCalls += 1;
    var request;
    try {
      request = asciiJson({name: name, args: args});
    } catch (e) {
      throw new TypeError('arguments of sdk.' + name + ' are not JSON-serialisable: ' + safeString(e && e.message));
    }
    var reply = parse(bridge('call', request));
    if (reply.fatal) {
      fatal(reply.fatal, reply.error.message);
    }
    if (reply.error) {
      var err = new ErrorCtor(reply.error.message);
      err.code = reply.error.code;
      throw err;
    }
    return reply.value;
  }

  function makeSdk(capabilities) {
    var sdk = {log: makeLogger()};
    for (var i = 0; i < capabilities.length; i++) {
      var path = callMethod(split, capabilities[i], '.');
      var node = sdk;
      for (var j = 0; j < path.length - 1; j++) {
        if (node[path[j]] === undefined) {
          node[path[j]] = {};
        }
        node = node[path[j]];
      }
      node[path[path.length - 1]] = (function (name) {
        return function () {
          return hostCall(name, Array.prototype.slice.call(arguments));
        };
      })(capabilities[i]);
    }
    return deepFreeze(sdk);
  }

  // -- freezing -------------------------------------------------------------------------
  // Freezes what `roots` reach through properties (names and symbols), accessors and
  // prototypes; `walked(obj)` is true for an object whose walk is done or under way.
  function freezeReachable(roots, walked) {
    var stack = roots.slice();
    while (stack.length) {
      var obj = stack.pop();
      if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function') || walked(obj)) {
        continue;
      }
      var keys = getOwnPropertyNames(obj).concat(Object.getOwnPropertySymbols(obj));
      for (var i = 0; i < keys.length; i++) {
        var desc = Object.getOwnPropertyDescriptor(obj, keys[i]);
        if (!desc) {
          continue;
        }
        if ('value' in desc) {
          stack.push(desc.value);
        } else {
          stack.push(desc.get);
          stack.push(desc.set);
        }
      }
      stack.push(getPrototypeOf(obj));
      freeze(obj);
    }
  }

  // For objects made after their prototypes were sealed (the sdk, compiled scripts): stops at
  // frozen objects, as nothing but this file freezes objects then.
  var isFrozen = Object.isFrozen;
  function deepFreeze(root) {
    freezeReachable([root], isFrozen);
    return root;
  }

  // For the seal: walks frozen objects too, since an object frozen by a polyfill may still hold
  // unfrozen ones. Objects are told apart by their heap address (all stay alive meanwhile).
  function harden(roots) {
    var visited = Object.create(null);
    freezeReachable(roots, function (obj) {
      var id = StringCtor(heapInfo(obj).hptr);
      var seen = visited[id] === true;
      visited[id] = true;
      return seen;
    });
  }

  // Frozen prototypes make `Foo.prototype.toString = fn` fail (the "override mistake").
  // For the handful of properties that code commonly overrides, swap the data property for
  // an accessor whose setter defines an own property on the receiver instead.
  function allowOverride(proto, name) {
    var desc = Object.getOwnPropertyDescriptor(proto, name);
    if (!desc || !('value' in desc) || !desc.configurable) {
      return;
    }
    var value = desc.value;
    overridden.push(value);  // reachable only through the getter: the seal freezes it
    defineProperty(proto, name, {
      configurable: false,
      enumerable: desc.enumerable,
      get: function () { return value; },
      set: function (v) {
        if (this === proto) {
          throw new TypeError('cannot change built-in ' + StringCtor(name));
        }
        defineProperty(this, name, {value: v, writable: true, enumerable: true, configurable: true});
      }
    });
  }

  // -- the sandbox -------------------------------------------------------------------------
  // Neutralise the Function constructor (eval by another name); keep instanceof working.
  var disabled = function Function() {
    throw new EvalError('code generation from strings is disabled');
  };
  disabled.prototype = FunctionCtor.prototype;
  defineProperty(FunctionCtor.prototype, 'constructor', {value: disabled, writable: false, configurable: false});

  var removed = ['eval', 'require', 'print', 'alert', 'Duktape', 'CBOR', 'Buffer', 'performance',
    '__jss_bridge', '__jss_drainJobs', '__jss_toAscii', '__jss_intrinsics', 'modSearch',
    // core-js: its store of shared state, and the no-op timer of polyfills.js it has taken
    '__core-js_shared__', 'setImmediate', 'clearImmediate'];
  for (var r = 0; r < removed.length; r++) {
    try {
      delete global[removed[r]];
    } catch (e) {
      // not configurable: overwrite instead
      global[removed[r]] = undefined;
    }
  }
  global.Function = disabled;

  var overridden = [];
  var overridable = ['toString', 'valueOf', 'toLocaleString', 'constructor', 'toJSON', 'name', 'message'];
  var protos = [Object.prototype, Array.prototype, ErrorCtor.prototype, FunctionCtor.prototype,
    Date.prototype, RegExp.prototype, StringCtor.prototype, Number.prototype, Boolean.prototype];
  var errorTypes = ['EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError',
    'AggregateError'];
  for (var et = 0; et < errorTypes.length; et++) {
    if (typeof global[errorTypes[et]] === 'function') {
      protos.push(global[errorTypes[et]].prototype);
    }
  }
  for (var p = 0; p < protos.length; p++) {
    for (var o = 0; o < overridable.length; o++) {
      allowOverride(protos[p], overridable[o]);
    }
  }
  // What compiled named-group regexps give their own (Babel's wrapRegExp), and what code gives a
  // promise or thenable of its own.
  var overridableOn = [
    [RegExp.prototype, ['exec', Symbol.match, Symbol.replace, Symbol.search, Symbol.split]],
    [Promise.prototype, ['then', 'catch', 'finally']]
  ];
  for (var op = 0; op < overridableOn.length; op++) {
    for (var on = 0; on < overridableOn[op][1].length; on++) {
      allowOverride(overridableOn[op][0], overridableOn[op][1][on]);
    }
  }

  var consoleObject = makeConsole();
  defineProperty(global, 'console', {value: consoleObject, writable: false, enumerable: false, configurable: false});

  // -- loading and running user code ------------------------------------------------------
  // One context serves many scripts (of one tenant): each compiled script is kept here under
  // its key, and everything user code can reach is frozen, so nothing survives from one run
  // to the next. Top-level code runs anew in every run.
  var scripts = Object.create(null);
  var sdk = null;
  var sdkKey = null;
  // Scripts without a hoisted `function main` run through a sloppy-mode direct eval, the only
  // way to get a program's completion value: declarations stay local to the call, and `main`
  // declared with var/let/const is found afterwards in the same scope. The `with` object hands
  // out the real eval exactly once, to that call, so user code never reaches it.
  var evalRunner = deepFreeze(FunctionCtor('__jss_guard', 'ctx', 'sdk', '__jss_src',
    'with (__jss_guard) { var __jss_v = eval(__jss_src);' +
    ' return [__jss_v, typeof main === "function" ? main : undefined]; }'));

  function evalGuard() {
    var used = false;
    var guard = Object.create(null);
    defineProperty(guard, 'eval', {get: function () {
      if (used) {
        return undefined;
      }
      used = true;
      return realEval;
    }});
    return guard;
  }

  function load(key, code) {
    var prologue = 'if(__jss_probe)return typeof main==="function";';
    // keep a leading "use strict" directive in front of our prologue
    var strict = /^(\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(['"])use strict\2/.test(code);
    var head = (strict ? '"use strict";' : '') + prologue;
    var body = head + code + '\n;return typeof main==="function"?main:undefined;';
    var factory = deepFreeze(FunctionCtor('__jss_probe', 'ctx', 'sdk', body));
    requireWholeBody(head, code);
    // a hoisted `function main` is found without running any user code
    var hasMain = factory(true) === true;
    scripts[key] = {factory: factory, hasMain: hasMain, source: hasMain ? null : code};
    return hasMain;
  }

  // Duktape's Function constructor stops at the `}` that closes the body and ignores whatever
  // follows: a stray `}` would silently drop the rest of a script. A `)` appended to a body
  // that really ends at its end is a syntax error; when it is not, find the line of the `}`
  // that closed the body early (the shortest prefix of lines that also ends early).
  function bodyEndsEarly(text) {
    try {
      FunctionCtor('__jss_probe', 'ctx', 'sdk', text + '\n)');
      return true;
    } catch (e) {
      return false;
    }
  }
  function requireWholeBody(head, code) {
    if (!bodyEndsEarly(head + code)) {
      return;
    }
    var lines = callMethod(split, code, '\n');
    var lo = 1;
    var hi = lines.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (bodyEndsEarly(head + callMethod(join, lines.slice(0, mid), '\n'))) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    throw new SyntaxError("unexpected '}': it closes the script early (line " + lo + ')');
  }

  function userLine(err, frames) {
    // Duktape names code compiled by Function "compile" and direct-eval code "input".
    var file = err && err.fileName;
    if ((file === 'compile' || file === 'input') && typeof err.lineNumber === 'number') {
      return err.lineNumber;
    }
    // made by a built-in written in JavaScript (an error constructor): the first frame of the
    // script's (not a search of the whole stack, whose first line holds the whole message)
    var m = frames.length ? /\(script:(\d+)\)$/.exec(frames[0]) : null;
    return m ? +m[1] : null;
  }

  function cleanStack(err) {
    var stack;
    try {
      stack = typeof err.stack === 'string' ? err.stack : '';
    } catch (e) {
      stack = '';
    }
    var lines = callMethod(split, stack, '\n');
    var out = [];
    for (var i = 1; i < lines.length; i++) {
      var m = /^\s*at (\S+) \((?:compile|input):(\d+)\)/.exec(lines[i]);
      if (m) {
        out.push('    at ' + (m[1] === '[anon]' || m[1] === 'eval' ? '<anonymous>' : m[1]) +
          ' (script:' + m[2] + ')');
      }
    }
    return out;
  }

  // An error is reported, stored and shown: a multi-megabyte message (or name) would end the
  // run as "memory" while it is escaped, or bloat the execution record; keep its head.
  var MAX_MESSAGE = 10000;
  function clip(text, max) {
    return text.length > max ? callMethod(slice, text, 0, max) + '... [' + (text.length - max) +
      ' more characters]' : text;
  }

  function describeError(err) {
    var name = 'Error';
    var message;
    var code;
    if (err === null || err === undefined || typeof err !== 'object') {
      name = 'Error';
      message = 'uncaught ' + (typeof err === 'symbol' ? 'symbol' : 'value') + ': ' + clip(safeString(err), MAX_MESSAGE);
      return {name: name, message: message, stack: name + ': ' + message, line: null, column: null};
    }
    try { name = clip(safeString(err.name), 200) || 'Error'; } catch (e) { name = 'Error'; }
    try { message = clip(safeString(err.message), MAX_MESSAGE); } catch (e) { message = clip(safeString(err), MAX_MESSAGE); }
    try { code = err.code; } catch (e) { code = undefined; }
    var frames = cleanStack(err);
    var result = {
      name: name,
      message: message,
      stack: name + ': ' + message + (frames.length ? '\n' + frames.join('\n') : ''),
      line: userLine(err, frames),
      column: null
    };
    if (typeof code === 'string') {
      result.code = code;
    }
    return result;
  }

  function endStatus(err) {
    if (run.fatal) {
      return run.fatal;
    }
    if (err && typeof err === 'object') {
      var msg;
      try { msg = safeString(err.message); } catch (e) { msg = ''; }
      if (callMethod(indexOf, msg, 'alloc failed') !== -1) {
        return 'memory';
      }
    }
    return 'failed';
  }

  function settle(value) {
    // Like Node, run the promise jobs a script queued once its top level returns. There is no
    // event loop and no timer, so a promise that is still pending afterwards never settles.
    var state = {done: true, value: value};
    if (value !== null && (typeof value === 'object' || typeof value === 'function') &&
        typeof value.then === 'function') {
      state = {done: false};
      value.then(function (v) { state.done = true; state.value = v; },
                 function (e) { state.done = true; state.error = e; state.rejected = true; });
    }
    drainJobs();
    if (!state.done) {
      return {done: true, rejected: true, error: new ErrorCtor(
        'main() returned a promise that never settled: only promises and sdk calls can be awaited')};
    }
    return state;
  }

  function finish(status, valueJson, errorInfo, hasMain) {
    var envelope = '{"status":' + stringify(status) +
      ',"hostCalls":' + run.hostCalls +
      ',"consoleDropped":' + run.consoleDropped +
      ',"hasMain":' + (hasMain ? 'true' : 'false');
    if (valueJson !== undefined) {
      envelope += ',"value":' + valueJson;
    }
    if (errorInfo) {
      envelope += ',"error":' + stringify(errorInfo);
    }
    return toAscii(envelope + '}');
  }

  function runOnce(key, inputJson, contextJson, optionsJson) {
    var script = scripts[key];
    var hasMain = script.hasMain;
    var options = parse(optionsJson);
    run = {
      limits: options.limits,
      hostCalls: 0,
      consoleCount: 0,
      consoleBytes: 0,
      consoleDropped: 0,
      fatal: null
    };
    if (sdkKey !== optionsJson) {  // capabilities rarely change: rebuild sdk only when they do
      sdk = makeSdk(options.capabilities);
      sdkKey = optionsJson;
    }
    var outcome;
    try {
      var ctx = parse(contextJson);
      ctx.input = parse(inputJson);
      var value;
      if (hasMain) {
        value = script.factory(false, ctx, sdk)(ctx);
      } else {
        var pair = evalRunner(evalGuard(), ctx, sdk, script.source);
        value = typeof pair[1] === 'function' ? pair[1](ctx) : pair[0];
      }
      outcome = settle(value);
    } catch (e) {
      outcome = {done: true, rejected: true, error: e};
      try {
        drainJobs();  // jobs the failed run queued must not run in the next one
      } catch (ignored) {
        // a job that fails only rejects its own promise
      }
    }
    try {
      if (run.fatal) {
        return finish(run.fatal, undefined, {name: 'LimitError', message: run.fatalMessage, stack: '', line: null, column: null, code: run.fatal}, hasMain);
      }
      if (outcome.rejected) {
        return finish(endStatus(outcome.error), undefined, describeError(outcome.error), hasMain);
      }
      var text;
      try {
        text = stringify(outcome.value);
      } catch (e) {
        var info = describeError(e);
        info.message = 'result is not JSON-serialisable: ' + info.message;
        return finish('failed', undefined, info, hasMain);
      }
      if (text === undefined) {
        text = 'null';
      }
      if (text.length > run.limits.outputBytes) {
        return finish('output_limit', undefined, {name: 'LimitError', message:
          'result of ' + text.length + ' bytes exceeds the output limit of ' + run.limits.outputBytes,
          stack: '', line: null, column: null, code: 'output_limit'}, hasMain);
      }
      return finish('completed', text, undefined, hasMain);
    } catch (e) {
      // only reachable when even formatting failed (e.g. out of memory while stringifying)
      return '{"status":"' + (run.fatal || 'memory') + '","hostCalls":0,"consoleDropped":0,"error":' +
        '{"name":"Error","message":"the run could not be reported","stack":"","line":null,"column":null}}';
    } finally {
      run = null;
    }
  }

  function safeRun(key, inputJson, contextJson, optionsJson) {
    try {
      return runOnce(key, inputJson, contextJson, optionsJson);
    } catch (e) {
      return '{"status":"memory","hostCalls":0,"consoleDropped":0,"error":' +
        '{"name":"Error","message":"the run could not be reported","stack":"","line":null,"column":null}}';
    }
  }

  function safeLoad(key, codeJson) {
    try {
      return '{"ok":true,"hasMain":' + (load(key, parse(codeJson)) ? 'true' : 'false') + '}';
    } catch (e) {
      var info = describeError(e);
      var m = /\(line (\d+)\)/.exec(info.message);
      info.line = m ? +m[1] : info.line;
      return toAscii(stringify({ok: false, error: info}));
    }
  }

  global.__jss_load = safeLoad;
  global.__jss_unload = function (key) { delete scripts[key]; };
  global.__jss_run = safeRun;
  // A run's cyclic garbage waits for the next mark-and-sweep: after a run that allocated
  // much, the worker collects it at once so that it does not count against the next run.
  global.__jss_gc = function () {
    collectGarbage();
    collectGarbage();  // a second pass finalises what the first one only marked
  };
  global.__jss_seal = function () {
    delete global.__jss_load;
    delete global.__jss_unload;
    delete global.__jss_run;
    delete global.__jss_gc;
    delete global.__jss_seal;
    // Everything a run can reach exists by now, except what is made for it: freeze it all,
    // so that nothing one run does to a shared object is seen by the next. Some objects are
    // reachable only by calling a built-in (an iterator's prototype) or through syntax (a
    // generator's); intrinsics.js lists how to reach them, and the sandbox explorer test
    // proves the list complete.
    var roots = [global, evalRunner, consoleObject].concat(overridden);
    if (typeof intrinsics === 'function') {
      roots = roots.concat(intrinsics());
    }
    harden(roots);
    return true;
  };
})(this);
