"""Values across the sandbox boundary, modern syntax, error positions and the compile cache.

Only JSON text crosses between Python and JavaScript. The rules, as these tests pin them:

=========================================  ===============================================
Python ``input`` (and broker return value)  what the script sees
=========================================  ===============================================
dict / list / tuple                         object / array
str (any Unicode: emoji, ``"\\u0000"``)     the same string (NUL and non-BMP intact)
int within ±2**53, float                    number
int beyond ±2**53                           the nearest double (2**53 + 1 -> 2**53, as
                                            ``JSON.parse`` rounds in V8/SpiderMonkey)
int beyond the double range                 ``ValueError`` (``run``) / clean error (broker)
True / False / None                         true / false / null
NaN, ±inf, any other object                 ``ValueError`` (``run``) / clean error (broker)
=========================================  ===============================================

=========================================  ===============================================
JavaScript result                           ``RunResult.value``
=========================================  ===============================================
object / array / nested                     dict / list
string (emoji, ``"\\u0000"``)               str, intact
lone surrogate in a string                  U+FFFD
-0                                          0
NaN, Infinity, -Infinity                    None
integer-valued number beyond 2**53          int, exactly the double (2**60 -> 2**60)
Date                                        ISO string ``"1970-01-01T00:00:00.000Z"``
invalid Date                                None
undefined, function, Symbol (top level)     None
undefined, function, Symbol (in object)     key omitted
undefined, function, Symbol (in array)      None
Map, Set                                    {} (as ``JSON.stringify`` does)
object with ``toJSON``                      what ``toJSON`` returns
cyclic structure                            status ``failed``, TypeError "result is not
                                            JSON-serialisable: cyclic input"
=========================================  ===============================================
"""

from __future__ import annotations

import math
import time

import pytest

from flask_jsscripts.runtime import Limits, ScriptSyntaxError

L = Limits(timeout=10.0)


def value(rt, source, input=None):  # noqa: A002
    r = rt.run(source, input=input, limits=L)
    assert r.status == "completed", r.error
    return r.value


# -- results ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "({a: 1, b: 'x', c: [1, 2, {d: null}], e: {f: {g: true}}})",
            {"a": 1, "b": "x", "c": [1, 2, {"d": None}], "e": {"f": {"g": True}}},
        ),
        ("[1, 'two', 3.5, false, null]", [1, "two", 3.5, False, None]),
        ("'h\\u00e9llo \\ud83d\\ude00 \\u4e2d'", "héllo 😀 中"),
        ("'a\\u0000b'", "a\x00b"),
        ("'\\ud800x'", "\ufffdx"),
        ("-0", 0),
        ("[-0, {z: -0}]", [0, {"z": 0}]),
        ("[NaN, Infinity, -Infinity]", [None, None, None]),
        ("NaN", None),
        ("Math.pow(2, 60)", 2**60),
        ("[Math.pow(2, 53) + 2, -Math.pow(2, 62)]", [2**53 + 2, -(2**62)]),
        ("new Date(0)", "1970-01-01T00:00:00.000Z"),
        ("({d: new Date(Date.UTC(2024, 1, 29, 12, 30))})", {"d": "2024-02-29T12:30:00.000Z"}),
        ("new Date(NaN)", None),
        ("undefined", None),
        ("({a: undefined, b: 1})", {"b": 1}),
        ("[undefined, 1]", [None, 1]),
        ("(function () { return function () {}; })()", None),
        ("({f: function () {}, g: 2})", {"g": 2}),
        ("[function () {}]", [None]),
        ("({s: Symbol('x'), t: 1})", {"t": 1}),
        ("({toJSON: function () { return 7; }})", 7),
        (
            "function main() { return {nested: [[[{deep: 'yes'}]]]}; }",
            {"nested": [[[{"deep": "yes"}]]]},
        ),
    ],
)
def test_result_values(rt, source, expected):
    got = value(rt, source)
    assert got == expected
    if expected == 0 and isinstance(got, float):
        assert math.copysign(1, got) == 1


def test_map_and_set_results_are_empty_objects(rt):
    assert value(rt, "[new Map([[1, 2]]), new Set([1])]") == [{}, {}]


def test_cyclic_result_fails_with_clear_message(rt):
    r = rt.run("var a = {}; a.self = a; a", limits=L)
    assert r.status == "failed"
    assert "not JSON-serialisable" in r.error["message"]
    assert "cyclic" in r.error["message"]
    assert rt.run("1", limits=L).value == 1


# -- input ------------------------------------------------------------------------------------
def test_input_round_trip_unicode_and_nul(rt):
    data = {"s": "\x00a😀é中", "list": [1, {"k": "\u2028"}], "t": True, "n": None}
    src = "function main(ctx) { return [ctx.input, ctx.input.s.length, ctx.input.s.charCodeAt(0)] }"
    got = value(rt, src, input=data)
    assert got == [data, 6, 0]  # 😀 is two UTF-16 code units


def test_input_large_ints_round_like_javascript(rt):
    src = (
        "function main(ctx) { return [ctx.input.a === Math.pow(2, 53), ctx.input.b ==="
        " Math.pow(2, 60), ctx.input.c] }"
    )
    got = value(rt, src, input={"a": 2**53 + 1, "b": 2**60, "c": 2**53})
    assert got == [True, True, 2**53]


def test_input_that_is_not_json_is_refused(rt):
    for bad in (float("nan"), float("inf"), object(), {"a": {1, 2}}, 10**400):
        with pytest.raises(ValueError):
            rt.run("1", input=bad)


def test_tuple_input_becomes_array(rt):
    assert value(rt, "function main(ctx) { return Array.isArray(ctx.input) }", input=(1, 2))


def test_context_fields_reach_the_script(rt):
    r = rt.run(
        "function main(ctx) { return [ctx.tenant.id, ctx.input] }",
        input=3,
        context={"tenant": {"id": "t1"}},
        limits=L,
    )
    assert r.value == ["t1", 3]


def test_script_without_main_returns_last_expression(rt):
    assert value(rt, "var a = 2;\nvar b = a * 3;\nb + 1") == 7
    assert value(rt, "var main = function (ctx) { return 'via var' };") == "via var"


# -- modern syntax ------------------------------------------------------------------------------
MODERN = """\
class Shape {
  constructor(name) { this.name = name; }
  describe() { return `shape ${this.name}`; }
}
class Square extends Shape {
  constructor(side) { super('square'); this.side = side; }
  get area() { return this.side ** 2; }
}
const sum = (...xs) => xs.reduce((a, b) => a + b, 0);
function withDefault(a, b = 10) { return a + b; }
function main(ctx) {
  let out = [];
  const {a, b: {c}} = ctx.input;
  const [first, ...rest] = [1, 2, 3];
  for (const v of [a, c]) { out.push(v); }
  const m = new Map([['k', 1]]);
  const s = new Set([1, 1, 2]);
  const sq = new Square(3);
  return {
    out, first, rest, spread: [...rest, ...out], sum: sum(1, 2, 3), def: withDefault(1),
    map: m.get('k'), set: s.size, from: Array.from(s), inc: [1, 2].includes(2),
    entries: Object.entries({x: 1}), desc: sq.describe(), area: sq.area,
    obj: {...{p: 1}, q: 2},
  };
}
"""


def test_modern_syntax(rt):
    got = value(rt, MODERN, input={"a": 1, "b": {"c": 2}})
    assert got == {
        "out": [1, 2],
        "first": 1,
        "rest": [2, 3],
        "spread": [2, 3, 1, 2],
        "sum": 6,
        "def": 11,
        "map": 1,
        "set": 2,
        "from": [1, 2],
        "inc": True,
        "entries": [["x", 1]],
        "desc": "shape square",
        "area": 9,
        "obj": {"p": 1, "q": 2},
    }


def test_async_main(rt):
    src = """\
async function twice(x) { return x * 2; }
async function main(ctx) {
  const a = await twice(ctx.input);
  const b = await Promise.all([twice(1), Promise.resolve(5)]);
  return [a, b];
}
"""
    assert value(rt, src, input=4) == [8, [2, 5]]


def test_async_rejection_is_failed(rt):
    src = "async function main() {\n  await null;\n  throw new TypeError('nope');\n}\n"
    r = rt.run(src, limits=L)
    assert r.status == "failed"
    assert r.error["name"] == "TypeError"
    assert r.error["message"] == "nope"


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("var a = 1;\nvar b = (;\n", 2, 10),  # ES5 source
        ("const a = 1;\nconst f = () => {\n  return a +;\n};\n", 3, 13),  # modern source
        ("let x = 1;\nclass A {\n  m() { return 1 }\n}\nlet y = ) ;\n", 5, 9),
    ],
)
def test_syntax_error_position(rt, source, line, column):
    with pytest.raises(ScriptSyntaxError) as info:
        rt.compile(source)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"line {line}" in str(info.value)
    r = rt.run(source, limits=L)
    assert r.status == "failed"
    assert r.error["name"] == "SyntaxError"
    assert (r.error["line"], r.error["column"]) == (line, column)


@pytest.mark.parametrize(
    "source",
    [
        # ES5, runs as written
        "var a = 1;\n\nfunction main() {\n  return null.x;\n}\n",
        # transpiled: the error line is the author's
        "const f = (x) => {\n  const y = x * 2;\n  return y;\n};\nfunction main() {\n"
        "  f(1);\n  let u;\n  return `${u.boom}`;\n}\n",
    ],
)
def test_runtime_error_reports_author_line(rt, source):
    r = rt.run(source, limits=L)
    assert r.status == "failed"
    assert r.error["name"] == "TypeError"
    expected = 4 if source.startswith("var") else 8
    assert r.error["line"] == expected
    assert f"script:{expected}" in r.error["stack"]


def test_transpiled_output_is_cached_per_source(rt):
    source = f"const stamp = () => {time.time_ns()};\nstamp()"
    first = rt.compile(source)
    assert first.transpiled
    started = time.perf_counter()
    second = rt.compile(source)
    elapsed = time.perf_counter() - started
    assert second == first
    assert second is first
    assert elapsed < 0.05  # a dictionary look-up, no worker round trip
    es5 = rt.compile("var plain = 1;\nplain;\n")
    assert es5.code == "var plain = 1;\nplain;" and es5.compiler == rt.compiler


def test_sources_duktape_would_misread_are_compiled_too(rt):
    """Duktape loads these as they are, with another meaning than the language's."""
    swap = rt.run("var a = 1, b = 2;\n[a, b] = [b, a];\n[a, b]")
    assert (swap.status, swap.value) == ("completed", [2, 1])
    closures = rt.run(
        "var fns = [];\n"
        "for (var i = 0; i < 3; i++) { const v = i; fns.push(function () { return v }) }\n"
        "fns.map(function (f) { return f() })"
    )
    assert closures.value == [0, 1, 2]
    sloppy_let = rt.run("let [x] = [5];\nx")
    assert sloppy_let.value == 5


def test_compile_cache_hits_in_workers(rt):
    source = f"function main() {{ return {time.time_ns()}; }}"
    runs = [rt.run(source, limits=L) for _ in range(5)]
    assert all(r.status == "completed" for r in runs)
    assert runs[0].metrics["cache"] == "miss"
    assert "hit" in [r.metrics["cache"] for r in runs[1:]]
    fresh = rt.run(f"function main() {{ return {time.time_ns()} + 1; }}", limits=L)
    assert fresh.metrics["cache"] == "miss"


def test_compiled_script_can_be_run(rt):
    compiled = rt.compile(
        "const add = (a, b) => a + b;\nfunction main(ctx) { return add(...ctx.input) }"
    )
    assert rt.run(compiled, input=[2, 3], limits=L).value == 5


def test_metrics_present(rt):
    r = rt.run("1", limits=L)
    assert set(r.metrics) >= {"duration_ms", "queue_ms", "memory_bytes", "host_calls", "cache"}
    assert "phase" not in r.metrics


def test_errors_in_generators_and_async_code_name_the_authors_function_and_line(rt):
    base = (
        "function* gen() { yield 1; }\n"
        "class Order {\n"
        "  async add(x) { await null; throw new RangeError('in add'); }\n"
        "}\n"
        "function* count() { yield 1; throw new Error('in count'); }\n"
    )
    cases = {
        "return new Order().add(1);": ("in add", 3, "add"),
        "return Array.from(count());": ("in count", 5, "count"),
        "await null; throw new TypeError('in main');": ("in main", 7, "main"),
    }
    for call, (message, line, name) in cases.items():
        r = rt.run(base + "async function main(ctx) {\n  " + call + "\n}", limits=L)
        assert (r.error["message"], r.error["line"]) == (message, line), call
        assert r.error["stack"].split("\n")[1].strip() == f"at {name} (script:{line})", r.error
