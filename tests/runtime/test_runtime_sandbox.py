"""Sandbox escapes: what user code must not reach, change or keep."""

from __future__ import annotations

import os
import time

import pytest

from flask_jsscripts.runtime import Limits, Runtime

L = Limits(timeout=10.0)


def run(rt, source, **kw):
    kw.setdefault("limits", L)
    return rt.run(source, **kw)


def value(rt, source, **kw):
    r = run(rt, source, **kw)
    assert r.status == "completed", r.error
    return r.value


@pytest.mark.parametrize(
    "name",
    [
        "eval",
        "require",
        "print",
        "alert",
        "Duktape",
        "fetch",
        "setTimeout",
        "setInterval",
        "setImmediate",
        "clearImmediate",
        "clearTimeout",
        "XMLHttpRequest",
        "process",
        "modSearch",
        "CBOR",
        "Buffer",
        "__jss_bridge",
        "__jss_run",
        "__jss_load",
        "__jss_seal",
        "__jss_drainJobs",
    ],
)
def test_dangerous_globals_are_unreachable(rt, name):
    src = f"[typeof {name}, typeof globalThis[{name!r}], {name!r} in globalThis]"
    assert value(rt, src) == ["undefined", "undefined", False]
    # also from inside main and under "use strict"
    src = f'"use strict";\nfunction main() {{ return typeof {name}; }}'
    assert value(rt, src) == "undefined"


@pytest.mark.parametrize(
    "source",
    [
        "Function('return 1')()",
        "new Function('return 1')()",
        "(function () {}).constructor('return 1')()",
        "Object.getPrototypeOf(function () {}).constructor('return 1')()",
        "constructor.constructor('return this')()",
        "({}).constructor.constructor('return this')()",
        "[].map.constructor('return this')()",
        "(() => 1).constructor('return this')()",
        "(async function () {}).constructor('return 1')()",
        # regenerator's GeneratorFunction is only a marker: it builds nothing from the text
        "(function* () {}).constructor('return 1')()",
        "Reflect.construct(Function, ['return 1'])()",
    ],
)
def test_code_generation_from_strings_is_refused(rt, source):
    r = run(rt, source)
    assert r.status == "failed", r.value
    assert r.error["name"] in {"EvalError", "TypeError", "ReferenceError"}


def test_indirect_eval_through_arguments_is_gone(rt):
    # Scripts without main run through a direct eval handed out once by a guard object: user
    # code sees the guard (a parameter of the runner) but never gets eval from it.
    src = (
        "[typeof arguments[0].eval, typeof eval, typeof __jss_guard.eval,"
        " Object.getPrototypeOf(__jss_guard), typeof __jss_src]"
    )
    assert value(rt, src) == ["undefined", "undefined", "undefined", None, "string"]
    src = "try { __jss_guard.eval = 1; } catch (e) {}\n[typeof eval, typeof __jss_guard.eval]"
    assert value(rt, src) in (["undefined", "undefined"], ["number", "number"])
    assert value(rt, "typeof eval") == "undefined"


def test_builtin_prototypes_are_frozen(rt):
    src = """
    var results = [];
    Array.prototype.x = 1; results.push([].x);
    Object.prototype.polluted = 1; results.push(({}).polluted);
    try { Object.prototype.toString = function () { return 'p'; }; } catch (e) {}
    results.push(Object.prototype.toString.call([]));
    try { Array.prototype.push = function () { return 'p'; }; } catch (e) {}
    results.push([].push(1));
    try { String.prototype.trim = null; } catch (e) {}
    results.push(' a '.trim());
    results.push(Object.isFrozen(Array.prototype), Object.isFrozen(Object.prototype),
                 Object.isFrozen(globalThis), Object.isFrozen(Math), Object.isFrozen(JSON));
    results
    """
    assert value(rt, src) == [None, None, "[object Array]", 1, "a", True, True, True, True, True]


def test_strict_mode_writes_to_builtins_throw(rt):
    r = run(rt, '"use strict";\nArray.prototype.x = 1;')
    assert r.status == "failed" and r.error["name"] == "TypeError"
    r = run(rt, "Object.prototype.toString = function () { return 'p'; }")
    assert r.status == "failed" and r.error["name"] == "TypeError"


def test_overriding_on_own_objects_works(rt):
    src = """
    function A() {}
    A.prototype.toString = function () { return 'a'; };
    var o = {}; o.toString = function () { return 'o'; };
    var e = new Error('m'); e.message = 'changed'; e.name = 'Custom';
    function B() {} B.prototype.valueOf = function () { return 41; };
    [String(new A()), String(o), e.message, e.name, new B() + 1, String({})]
    """
    assert value(rt, src) == ["a", "o", "changed", "Custom", 42, "[object Object]"]


def test_modern_classes_can_override_builtin_methods(rt):
    src = (
        "class P { toString() { return 'p'; } }\nclass E extends Error {\n"
        "  constructor(m) { super(m); this.name = 'E'; }\n}\n"
        "[String(new P()), new E('x').name, new E('x') instanceof Error]"
    )
    assert value(rt, src) == ["p", "E", True]


LEAKS = [
    "x = 1;",
    "globalThis.y = 2;",
    "this.z = 3;",
    "var self = (function () { return this; })(); self.w = 4;",
    "Math.foo = 1; Math.max = function () { return 42; };",
    "JSON.foo = 1; JSON.parse = function () { return 'hacked'; };",
    "Array.prototype.push.foo = 1;",
    "Object.prototype.bar = 1; Object.defineProperty(Object.prototype, 'baz', {value: 1});",
    "Object.setPrototypeOf(Array.prototype, null);",
    "console.log = function () {}; console.extra = 1;",
    "sdk.log.info = function () {}; sdk.extra = 1;",
    "Symbol.iterator = 'x';",
]
CHECK = """
[typeof x, typeof y, typeof z, typeof w, typeof Math.foo, Math.max(1, 2), typeof JSON.foo,
 JSON.parse('1'), typeof Array.prototype.push.foo, typeof ({}).bar, typeof ({}).baz,
 Object.getPrototypeOf(Array.prototype) === Object.prototype, typeof console.extra,
 typeof sdk.extra, typeof Symbol.iterator]
"""
CLEAN = [
    "undefined",
    "undefined",
    "undefined",
    "undefined",
    "undefined",
    2,
    "undefined",
    1,
    "undefined",
    "undefined",
    "undefined",
    True,
    "undefined",
    "undefined",
    "symbol",
]


@pytest.mark.parametrize("writer", LEAKS)
def test_global_writes_do_not_survive(rt, writer):
    tag = time.time_ns()
    script = f"try {{ {writer} }} catch (e) {{}}\n/*{tag}*/ 0"
    for isolation in ("", "tenant-b"):
        run(rt, script, isolation=isolation)
        # the same script again, and another script, on every worker
        for _ in range(3):
            assert (
                value(rt, f"try {{ {writer} }} catch (e) {{}}\n{CHECK}", isolation=isolation)
                == CLEAN
            )
            assert value(rt, CHECK, isolation=isolation) == CLEAN
            assert value(rt, CHECK, isolation="tenant-c") == CLEAN


def test_top_level_declarations_are_fresh_each_run(rt):
    src = "var counter = (typeof counter === 'number' ? counter : 0) + 1;\nlet l = 1;\ncounter"
    assert [value(rt, src) for _ in range(4)] == [1, 1, 1, 1]
    src = "var seen = [];\nfunction main(ctx) { seen.push(ctx.input); return seen.length; }"
    assert [value(rt, src, input=i) for i in range(4)] == [1, 1, 1, 1]


def test_closures_of_main_do_not_leak(rt):
    src = (
        "function main(ctx) { var self = arguments.callee;\n"
        "  var before = self.stash; try { self.stash = 1; } catch (e) {}\n"
        "  return typeof before; }"
    )
    assert [value(rt, src) for _ in range(3)] == ["undefined"] * 3


def test_arguments_callee_of_top_level_reaches_nothing(rt):
    src = """
    var c = arguments.callee, names = [];
    try { c.leak = 1; } catch (e) {}
    [typeof c, typeof c.leak, Object.isFrozen(c)]
    """
    got = value(rt, src)
    assert got[1] == "undefined"
    got = value(rt, "function main() { return [typeof arguments.callee.caller]; }")
    assert got in (["undefined"], ["object"], ["function"])
    # whatever the caller is, it cannot generate code or reach the host
    src = """function main() {
      var c = arguments.callee.caller;
      if (!c) { return 'none'; }
      try { return String(c.constructor('return 1')()); } catch (e) { return e.name; }
    }"""
    assert value(rt, src) in ("none", "EvalError", "TypeError")


def test_pending_promises_do_not_leak_between_runs(rt):
    src = """
    var log = [];
    var p = new Promise(function (resolve) { log.push('executor'); });
    p.then(function () { console.log('LEAKED'); });
    Promise.resolve().then(function () { console.log('job ran in its own run'); });
    1
    """
    first = run(rt, src)
    assert first.status == "completed"
    assert [e["message"] for e in first.console] == ["job ran in its own run"]
    for _ in range(3):
        again = run(rt, "Promise.resolve(2).then(function (v) { console.log('v' + v); }); 0")
        assert [e["message"] for e in again.console] == ["v2"]


def test_jobs_queued_by_a_failed_run_stay_in_that_run(rt):
    src = "Promise.resolve().then(function () { console.log('queued'); });\nthrow new Error('x');"
    r = run(rt, src)
    assert r.status == "failed"
    assert [e["message"] for e in r.console] == ["queued"]
    assert value(rt, "Promise.resolve(1); 5") == 5
    assert run(rt, "5").console == []


def test_never_settling_main_fails(rt):
    r = run(rt, "async function main() { await new Promise(function () {}); }")
    assert r.status == "failed"
    assert "never settled" in r.error["message"]


def test_no_python_object_reaches_javascript(rt):
    def broker(name, args):
        return {"echo": args}

    src = """
    var probes = [
      typeof sdk.kv.get.__class__, typeof sdk.kv.get.__dict__, typeof sdk.kv.get.__globals__,
      typeof sdk.kv.get.__call__, typeof console.log.__class__, typeof sdk.__class__,
      typeof sdk.kv.get('a').__class__, typeof ctx.input.__class__, typeof ctx.__dict__
    ];
    var escaped;
    try { escaped = typeof constructor.constructor('return this')(); }
    catch (e) { escaped = e.name; }
    [probes, escaped]
    """
    src = "function main(ctx) {\n" + src.replace("\n    [probes", "\n    return [probes") + "}"
    got = value(rt, src, broker=broker, capabilities=["kv.get"], input={"a": 1})
    assert got == [["undefined"] * 9, "EvalError"]


WALK = r"""
function main(ctx) {
  var LEGACY = {__proto__: null, '__defineGetter__': 1, '__defineSetter__': 1,
    '__lookupGetter__': 1, '__lookupSetter__': 1};
  LEGACY['__proto__'] = 1;
  LEGACY.copyWithin = 1;  // standard, though it has "py" in it
  var PY = /^__|__$|^(gi_|f_|co_|tb_|func_|im_)|py|builtins|globals|import/i;
  var TAGS = {'[object Object]': 1, '[object Function]': 1, '[object Array]': 1,
    '[object Error]': 1, '[object Date]': 1, '[object RegExp]': 1, '[object String]': 1,
    '[object Number]': 1, '[object Boolean]': 1, '[object Math]': 1, '[object JSON]': 1,
    '[object Symbol]': 1, '[object Arguments]': 1, '[object Promise]': 1, '[object Map]': 1,
    '[object Set]': 1, '[object WeakMap]': 1, '[object WeakSet]': 1, '[object Reflect]': 1,
    '[object global]': 1, '[object ArrayBuffer]': 1, '[object DataView]': 1,
    '[object Uint8Array]': 1, '[object Int8Array]': 1, '[object Uint8ClampedArray]': 1,
    '[object Int16Array]': 1, '[object Uint16Array]': 1, '[object Int32Array]': 1,
    '[object Uint32Array]': 1, '[object Float32Array]': 1, '[object Float64Array]': 1,
    '[object Generator]': 1, '[object Iterator]': 1, '[object Array Iterator]': 1,
    '[object Map Iterator]': 1, '[object Set Iterator]': 1, '[object String Iterator]': 1,
    '[object Proxy]': 1, '[object Thread]': 1, '[object Pointer]': 1, '[object Buffer]': 1,
    '[object AsyncFunction]': 1, '[object GeneratorFunction]': 1, '[object Window]': 1,
    '[object Object Iterator]': 1, '[object Undefined]': 1, '[object DOMException]': 1,
    '[object RegExp String Iterator]': 1, '[object AggregateError]': 1,
    '[object Intl]': 1, '[object Intl.NumberFormat]': 1, '[object Intl.DateTimeFormat]': 1,
    '[object Intl.PluralRules]': 1, '[object Intl.RelativeTimeFormat]': 1,
    '[object Intl.Collator]': 1};
  var seen = [], queue = [[globalThis, 'globalThis'], [sdk, 'sdk'], [console, 'console'],
    [ctx, 'ctx'], [arguments, 'arguments'], [main, 'main'], [sdk.kv.get('k'), 'reply']];
  var bad = [], count = 0;
  while (queue.length && count < 20000) {
    var item = queue.shift(), obj = item[0], path = item[1];
    if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) continue;
    if (seen.indexOf(obj) !== -1) continue;
    seen.push(obj); count++;
    var tag = Object.prototype.toString.call(obj);
    if (!TAGS[tag]) bad.push(path + ' tag ' + tag);
    var names;
    try { names = Object.getOwnPropertyNames(obj); }
    catch (e) { bad.push(path + ' names'); continue; }
    for (var i = 0; i < names.length; i++) {
      if (PY.test(names[i]) && !LEGACY[names[i]]) bad.push(path + '.' + names[i]);
      var d = Object.getOwnPropertyDescriptor(obj, names[i]);
      if (!d) continue;
      if ('value' in d) queue.push([d.value, path + '.' + names[i]]);
      else { queue.push([d.get, path + '.' + names[i] + '<get>']);
             queue.push([d.set, path + '.' + names[i] + '<set>']); }
    }
    queue.push([Object.getPrototypeOf(obj), path + '.<proto>']);
  }
  return {bad: bad, count: count};
}
"""


def test_every_reachable_object_is_plain_javascript(rt):
    got = value(
        rt,
        WALK,
        broker=lambda name, args: {"x": [1]},
        capabilities=["kv.get", "kv.set", "events.publish", "host.orders.find"],
        input={"a": [1, {"b": 2}]},
        context={"tenant": {"id": "t"}},
    )
    assert got["count"] > 100
    assert got["bad"] == []


# -- one run cannot change what another run of the same tenant sees ---------------------------
# A worker keeps one context per tenant for many runs (of many scripts): everything a run can
# reach that outlives it must be frozen, including objects reached only by calling built-ins
# (an iterator's prototype) or through syntax (a generator's). tests/sandbox_explorer.js walks
# every such route; these tests run it against a real worker.

EXPLORE_LIMITS = Limits(timeout=120.0, memory_mb=512, output_bytes=64 * 1_048_576)


def explorer_runner(runtime, isolation="tenant-a"):
    def run_explorer(source, input):  # noqa: A002
        r = runtime.run(source, input, limits=EXPLORE_LIMITS, isolation=isolation)
        assert r.status == "completed", r.error
        return r.value

    return run_explorer


@pytest.mark.slow
def test_no_run_can_mark_an_object_the_next_run_reaches():
    from sandbox_explorer import explore

    with Runtime(workers=1, spare=0) as runtime:
        run_explorer = explorer_runner(runtime)
        (pid,) = runtime.pool.pids()
        marked = explore(run_explorer, "mark")
        found = explore(run_explorer, "check")
        assert runtime.pool.pids() == [pid], "both runs must use the same worker and context"
    # the walk is thorough (and not vacuous): it calls every reachable function and marks
    # the fresh objects that come back
    assert marked["functions"] > 400 and marked["called"] > 30_000, marked
    assert marked["hoarded"] > 10_000, marked  # fresh objects took the hoard: the marks work
    assert found["marked"] == [], (
        f"{len(found['marked'])} objects kept a mark from the previous run; if they are "
        "reachable only by calls, run ./dev intrinsics:\n" + "\n".join(found["marked"][:20])
    )


POISON = """
function main() {
  var poison = function () { return {done: true}; };
  var targets = [Object.getPrototypeOf([].values()), Object.getPrototypeOf(''[Symbol.iterator]()),
    Object.getPrototypeOf(new Map().entries()), Object.getPrototypeOf(new Set().values()),
    Object.prototype.toString, Array.prototype.toString];
  // compiled generators get their prototypes from the script's own helpers, made anew in every
  // run: poisoned too, though only the next run's behaviour can tell whether that leaked
  var ownThisRun = [Object.getPrototypeOf(function* () {}.prototype),
    Object.getPrototypeOf(function* () {})];
  var changed = 0;
  targets.concat(ownThisRun).forEach(function (t, i) {
    try { t.next = poison; } catch (e) {}
    try { Object.defineProperty(t, 'then', {value: poison}); } catch (e) {}
    try { Object.setPrototypeOf(t, {next: poison}); } catch (e) {}
    if (i < targets.length && (t.next === poison || t.then === poison)) {
      changed++;
    }
  });
  return changed;
}
"""
BEHAVIOUR = """
async function later(x) { await null; return x * 2; }
function* count() { yield 1; yield 2; }
async function main() {
  var out = [];
  out.push(new Map([['k', 1]]).size, Array.from(new Set([1, 2, 3])), [...'ab']);
  out.push(Array.from(count()));
  var seen = [];
  for (var [k, v] of new Map([['a', 1]])) seen.push(k + v);
  for (var c of 'xy') seen.push(c);
  out.push(seen, await later(21), await Promise.all([later(1), 2]));
  var {a, ...rest} = {a: 1, b: 2};
  out.push(rest, Object.entries({z: 1}), [1, [2]].flat(), String([1, 2]));
  out.push(Object.prototype.toString.call([]));
  return out;
}
"""
BEHAVIOUR_RESULT = [
    1,
    [1, 2, 3],
    ["a", "b"],
    [1, 2],
    ["a1", "x", "y"],
    42,
    [2, 2],
    {"b": 2},
    [["z", 1]],
    [1, 2],
    "1,2",
    "[object Array]",
]


def test_built_ins_behave_after_a_run_tried_to_poison_them():
    with Runtime(workers=1, spare=0) as runtime:
        assert value(runtime, BEHAVIOUR, isolation="t") == BEHAVIOUR_RESULT
        assert value(runtime, POISON, isolation="t") == 0
        assert value(runtime, BEHAVIOUR, isolation="t") == BEHAVIOUR_RESULT


# The built-ins core-js adds are frozen like the others: a run that tries to replace, delete or
# mark them changes nothing for the next run of the same tenant.
POISON_NEW = """
function main() {
  var poison = function () { return 'poisoned'; };
  var targets = [[Array.prototype, 'at'], [Array.prototype, 'findLast'], [Object, 'groupBy'],
    [Map, 'groupBy'], [globalThis, 'structuredClone'], [Promise, 'any'], [Promise, 'allSettled'],
    [Promise.prototype, 'then'], [Promise.prototype, 'finally'], [String.prototype, 'replaceAll'],
    [globalThis, 'queueMicrotask'], [globalThis, 'AggregateError'], [Symbol, 'asyncIterator'],
    [RegExp.prototype, Symbol.replace], [Map.prototype, 'get'], [WeakMap.prototype, 'set'],
    [Object.getPrototypeOf(new Map().entries()), 'next'], [globalThis, 'DOMException']];
  var changed = [];
  targets.forEach(function (t) {
    var obj = t[0], key = t[1], before = obj[key];
    try { obj[key] = poison; } catch (e) {}
    try { Object.defineProperty(obj, key, {value: poison}); } catch (e) {}
    try { delete obj[key]; } catch (e) {}
    if (obj[key] !== before) { changed.push(String(key)); }
  });
  [Array.prototype.at, Object.groupBy, structuredClone, Promise.any, AggregateError.prototype,
   Promise.prototype, Map.prototype].forEach(function (f, i) {
    try { f.mark = 'marked'; } catch (e) {}
    try { Object.setPrototypeOf(f, {mark: 'marked'}); } catch (e) {}
    if (f.mark === 'marked') { changed.push('mark ' + i); }
  });
  return changed;
}
"""
BEHAVIOUR_NEW = """
async function main() {
  var g = Object.groupBy([1, 2, 3], function (x) { return x % 2 ? 'odd' : 'even'; });
  var copy = structuredClone({a: [1, new Map([[1, 2]])]});
  var any = await Promise.any([Promise.reject(1), 2]);
  var marks = [Array.prototype.at.mark, Object.groupBy.mark, structuredClone.mark, Promise.any.mark,
    AggregateError.prototype.mark, Promise.prototype.mark, Map.prototype.mark];
  return [[1, 2, 3].at(-1), [1, 2, 3].findLast(function (x) { return x < 3; }), g,
    Map.groupBy([1, 2], function (x) { return x; }).size, copy.a[1].get(1), any,
    'a.b'.replaceAll('.', '-'), 'x'.replaceAll(/x/g, 'y'), typeof queueMicrotask,
    new AggregateError([], 'm').message, marks.filter(function (m) { return m !== undefined; })];
}
"""
BEHAVIOUR_NEW_RESULT = [
    3,
    2,
    {"odd": [1, 3], "even": [2]},
    2,
    2,
    2,
    "a-b",
    "y",
    "function",
    "m",
    [],
]


def test_new_built_ins_behave_after_a_run_tried_to_poison_them():
    with Runtime(workers=1, spare=0) as runtime:
        assert value(runtime, BEHAVIOUR_NEW, isolation="t") == BEHAVIOUR_NEW_RESULT
        assert value(runtime, POISON_NEW, isolation="t") == []
        assert value(runtime, BEHAVIOUR_NEW, isolation="t") == BEHAVIOUR_NEW_RESULT
        assert value(runtime, BEHAVIOUR, isolation="t") == BEHAVIOUR_RESULT


# core-js keeps the state of each of its objects (a promise's reactions, a map's entries) in a
# box under a symbol (polyfills.js): a run can see the box but not open it, nor make an object
# of its own pass for another, nor reach core-js's shared store.
CORE_JS_INTERNALS = """
function main() {
  var out = [typeof globalThis['__core-js_shared__'], typeof setImmediate];
  var m = new Map([[1, 'one']]);
  var key = Object.getOwnPropertySymbols(m)[0];
  var box = m[key];
  out.push(Object.getOwnPropertySymbols(m).length, typeof box, box() === undefined);
  var forged = [{}, {}];
  Object.defineProperty(forged[0], key, {value: box});
  Object.defineProperty(forged[1], key, {value: function () { return {facade: forged[1]}; }});
  forged.forEach(function (f) {
    try { out.push(Map.prototype.get.call(f, 1)); } catch (e) { out.push(e.name); }
  });
  var p = Promise.resolve(1);
  [m, p, new Set([1]), [].values(), new WeakMap()].forEach(function (o) {
    var b = o[Object.getOwnPropertySymbols(o)[0]];
    try { b.call = null; b.apply = null; Object.setPrototypeOf(b, null); b.mark = 1; } catch (e) {}
  });
  try { Object.getPrototypeOf(box).mark = 1; } catch (e) {}
  out.push(Object.getOwnPropertyNames(m), Object.getOwnPropertyNames(p), Object.keys(m));
  return out;
}
"""


def test_core_js_internal_state_is_out_of_reach():
    with Runtime(workers=1, spare=0) as runtime:
        got = value(runtime, CORE_JS_INTERNALS, isolation="t")
        assert got == ["undefined", "undefined", 1, "function", True, "TypeError", "TypeError"] + [
            [],
            [],
            [],
        ]
        assert value(runtime, BEHAVIOUR_NEW, isolation="t") == BEHAVIOUR_NEW_RESULT
        assert value(runtime, BEHAVIOUR, isolation="t") == BEHAVIOUR_RESULT


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
def test_runs_that_hoard_memory_on_shared_objects_leave_nothing_behind():
    from sandbox_explorer import explore

    limits = Limits(timeout=60.0, memory_mb=64, output_bytes=8 * 1_048_576)
    with Runtime(workers=1, spare=0) as runtime:

        def run_hoarder(source, input):  # noqa: A002
            r = runtime.run(source, input, limits=limits, isolation="t")
            assert r.status == "completed", r.error
            return r.value

        (pid,) = runtime.pool.pids()
        explore(run_hoarder, "check", to=0)  # compiled and warm
        before = _rss(pid)
        for _ in range(20):
            # 40 MB hung on every object reached without calls, prototypes included (over
            # half the limit: the worker then gives freed memory back, so RSS counts what lives)
            assert explore(run_hoarder, "mark", to=0, hoard=40, hoardOnly=True)["hoarded"] > 0
        assert runtime.pool.pids() == [pid]
        grown = _rss(pid) - before
    assert grown < 64 * 1_048_576, f"the worker grew by {grown / 1_048_576:.0f} MB"
