/*
 * flask_jsscripts: what the Duktape sandbox needs before core-js loads (plain ES5): the promise
 * job queue, a store for core-js's internal state, error `cause`, the regexp side of the
 * Symbol.replace/split/match/search protocol (and String's match/replace asking a regexp that
 * has its own), and Reflect.get with a receiver. The standard library itself (Map, Set, WeakMap,
 * Promise, iterators, ES2016-ES2023 methods, structuredClone) comes from the vendored core-js
 * bundle (core-js.js, see VENDORED.md); what this file adds is frozen at the seal like the rest.
 *
 * There is no event loop and no timer. core-js queues its promise jobs through a native
 * `queueMicrotask` when it finds one at load time, so this file provides it first: jobs go to a
 * FIFO queue that only __jss_drainJobs() runs (the shim captures and deletes it before user code
 * runs). `queueMicrotask` stays a global for scripts, as in Node and browsers.
 *
 * core-js tracks unhandled rejections with `setImmediate`; with no event loop to report them in,
 * the no-op given here keeps them silent, as they always were. The shim deletes it afterwards.
 *
 * core-js keeps the internal state of its objects (a promise's reactions, an iterator's position)
 * in a WeakMap when the engine has one, else under string keys that every property listing shows
 * (and a script could then reach core-js's internal objects). Duktape has no WeakMap, so the store
 * given here keeps each state where no script can reach it; core-js takes the store from its
 * shared store, which the shim removes from the global object.
 */
(function (global) {
  'use strict';

  var jobs = [];
  var head = 0;

  function define(name, value) {
    Object.defineProperty(global, name, {value: value, writable: true, enumerable: false, configurable: true});
  }

  function queueMicrotask(callback) {
    if (typeof callback !== 'function') {
      throw new TypeError('queueMicrotask: the callback is not a function');
    }
    jobs.push(callback);
  }

  // Runs every job, those queued meanwhile too, in FIFO order; returns how many ran. A job that
  // throws (only a queueMicrotask callback can: promise jobs catch their own errors) does not
  // stop the others, so that none is left for the next run; the first error is thrown at the end.
  function drainJobs() {
    var count = 0;
    var failed = false;
    var error;
    while (head < jobs.length) {
      var job = jobs[head];
      jobs[head] = undefined;
      head++;
      count++;
      if (head >= 1024 && head * 2 >= jobs.length) {
        jobs = jobs.slice(head);
        head = 0;
      }
      try {
        job();
      } catch (e) {
        if (!failed) {
          failed = true;
          error = e;
        }
      }
    }
    jobs = [];
    head = 0;
    if (failed) {
      throw error;
    }
    return count;
  }

  // Each object's state sits in a closure ("box") under a symbol: calling the box hands the state
  // to `opened` only, so a script that finds the box learns nothing, and a state is given back
  // only for the object it was made for (core-js sets `facade`), whatever box an object holds.
  var STATE = Symbol('core-js internal state');
  var hasOwn = Object.prototype.hasOwnProperty;
  var opened;

  function open(it) {
    if (it === null || (typeof it !== 'object' && typeof it !== 'function') || !hasOwn.call(it, STATE)) {
      return undefined;
    }
    opened = undefined;
    var box = it[STATE];
    if (typeof box === 'function') {
      box();
    }
    var state = opened;
    opened = undefined;
    return state !== undefined && state.facade === it ? state : undefined;
  }

  var stateStore = {
    get: open,
    has: function (it) {
      return open(it) !== undefined;
    },
    set: function (it, state) {
      Object.defineProperty(it, STATE, {
        value: function () { opened = state; },
        writable: false,
        enumerable: false,
        configurable: false
      });
      return stateStore;
    }
  };

  function noTimer() {
    return 0;
  }

  // Error `cause`. core-js's own version wraps each error constructor too, but reads every new
  // error's `stack` (name, message and traceback as one string): 30 times slower than the native
  // constructor, and an error with a huge message then needs twice the memory. So core-js finds
  // `cause` supported here and leaves these constructors alone.
  function isObject(x) {
    return x !== null && (typeof x === 'object' || typeof x === 'function');
  }

  // An error tells the file and line where it was made: that of whoever called the wrapper.
  var activation = global.Duktape && global.Duktape.act;
  function placeAtCaller(error) {
    var caller = activation ? activation(-4) : null;  // act, placeAtCaller, the wrapper, caller
    if (caller && typeof caller.lineNumber === 'number' && caller['function']) {
      Object.defineProperty(error, 'fileName', {value: caller['function'].fileName, writable: true, configurable: true});
      Object.defineProperty(error, 'lineNumber', {value: caller.lineNumber, writable: true, configurable: true});
    }
  }

  function withCause(name) {
    var Native = global[name];
    var proto = Native.prototype;
    var Wrapped = function (message, options) {
      var error = message === undefined ? new Native() : new Native(message);
      // called by a subclass's constructor (class X extends Error): the error gets its prototype
      if (this instanceof Wrapped && Object.getPrototypeOf(this) !== proto) {
        Object.setPrototypeOf(error, Object.getPrototypeOf(this));
      }
      placeAtCaller(error);
      if (isObject(options) && 'cause' in options) {
        Object.defineProperty(error, 'cause', {value: options.cause, writable: true, enumerable: false, configurable: true});
      }
      return error;
    };
    try {
      Object.defineProperty(Wrapped, 'name', {value: name, configurable: true});
      Object.defineProperty(Wrapped, 'length', {value: 1, configurable: true});
    } catch (e) {
      // an engine whose function names or lengths cannot be redefined keeps the defaults
    }
    Object.defineProperty(Wrapped, 'prototype', {value: proto, writable: false, enumerable: false, configurable: false});
    Object.defineProperty(proto, 'constructor', {value: Wrapped, writable: true, enumerable: false, configurable: true});
    Object.setPrototypeOf(Wrapped, name === 'Error' ? Object.getPrototypeOf(Native) : global.Error);
    define(name, Wrapped);
  }

  if (new Error('e', {cause: 7}).cause !== 7) {
    var errorNames = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError'];
    for (var i = 0; i < errorNames.length; i++) {
      withCause(errorNames[i]);
    }
  }

  function replaceMethod(object, name, method) {
    Object.defineProperty(object, name, {value: method, writable: true, enumerable: false, configurable: true});
  }
  function requireString(value, name) {
    if (value === null || value === undefined) {
      throw new TypeError('String.prototype.' + name + ' called on null or undefined');
    }
    return String(value);
  }

  // Compiled regexps with named groups are a subclass with their own `exec` and Symbol.replace
  // (Babel's wrapRegExp), which Duktape's String methods never ask: match and replace hand over
  // to them. Plain regexps keep Duktape's native path.
  var nativeExec = RegExp.prototype.exec;
  var nativeMatch = String.prototype.match;
  var nativeReplace = String.prototype.replace;
  function match(regexp) {
    if (isObject(regexp) && regexp.exec !== nativeExec && typeof regexp.exec === 'function' &&
        !regexp.global) {
      return regexp.exec(requireString(this, 'match'));
    }
    return nativeMatch.apply(this, arguments);
  }

  // The well-known symbols through which String's regexp methods call a regexp (ES2015). Duktape's
  // own methods do not use them, but core-js does (replaceAll with a regexp): each regexp method
  // hands over to the string method. Made before core-js, which then keeps them.
  function regExpProtocol(name, method) {
    if (Symbol[name] !== undefined) {
      return;
    }
    var symbol = Symbol('Symbol.' + name);
    Object.defineProperty(Symbol, name, {value: symbol, writable: false, enumerable: false, configurable: false});
    replaceMethod(RegExp.prototype, symbol, function (string, argument) {
      if (!isObject(this)) {
        throw new TypeError('RegExp.prototype[Symbol.' + name + '] called on a non-object');
      }
      return method.call(String(string), this, argument);
    });
  }

  regExpProtocol('match', match);
  regExpProtocol('replace', nativeReplace);
  regExpProtocol('search', String.prototype.search);
  regExpProtocol('split', String.prototype.split);

  var protoReplace = RegExp.prototype[Symbol.replace];
  replaceMethod(String.prototype, 'match', match);
  replaceMethod(String.prototype, 'replace', function replace(searchValue, replaceValue) {
    var own = isObject(searchValue) ? searchValue[Symbol.replace] : undefined;
    if (own !== undefined && own !== protoReplace && typeof own === 'function') {
      return own.call(searchValue, requireString(this, 'replace'), replaceValue);
    }
    return nativeReplace.apply(this, arguments);
  });

  // Reflect.get with a receiver other than the target (what compiled classes use for `super.x`):
  // Duktape's refuses it. An accessor found on the prototype chain is called on the receiver.
  var nativeReflectGet = Reflect.get;
  replaceMethod(Reflect, 'get', function get(target, key) {
    if (arguments.length < 3 || arguments[2] === target) {
      return nativeReflectGet(target, key);
    }
    if (!isObject(target)) {
      throw new TypeError('Reflect.get called on a non-object');
    }
    for (var o = target; o !== null; o = Object.getPrototypeOf(o)) {
      var own = Object.getOwnPropertyDescriptor(o, key);
      if (own) {
        return own.get ? own.get.call(arguments[2]) : own.value;
      }
    }
    return undefined;
  });

  // ASCII-only text for what crosses into Python (pyduktape2 mangles characters beyond the BMP
  // and truncates at NUL); a lone surrogate becomes U+FFFD. intl.js and the shim take it.
  var NON_ASCII = /[\ud800-\udbff][\udc00-\udfff]|[\u007f-\uffff]/g;
  var replaceIn = Function.prototype.call.bind(nativeReplace);
  function hex4(code) {
    var h = code.toString(16);
    return '\\u' + '0000'.substring(h.length) + h;
  }
  function escapeChar(match) {
    if (match.length === 2) {
      return hex4(match.charCodeAt(0)) + hex4(match.charCodeAt(1));
    }
    var code = match.charCodeAt(0);
    return code >= 0xd800 && code <= 0xdfff ? '\\ufffd' : hex4(code);
  }
  define('__jss_toAscii', function (text) { return replaceIn(text, NON_ASCII, escapeChar); });

  define('queueMicrotask', queueMicrotask);
  define('setImmediate', noTimer);
  define('clearImmediate', noTimer);
  define('__jss_drainJobs', drainJobs);
  define('__core-js_shared__', {state: stateStore});
})(this);
