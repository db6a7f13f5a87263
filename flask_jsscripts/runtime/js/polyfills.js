/*
 * flask_jsscripts polyfills for Duktape 2.7 (pyduktape2 0.5.0).
 *
 * Plain ES5; evaluated once, at top level, in every fresh context before user code.
 * Only what Duktape 2.7 lacks is added, each as a non-enumerable, writable,
 * configurable property; an existing (native) property is never replaced.
 *
 * Already native in Duktape 2.7, so not provided here: Symbol (with Symbol.iterator and
 * Symbol.toStringTag), Proxy, Reflect, Object.assign, Object.is, String.fromCodePoint,
 * String.prototype.{includes, startsWith, endsWith, repeat, codePointAt},
 * Number.{isInteger, isFinite, isNaN, isSafeInteger, EPSILON, MAX_SAFE_INTEGER,
 * MIN_SAFE_INTEGER}, Math.{trunc, sign, log10, log2, hypot, cbrt}.
 *
 * Added: Map, Set, WeakMap, WeakSet, Promise, Array.from, Array.of,
 * Array.prototype.{includes, find, findIndex, fill, flat, flatMap, keys, values,
 * entries, @@iterator}, String.prototype.{@@iterator, padStart, padEnd, trimStart,
 * trimEnd}, Object.{entries, values, fromEntries}.
 *
 * Limits (by design): there is no event loop and no timer. Promise jobs go to a FIFO
 * queue that is run by __jss_drainJobs(), the only extra global defined here (the
 * shim captures and deletes it before user code runs). Map/Set look up primitive keys
 * through a hash; object and symbol keys by a linear scan. WeakMap/WeakSet hold their
 * keys strongly (a context lives for one run only).
 */
(function (global) {
  'use strict';

  var hasOwn = Object.prototype.hasOwnProperty;
  var defineProperty = Object.defineProperty;
  var ITERATOR = Symbol.iterator;
  var TO_STRING_TAG = Symbol.toStringTag;

  function define(obj, key, value) {
    if (hasOwn.call(obj, key)) {
      return;
    }
    defineProperty(obj, key, { value: value, writable: true, enumerable: false, configurable: true });
  }

  function defineAll(obj, methods) {
    var names = Object.keys(methods);
    for (var i = 0; i < names.length; i++) {
      define(obj, names[i], methods[names[i]]);
    }
  }

  function defineTag(obj, tag) {
    if (TO_STRING_TAG !== undefined && !hasOwn.call(obj, TO_STRING_TAG)) {
      defineProperty(obj, TO_STRING_TAG, { value: tag, writable: false, enumerable: false, configurable: true });
    }
  }

  function defineSlot(obj, key, value) {
    defineProperty(obj, key, { value: value, writable: false, enumerable: false, configurable: false });
  }

  function isObject(x) {
    return (typeof x === 'object' && x !== null) || typeof x === 'function';
  }

  function toObject(x, what) {
    if (x === null || x === undefined) {
      throw new TypeError(what + ' called on null or undefined');
    }
    return Object(x);
  }

  function toInteger(x) {
    var n = Number(x);
    if (n !== n) {
      return 0;
    }
    if (n === 0 || n === Infinity || n === -Infinity) {
      return n;
    }
    return n < 0 ? -Math.floor(-n) : Math.floor(n);
  }

  function toLength(x) {
    var n = toInteger(x);
    return n <= 0 ? 0 : Math.min(n, 9007199254740991);
  }

  function relativeIndex(x, len, dflt) {
    var n = x === undefined ? dflt : toInteger(x);
    return n < 0 ? Math.max(len + n, 0) : Math.min(n, len);
  }

  function sameValueZero(a, b) {
    return a === b || (a !== a && b !== b);
  }

  function requireCallable(fn, what) {
    if (typeof fn !== 'function') {
      throw new TypeError(what + ' is not a function');
    }
    return fn;
  }

  // ---------------------------------------------------------------- iteration helpers

  var IteratorPrototype = {};
  define(IteratorPrototype, ITERATOR, function () {
    return this;
  });

  function iterResult(value, done) {
    return { value: value, done: done };
  }

  function getIterator(obj) {
    if (obj === null || obj === undefined) {
      throw new TypeError(String(obj) + ' is not iterable');
    }
    var method = obj[ITERATOR];
    if (typeof method !== 'function') {
      throw new TypeError('object is not iterable');
    }
    var it = method.call(obj);
    if (!isObject(it)) {
      throw new TypeError('iterator is not an object');
    }
    return it;
  }

  function closeIterator(it) {
    try {
      var ret = it['return'];
      if (typeof ret === 'function') {
        ret.call(it);
      }
    } catch (ignored) {
      // the original exception wins
    }
  }

  // Calls fn(value) for each value of an iterable; closes the iterator if fn throws.
  function forOf(iterable, fn) {
    var it = getIterator(iterable);
    for (;;) {
      var step = it.next();
      if (!isObject(step)) {
        throw new TypeError('iterator result is not an object');
      }
      if (step.done) {
        return;
      }
      try {
        fn(step.value);
      } catch (e) {
        closeIterator(it);
        throw e;
      }
    }
  }

  // ---------------------------------------------------------------- Array iterators

  var ArrayIteratorPrototype = Object.create(IteratorPrototype);
  var ARRAY_ITER = Symbol('ArrayIteratorState');
  define(ArrayIteratorPrototype, 'next', function next() {
    var st = this && this[ARRAY_ITER];
    if (!st) {
      throw new TypeError('next method called on incompatible receiver');
    }
    var obj = st.obj;
    if (obj === undefined) {
      return iterResult(undefined, true);
    }
    var i = st.index;
    if (i >= toLength(obj.length)) {
      st.obj = undefined;
      return iterResult(undefined, true);
    }
    st.index = i + 1;
    if (st.kind === 0) {
      return iterResult(i, false);
    }
    if (st.kind === 1) {
      return iterResult(obj[i], false);
    }
    return iterResult([i, obj[i]], false);
  });
  defineTag(ArrayIteratorPrototype, 'Array Iterator');

  function arrayIterator(obj, kind) {
    var it = Object.create(ArrayIteratorPrototype);
    defineSlot(it, ARRAY_ITER, { obj: toObject(obj, 'Array.prototype iterator'), index: 0, kind: kind });
    return it;
  }

  // ---------------------------------------------------------------- Array

  defineAll(Array, {
    from: function from(items, mapFn, thisArg) {
      if (mapFn !== undefined) {
        requireCallable(mapFn, 'Array.from: mapFn');
      }
      var out = [];
      var k = 0;
      if (items === null || items === undefined) {
        throw new TypeError('Array.from: ' + String(items) + ' is not iterable or array-like');
      }
      var usingIterator = items[ITERATOR];
      if (usingIterator !== undefined && usingIterator !== null) {
        forOf(items, function (v) {
          out.push(mapFn === undefined ? v : mapFn.call(thisArg, v, k));
          k++;
        });
        return out;
      }
      var arrayLike = Object(items);
      var len = toLength(arrayLike.length);
      for (; k < len; k++) {
        out.push(mapFn === undefined ? arrayLike[k] : mapFn.call(thisArg, arrayLike[k], k));
      }
      return out;
    },
    of: function of() {
      return Array.prototype.slice.call(arguments);
    }
  });

  var arrayValues = function values() {
    return arrayIterator(this, 1);
  };

  function flattenInto(target, source, depth) {
    var len = toLength(source.length);
    for (var i = 0; i < len; i++) {
      if (!(i in source)) {
        continue;
      }
      var el = source[i];
      if (depth > 0 && Array.isArray(el)) {
        flattenInto(target, el, depth - 1);
      } else {
        target.push(el);
      }
    }
    return target;
  }

  defineAll(Array.prototype, {
    includes: function includes(search, fromIndex) {
      var o = toObject(this, 'Array.prototype.includes');
      var len = toLength(o.length);
      for (var i = relativeIndex(fromIndex, len, 0); i < len; i++) {
        if (sameValueZero(o[i], search)) {
          return true;
        }
      }
      return false;
    },
    find: function find(predicate, thisArg) {
      var o = toObject(this, 'Array.prototype.find');
      var len = toLength(o.length);
      requireCallable(predicate, 'Array.prototype.find: predicate');
      for (var i = 0; i < len; i++) {
        var v = o[i];
        if (predicate.call(thisArg, v, i, o)) {
          return v;
        }
      }
      return undefined;
    },
    findIndex: function findIndex(predicate, thisArg) {
      var o = toObject(this, 'Array.prototype.findIndex');
      var len = toLength(o.length);
      requireCallable(predicate, 'Array.prototype.findIndex: predicate');
      for (var i = 0; i < len; i++) {
        if (predicate.call(thisArg, o[i], i, o)) {
          return i;
        }
      }
      return -1;
    },
    fill: function fill(value, start, end) {
      var o = toObject(this, 'Array.prototype.fill');
      var len = toLength(o.length);
      var to = relativeIndex(end, len, len);
      for (var i = relativeIndex(start, len, 0); i < to; i++) {
        o[i] = value;
      }
      return o;
    },
    flat: function flat(depth) {
      var o = toObject(this, 'Array.prototype.flat');
      return flattenInto([], o, depth === undefined ? 1 : toInteger(depth));
    },
    flatMap: function flatMap(fn, thisArg) {
      var o = toObject(this, 'Array.prototype.flatMap');
      var len = toLength(o.length);
      requireCallable(fn, 'Array.prototype.flatMap: callback');
      var out = [];
      for (var i = 0; i < len; i++) {
        if (!(i in o)) {
          continue;
        }
        var r = fn.call(thisArg, o[i], i, o);
        if (Array.isArray(r)) {
          flattenInto(out, r, 0);
        } else {
          out.push(r);
        }
      }
      return out;
    },
    keys: function keys() {
      return arrayIterator(this, 0);
    },
    values: arrayValues,
    entries: function entries() {
      return arrayIterator(this, 2);
    }
  });
  define(Array.prototype, ITERATOR, Array.prototype.values);

  // ---------------------------------------------------------------- String

  var StringIteratorPrototype = Object.create(IteratorPrototype);
  var STRING_ITER = Symbol('StringIteratorState');
  define(StringIteratorPrototype, 'next', function next() {
    var st = this && this[STRING_ITER];
    if (!st) {
      throw new TypeError('next method called on incompatible receiver');
    }
    var s = st.str;
    if (s === undefined) {
      return iterResult(undefined, true);
    }
    var pos = st.pos;
    if (pos >= s.length) {
      st.str = undefined;
      return iterResult(undefined, true);
    }
    var size = 1;
    var first = s.charCodeAt(pos);
    if (first >= 0xd800 && first <= 0xdbff && pos + 1 < s.length) {
      var second = s.charCodeAt(pos + 1);
      if (second >= 0xdc00 && second <= 0xdfff) {
        size = 2;
      }
    }
    st.pos = pos + size;
    return iterResult(s.substr(pos, size), false);
  });
  defineTag(StringIteratorPrototype, 'String Iterator');

  var WS = '[\\u0009\\u000A\\u000B\\u000C\\u000D\\u0020\\u00A0\\u1680\\u2000-\\u200A' +
    '\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]+';
  var LEADING_WS = new RegExp('^' + WS);
  var TRAILING_WS = new RegExp(WS + '$');

  function padding(s, maxLength, fillString) {
    var len = toLength(maxLength);
    var filler = fillString === undefined ? ' ' : String(fillString);
    if (len <= s.length || filler === '') {
      return '';
    }
    var need = len - s.length;
    while (filler.length < need) {
      filler += filler;
    }
    return filler.slice(0, need);
  }

  define(String.prototype, ITERATOR, function () {
    var it = Object.create(StringIteratorPrototype);
    defineSlot(it, STRING_ITER, { str: String(toObject(this, 'String.prototype[Symbol.iterator]')), pos: 0 });
    return it;
  });
  defineAll(String.prototype, {
    padStart: function padStart(maxLength, fillString) {
      var s = String(toObject(this, 'String.prototype.padStart'));
      return padding(s, maxLength, fillString) + s;
    },
    padEnd: function padEnd(maxLength, fillString) {
      var s = String(toObject(this, 'String.prototype.padEnd'));
      return s + padding(s, maxLength, fillString);
    },
    trimStart: function trimStart() {
      return String(toObject(this, 'String.prototype.trimStart')).replace(LEADING_WS, '');
    },
    trimEnd: function trimEnd() {
      return String(toObject(this, 'String.prototype.trimEnd')).replace(TRAILING_WS, '');
    }
  });

  // ---------------------------------------------------------------- Object

  defineAll(Object, {
    entries: function entries(obj) {
      var o = toObject(obj, 'Object.entries');
      var keys = Object.keys(o);
      var out = [];
      for (var i = 0; i < keys.length; i++) {
        out.push([keys[i], o[keys[i]]]);
      }
      return out;
    },
    values: function values(obj) {
      var o = toObject(obj, 'Object.values');
      var keys = Object.keys(o);
      var out = [];
      for (var i = 0; i < keys.length; i++) {
        out.push(o[keys[i]]);
      }
      return out;
    },
    fromEntries: function fromEntries(iterable) {
      var out = {};
      forOf(iterable, function (entry) {
        if (!isObject(entry)) {
          throw new TypeError('Object.fromEntries: entry is not an object');
        }
        defineProperty(out, entry[0], { value: entry[1], writable: true, enumerable: true, configurable: true });
      });
      return out;
    }
  });

  // ---------------------------------------------------------------- Map / Set store
  //
  // Entries form a doubly linked list in insertion order. A deleted entry is marked
  // `removed` and keeps its `prev` link, so a live iterator standing on it can walk
  // back to a live entry and continue from there (clear() cuts the `prev` links, so
  // iterators restart from the new first entry). Primitive keys are found through a
  // hash keyed by type + value (-0 is stored as +0, all NaNs share one key); object
  // and symbol keys by a linear scan.

  function Store() {
    this.first = null;
    this.last = null;
    this.size = 0;
    this.prims = Object.create(null);
    this.objs = [];
  }

  function primKey(key) {
    switch (typeof key) {
      case 'string':
        return 's' + key;
      case 'number':
        return key === 0 ? 'n0' : 'n' + String(key);
      case 'boolean':
        return key ? 'T' : 'F';
      case 'undefined':
        return 'u';
      default:
        return key === null ? 'N' : undefined;
    }
  }

  Store.prototype.find = function (key) {
    var pk = primKey(key);
    if (pk !== undefined) {
      var e = this.prims[pk];
      return e === undefined ? null : e;
    }
    var objs = this.objs;
    for (var i = 0; i < objs.length; i++) {
      if (objs[i].key === key) {
        return objs[i];
      }
    }
    return null;
  };

  Store.prototype.add = function (key, value) {
    var e = this.find(key);
    if (e) {
      e.value = value;
      return;
    }
    if (key === 0) {
      key = 0; // normalise -0
    }
    e = { key: key, value: value, prev: this.last, next: null, removed: false };
    if (this.last) {
      this.last.next = e;
    } else {
      this.first = e;
    }
    this.last = e;
    this.size++;
    var pk = primKey(key);
    if (pk !== undefined) {
      this.prims[pk] = e;
    } else {
      this.objs.push(e);
    }
  };

  Store.prototype.remove = function (key) {
    var e = this.find(key);
    if (!e) {
      return false;
    }
    var pk = primKey(key);
    if (pk !== undefined) {
      delete this.prims[pk];
    } else {
      this.objs.splice(this.objs.indexOf(e), 1);
    }
    e.removed = true;
    if (e.prev) {
      e.prev.next = e.next;
    } else {
      this.first = e.next;
    }
    if (e.next) {
      e.next.prev = e.prev;
    } else {
      this.last = e.prev;
    }
    this.size--;
    return true;
  };

  Store.prototype.clear = function () {
    for (var e = this.first; e; e = e.next) {
      e.removed = true;
      e.prev = null;
    }
    this.first = null;
    this.last = null;
    this.size = 0;
    this.prims = Object.create(null);
    this.objs = [];
  };

  // The entry after `e` (or the first entry when e is null), skipping removed ones.
  Store.prototype.after = function (e) {
    while (e && e.removed) {
      e = e.prev;
    }
    return e ? e.next : this.first;
  };

  Store.prototype.each = function (fn) {
    for (var e = this.after(null); e; e = this.after(e)) {
      fn(e);
    }
  };

  var STORE = Symbol('CollectionData');
  var COLLECTION_ITER = Symbol('CollectionIteratorState');

  function storeOf(obj, kind, method) {
    var st = isObject(obj) ? obj[STORE] : undefined;
    if (!st || st.kind !== kind) {
      throw new TypeError(kind + '.prototype.' + method + ' called on incompatible receiver');
    }
    return st.store;
  }

  function initStore(obj, kind, Ctor) {
    if (!(obj instanceof Ctor) || hasOwn.call(obj, STORE)) {
      throw new TypeError('Constructor ' + kind + " requires 'new'");
    }
    var store = new Store();
    defineSlot(obj, STORE, { kind: kind, store: store });
    return store;
  }

  function makeIteratorPrototype(tag) {
    var proto = Object.create(IteratorPrototype);
    define(proto, 'next', function next() {
      var st = this && this[COLLECTION_ITER];
      if (!st || st.tag !== tag) {
        throw new TypeError('next method called on incompatible receiver');
      }
      if (st.done) {
        return iterResult(undefined, true);
      }
      var e = st.store.after(st.current);
      if (!e) {
        st.done = true;
        st.current = null;
        return iterResult(undefined, true);
      }
      st.current = e;
      if (st.kind === 0) {
        return iterResult(e.key, false);
      }
      if (st.kind === 1) {
        return iterResult(e.value, false);
      }
      return iterResult([e.key, e.value], false);
    });
    defineTag(proto, tag);
    return function (store, kind) {
      var it = Object.create(proto);
      defineSlot(it, COLLECTION_ITER, { tag: tag, store: store, kind: kind, current: null, done: false });
      return it;
    };
  }

  // ---------------------------------------------------------------- Map

  var mapIterator = makeIteratorPrototype('Map Iterator');

  function Map(iterable) {
    initStore(this, 'Map', Map);
    if (iterable !== undefined && iterable !== null) {
      var adder = requireCallable(this.set, 'Map: this.set');
      var self = this;
      forOf(iterable, function (entry) {
        if (!isObject(entry)) {
          throw new TypeError('Iterator value ' + String(entry) + ' is not an entry object');
        }
        adder.call(self, entry[0], entry[1]);
      });
    }
  }

  defineAll(Map.prototype, {
    get: function get(key) {
      var e = storeOf(this, 'Map', 'get').find(key);
      return e ? e.value : undefined;
    },
    set: function set(key, value) {
      storeOf(this, 'Map', 'set').add(key, value);
      return this;
    },
    has: function has(key) {
      return storeOf(this, 'Map', 'has').find(key) !== null;
    },
    'delete': function (key) {
      return storeOf(this, 'Map', 'delete').remove(key);
    },
    clear: function clear() {
      storeOf(this, 'Map', 'clear').clear();
    },
    forEach: function forEach(callback, thisArg) {
      var store = storeOf(this, 'Map', 'forEach');
      var self = this;
      requireCallable(callback, 'Map.prototype.forEach: callback');
      store.each(function (e) {
        callback.call(thisArg, e.value, e.key, self);
      });
    },
    keys: function keys() {
      return mapIterator(storeOf(this, 'Map', 'keys'), 0);
    },
    values: function values() {
      return mapIterator(storeOf(this, 'Map', 'values'), 1);
    },
    entries: function entries() {
      return mapIterator(storeOf(this, 'Map', 'entries'), 2);
    }
  });
  defineProperty(Map.prototype, 'size', {
    get: function () {
      return storeOf(this, 'Map', 'size').size;
    },
    enumerable: false,
    configurable: true
  });
  define(Map.prototype, ITERATOR, Map.prototype.entries);
  defineTag(Map.prototype, 'Map');

  // ---------------------------------------------------------------- Set

  var setIterator = makeIteratorPrototype('Set Iterator');

  function Set(iterable) {
    initStore(this, 'Set', Set);
    if (iterable !== undefined && iterable !== null) {
      var adder = requireCallable(this.add, 'Set: this.add');
      var self = this;
      forOf(iterable, function (v) {
        adder.call(self, v);
      });
    }
  }

  defineAll(Set.prototype, {
    add: function add(value) {
      storeOf(this, 'Set', 'add').add(value, value);
      return this;
    },
    has: function has(value) {
      return storeOf(this, 'Set', 'has').find(value) !== null;
    },
    'delete': function (value) {
      return storeOf(this, 'Set', 'delete').remove(value);
    },
    clear: function clear() {
      storeOf(this, 'Set', 'clear').clear();
    },
    forEach: function forEach(callback, thisArg) {
      var store = storeOf(this, 'Set', 'forEach');
      var self = this;
      requireCallable(callback, 'Set.prototype.forEach: callback');
      store.each(function (e) {
        callback.call(thisArg, e.key, e.key, self);
      });
    },
    values: function values() {
      return setIterator(storeOf(this, 'Set', 'values'), 1);
    },
    entries: function entries() {
      return setIterator(storeOf(this, 'Set', 'entries'), 2);
    }
  });
  define(Set.prototype, 'keys', Set.prototype.values);
  defineProperty(Set.prototype, 'size', {
    get: function () {
      return storeOf(this, 'Set', 'size').size;
    },
    enumerable: false,
    configurable: true
  });
  define(Set.prototype, ITERATOR, Set.prototype.values);
  defineTag(Set.prototype, 'Set');

  // ---------------------------------------------------------------- WeakMap / WeakSet

  function requireObjectKey(key, what) {
    if (!isObject(key)) {
      throw new TypeError('Invalid value used ' + what);
    }
    return key;
  }

  function WeakMap(iterable) {
    initStore(this, 'WeakMap', WeakMap);
    if (iterable !== undefined && iterable !== null) {
      var adder = requireCallable(this.set, 'WeakMap: this.set');
      var self = this;
      forOf(iterable, function (entry) {
        if (!isObject(entry)) {
          throw new TypeError('Iterator value ' + String(entry) + ' is not an entry object');
        }
        adder.call(self, entry[0], entry[1]);
      });
    }
  }

  defineAll(WeakMap.prototype, {
    get: function get(key) {
      var store = storeOf(this, 'WeakMap', 'get');
      var e = isObject(key) ? store.find(key) : null;
      return e ? e.value : undefined;
    },
    set: function set(key, value) {
      storeOf(this, 'WeakMap', 'set').add(requireObjectKey(key, 'as weak map key'), value);
      return this;
    },
    has: function has(key) {
      var store = storeOf(this, 'WeakMap', 'has');
      return isObject(key) && store.find(key) !== null;
    },
    'delete': function (key) {
      var store = storeOf(this, 'WeakMap', 'delete');
      return isObject(key) && store.remove(key);
    }
  });
  defineTag(WeakMap.prototype, 'WeakMap');

  function WeakSet(iterable) {
    initStore(this, 'WeakSet', WeakSet);
    if (iterable !== undefined && iterable !== null) {
      var adder = requireCallable(this.add, 'WeakSet: this.add');
      var self = this;
      forOf(iterable, function (v) {
        adder.call(self, v);
      });
    }
  }

  defineAll(WeakSet.prototype, {
    add: function add(value) {
      storeOf(this, 'WeakSet', 'add').add(requireObjectKey(value, 'in weak set'), true);
      return this;
    },
    has: function has(value) {
      var store = storeOf(this, 'WeakSet', 'has');
      return isObject(value) && store.find(value) !== null;
    },
    'delete': function (value) {
      var store = storeOf(this, 'WeakSet', 'delete');
      return isObject(value) && store.remove(value);
    }
  });
  defineTag(WeakSet.prototype, 'WeakSet');

  // ---------------------------------------------------------------- Promise
  //
  // Promises/A+ and ES2015 semantics; jobs are appended to `jobs` and run, in FIFO
  // order, only by drainJobs(). Jobs catch their own errors.

  var jobs = [];
  var jobHead = 0;

  function enqueue(job) {
    jobs.push(job);
  }

  function drainJobs() {
    var count = 0;
    while (jobHead < jobs.length) {
      var job = jobs[jobHead];
      jobs[jobHead] = undefined;
      jobHead++;
      count++;
      if (jobHead >= 1024 && jobHead * 2 >= jobs.length) {
        jobs = jobs.slice(jobHead);
        jobHead = 0;
      }
      job();
    }
    jobs = [];
    jobHead = 0;
    return count;
  }

  var PENDING = 0;
  var FULFILLED = 1;
  var REJECTED = 2;
  var PROMISE = Symbol('PromiseState');

  function promiseState(p, method) {
    var st = isObject(p) ? p[PROMISE] : undefined;
    if (!st) {
      throw new TypeError('Promise.prototype.' + method + ' called on incompatible receiver');
    }
    return st;
  }

  function settle(st, state, value) {
    if (st.state !== PENDING) {
      return;
    }
    var reactions = st.reactions;
    st.state = state;
    st.value = value;
    st.reactions = null;
    for (var i = 0; i < reactions.length; i++) {
      scheduleReaction(reactions[i], state, value);
    }
  }

  function scheduleReaction(reaction, state, value) {
    enqueue(function () {
      var handler = state === FULFILLED ? reaction.onFulfilled : reaction.onRejected;
      var result;
      if (typeof handler !== 'function') {
        if (state === FULFILLED) {
          reaction.resolve(value);
        } else {
          reaction.reject(value);
        }
        return;
      }
      try {
        result = handler(value);
      } catch (e) {
        reaction.reject(e);
        return;
      }
      reaction.resolve(result);
    });
  }

  // Returns [resolve, reject] for the promise state `st`, sharing one "already resolved" flag.
  function resolvingFunctions(p, st) {
    var done = false;
    function resolve(x) {
      if (done) {
        return;
      }
      done = true;
      resolveWith(p, st, x);
    }
    function reject(reason) {
      if (done) {
        return;
      }
      done = true;
      settle(st, REJECTED, reason);
    }
    return [resolve, reject];
  }

  function resolveWith(p, st, x) {
    if (x === p) {
      settle(st, REJECTED, new TypeError('Chaining cycle detected for promise'));
      return;
    }
    if (!isObject(x)) {
      settle(st, FULFILLED, x);
      return;
    }
    var then;
    try {
      then = x.then;
    } catch (e) {
      settle(st, REJECTED, e);
      return;
    }
    if (typeof then !== 'function') {
      settle(st, FULFILLED, x);
      return;
    }
    enqueue(function () {
      var fns = resolvingFunctions(p, st);
      try {
        then.call(x, fns[0], fns[1]);
      } catch (e) {
        fns[1](e);
      }
    });
  }

  function Promise(executor) {
    if (!(this instanceof Promise) || hasOwn.call(this, PROMISE)) {
      throw new TypeError("Constructor Promise requires 'new'");
    }
    requireCallable(executor, 'Promise resolver');
    var st = { state: PENDING, value: undefined, reactions: [] };
    defineSlot(this, PROMISE, st);
    var fns = resolvingFunctions(this, st);
    try {
      executor(fns[0], fns[1]);
    } catch (e) {
      fns[1](e);
    }
  }

  function constructorOf(C) {
    return typeof C === 'function' ? C : Promise;
  }

  function capability(C) {
    var cap = {};
    cap.promise = new (constructorOf(C))(function (resolve, reject) {
      cap.resolve = resolve;
      cap.reject = reject;
    });
    requireCallable(cap.resolve, 'Promise capability resolve');
    requireCallable(cap.reject, 'Promise capability reject');
    return cap;
  }

  function promiseResolve(C, x) {
    C = constructorOf(C);
    if (isObject(x) && hasOwn.call(x, PROMISE) && x.constructor === C) {
      return x;
    }
    var cap = capability(C);
    cap.resolve(x);
    return cap.promise;
  }

  defineAll(Promise.prototype, {
    then: function then(onFulfilled, onRejected) {
      var st = promiseState(this, 'then');
      var cap = capability(Promise);
      var reaction = {
        onFulfilled: onFulfilled,
        onRejected: onRejected,
        resolve: cap.resolve,
        reject: cap.reject
      };
      if (st.state === PENDING) {
        st.reactions.push(reaction);
      } else {
        scheduleReaction(reaction, st.state, st.value);
      }
      return cap.promise;
    },
    'catch': function (onRejected) {
      return this.then(undefined, onRejected);
    },
    'finally': function (onFinally) {
      if (typeof onFinally !== 'function') {
        return this.then(onFinally, onFinally);
      }
      return this.then(
        function (value) {
          return promiseResolve(Promise, onFinally()).then(function () {
            return value;
          });
        },
        function (reason) {
          return promiseResolve(Promise, onFinally()).then(function () {
            throw reason;
          });
        }
      );
    }
  });
  defineTag(Promise.prototype, 'Promise');

  // Shared driver for all / allSettled: settleOne(values, index, value, isRejection)
  // returns true when the element is complete.
  function combine(C, iterable, onElement) {
    var cap = capability(C);
    try {
      var values = [];
      var remaining = 1;
      var index = 0;
      forOf(iterable, function (item) {
        var i = index++;
        var called = false;
        values.push(undefined);
        remaining++;
        promiseResolve(C, item).then(
          function (v) {
            if (called) {
              return;
            }
            called = true;
            if (onElement(values, i, v, false, cap)) {
              if (--remaining === 0) {
                cap.resolve(values);
              }
            }
          },
          function (r) {
            if (called) {
              return;
            }
            called = true;
            if (onElement(values, i, r, true, cap)) {
              if (--remaining === 0) {
                cap.resolve(values);
              }
            }
          }
        );
      });
      if (--remaining === 0) {
        cap.resolve(values);
      }
    } catch (e) {
      cap.reject(e);
    }
    return cap.promise;
  }

  defineAll(Promise, {
    resolve: function resolve(x) {
      return promiseResolve(this, x);
    },
    reject: function reject(reason) {
      var cap = capability(this);
      cap.reject(reason);
      return cap.promise;
    },
    all: function all(iterable) {
      return combine(this, iterable, function (values, i, v, rejected, cap) {
        if (rejected) {
          cap.reject(v);
          return false;
        }
        values[i] = v;
        return true;
      });
    },
    allSettled: function allSettled(iterable) {
      return combine(this, iterable, function (values, i, v, rejected) {
        values[i] = rejected ? { status: 'rejected', reason: v } : { status: 'fulfilled', value: v };
        return true;
      });
    },
    race: function race(iterable) {
      var C = this;
      var cap = capability(C);
      try {
        forOf(iterable, function (item) {
          promiseResolve(C, item).then(cap.resolve, cap.reject);
        });
      } catch (e) {
        cap.reject(e);
      }
      return cap.promise;
    }
  });

  // ---------------------------------------------------------------- globals

  define(global, 'Map', Map);
  define(global, 'Set', Set);
  define(global, 'WeakMap', WeakMap);
  define(global, 'WeakSet', WeakSet);
  define(global, 'Promise', Promise);

  // Must stay last. Captured and deleted by the shim before user code runs.
  define(global, '__jss_drainJobs', drainJobs);
})(this);
