"""Intl in the sandbox, the hostile side: bad arguments throw the error V8 throws (the
messages here were taken from Node 20) and never crash the worker, forged receivers reach
nothing, and a run cannot change Intl for the next run of the same tenant."""

from __future__ import annotations

import os

import pytest

from flask_jsscripts.runtime import Limits, Runtime

L = Limits(timeout=10.0)


def value(rt, source, **kw):
    kw.setdefault("limits", L)
    r = rt.run(source, **kw)
    assert r.status == "completed", r.error
    return r.value


# -- bad arguments: the error a browser throws, never a crash -------------------------------------
# (expression, error name, message or None), as Node 20 throws them
ERRORS = [
    (
        "new Intl.NumberFormat('en', {style: 'bogus'})",
        "RangeError",
        "Value bogus out of range for Intl.NumberFormat options property style",
    ),
    (
        "new Intl.NumberFormat('en', {style: 'currency'})",
        "TypeError",
        "Currency code is required with currency style.",
    ),
    (
        "new Intl.NumberFormat('en', {style: 'currency', currency: 'US'})",
        "RangeError",
        "Invalid currency code : US",
    ),
    (
        "new Intl.NumberFormat('en', {minimumFractionDigits: 200})",
        "RangeError",
        "minimumFractionDigits value is out of range.",
    ),
    (
        "new Intl.NumberFormat('en', {minimumFractionDigits: 3, maximumFractionDigits: 1})",
        "RangeError",
        "maximumFractionDigits value is out of range.",
    ),
    (
        "new Intl.NumberFormat('en', {maximumFractionDigits: 'abc'})",
        "RangeError",
        "maximumFractionDigits value is out of range.",
    ),
    (
        "new Intl.NumberFormat('en', {minimumIntegerDigits: 0})",
        "RangeError",
        "minimumIntegerDigits value is out of range.",
    ),
    (
        "new Intl.NumberFormat('xx-!!')",
        "RangeError",
        "Incorrect locale information provided",
    ),
    (
        "new Intl.NumberFormat('en_US')",
        "RangeError",
        "Incorrect locale information provided",
    ),
    (
        "new Intl.NumberFormat([1])",
        "TypeError",
        "Language ID should be string or object.",
    ),
    (
        "Intl.NumberFormat.prototype.format",
        "TypeError",
        None,
    ),
    (
        "Intl.NumberFormat.prototype.formatToParts.call({}, 1)",
        "TypeError",
        None,
    ),
    (
        "new Intl.NumberFormat('en', null)",
        "TypeError",
        None,
    ),
    (
        "new Intl.NumberFormat('en').format(Symbol())",
        "TypeError",
        None,
    ),
    (
        "new Intl.DateTimeFormat('en', {timeZone: 'Foo/Bar'})",
        "RangeError",
        "Invalid time zone specified: Foo/Bar",
    ),
    (
        "new Intl.DateTimeFormat('en', {timeZone: '../../etc/passwd'})",
        "RangeError",
        None,
    ),
    (
        "new Intl.DateTimeFormat('en', {timeZone: ''})",
        "RangeError",
        None,
    ),
    (
        "new Intl.DateTimeFormat('en', {dateStyle: 'full', year: 'numeric'})",
        "TypeError",
        "Can't set option year when dateStyle is used",
    ),
    (
        "new Intl.DateTimeFormat('en', {dateStyle: 'bad'})",
        "RangeError",
        "Value bad out of range for Intl.DateTimeFormat options property dateStyle",
    ),
    (
        "new Intl.DateTimeFormat('en').format(NaN)",
        "RangeError",
        "Invalid time value",
    ),
    (
        "new Intl.DateTimeFormat('en').format(9e15)",
        "RangeError",
        "Invalid time value",
    ),
    (
        "new Intl.PluralRules('en', {type: 'x'})",
        "RangeError",
        "Value x out of range for Intl.PluralRules options property type",
    ),
    (
        "Intl.PluralRules('en')",
        "TypeError",
        "Constructor Intl.PluralRules requires 'new'",
    ),
    (
        "new Intl.RelativeTimeFormat('en').format(1, 'bogus')",
        "RangeError",
        "Invalid unit argument for Intl.RelativeTimeFormat.prototype.format() 'bogus'",
    ),
    (
        "new Intl.RelativeTimeFormat('en').format(NaN, 'day')",
        "RangeError",
        "Value need to be finite number for Intl.RelativeTimeFormat.prototype.format()",
    ),
    (
        "new Intl.Collator('en', {sensitivity: 'x'})",
        "RangeError",
        None,
    ),
    (
        "(1).toLocaleString('en', {style: 'percent', maximumFractionDigits: -1})",
        "RangeError",
        None,
    ),
    (
        "Number.prototype.toLocaleString.call('1')",
        "TypeError",
        None,
    ),
    (
        "Date.prototype.toLocaleString.call({})",
        "TypeError",
        None,
    ),
    (
        "new Intl.NumberFormat('en', {get style() { throw new SyntaxError('mine'); }})",
        "SyntaxError",
        "mine",
    ),
]


@pytest.mark.parametrize(("expr", "name", "message"), ERRORS)
def test_bad_arguments_throw_what_v8_throws(rt, expr, name, message):
    src = f"try {{ {expr}; ['no error'] }} catch (e) {{ [e.name, e.message, e instanceof {name}] }}"
    got = value(rt, src)
    assert got[0] == name and got[2] is True, got
    if message is not None:
        assert got[1] == message


def test_forged_and_hostile_receivers_cannot_hurt_the_worker():
    src = """
    var nf = new Intl.NumberFormat('en'), out = [];
    var slot = Object.getOwnPropertySymbols(nf)[0];
    var forged = Object.create(Intl.NumberFormat.prototype);
    var bad = [{kind: 'NumberFormat', key: '{"locale":"en","maximumFractionDigits":1e9}'},
      {kind: 'NumberFormat', key: '[1,2'}, {kind: 'DateTimeFormat', key: '{"timeZone":"../../x"}'},
      {kind: 'Collator', key: 'null'}, {kind: 'NumberFormat', key: '{"locale":"\\ud800"}'}];
    bad.forEach(function (state) {
      var o = Object.create(Intl[state.kind].prototype);
      Object.defineProperty(o, slot, {value: state});
      try { out.push(Intl[state.kind].prototype.formatToParts ?
        Intl[state.kind].prototype.formatToParts.call(o, 1) : o.compare('a', 'b')); }
      catch (e) { out.push(e.name); }
    });
    try { forged.format(1); } catch (e) { out.push(e.name); }
    try { Object.defineProperty(nf, slot, {value: 1}); } catch (e) { out.push(e.name); }
    out.push(nf.format(1234.5));
    out
    """
    with Runtime(workers=1, spare=0) as runtime:
        (pid,) = runtime.pool.pids()
        got = value(runtime, src)
        assert runtime.pool.pids() == [pid]
    assert got == [
        "RangeError",
        "RangeError",
        "RangeError",
        "TypeError",
        "RangeError",
        "TypeError",
        "TypeError",
        "1,234.5",
    ]


def test_non_ascii_and_long_arguments_cross_safely(rt):
    src = """
    var long = new Array(5001).join('x');
    var out = ['\\ud83d\\ude00'.localeCompare('\\ud83d\\ude01'), 'Ё'.localeCompare('ё'),
      'ё'.localeCompare('е', 'ru', {sensitivity: 'base'}), long.localeCompare(long + 'y')];
    try { new Intl.NumberFormat(long); } catch (e) { out.push(e.name); }
    try { new Intl.DateTimeFormat('en', {timeZone: long}); } catch (e) { out.push(e.name); }
    out
    """
    assert value(rt, src) == [-1, 1, 0, -1, "RangeError", "RangeError"]


# -- frozen with the other built-ins: one run cannot change what the next one sees ----------------
TAMPER = """
var changed = 0, nf = Intl.NumberFormat.prototype;
var poison = function () { return function () { return 'p'; }; };
try { Object.defineProperty(nf, 'format', {get: poison}); } catch (e) {}
try { nf.formatToParts = function () { return 'p'; }; } catch (e) {}
try { nf.marked = 1; } catch (e) {}
try { Intl.NumberFormat = function () {}; } catch (e) {}
try { Intl.marked = 1; } catch (e) {}
try { Number.prototype.toLocaleString = function () { return 'p'; }; } catch (e) {}
try { Object.setPrototypeOf(nf, {format: 'p'}); } catch (e) {}
try { delete Intl.DateTimeFormat; } catch (e) {}
try { globalThis.Intl = {}; } catch (e) {}
[new Intl.NumberFormat('en').format(1234.5), typeof nf.marked,
  Object.isFrozen(nf), Object.isFrozen(Intl),
 Object.isFrozen(Intl.NumberFormat),
  Object.isFrozen(Object.getOwnPropertyDescriptor(nf, 'format').get)]
"""
CHECK = """
var nf = Intl.NumberFormat.prototype;
[new Intl.NumberFormat('en').format(1234.5), typeof nf.marked, typeof Intl.marked,
 (1234.5).toLocaleString(),
  typeof Intl.DateTimeFormat, new Intl.NumberFormat('en').formatToParts(1).length]
"""


def test_a_run_cannot_change_intl_for_the_next_run_of_the_tenant():
    with Runtime(workers=1, spare=0) as runtime:
        (pid,) = runtime.pool.pids()
        assert value(runtime, TAMPER, isolation="t") == [
            "1,234.5",
            "undefined",
            True,
            True,
            True,
            True,
        ]
        for _ in range(2):
            assert value(runtime, CHECK, isolation="t") == [
                "1,234.5",
                "undefined",
                "undefined",
                "1,234.5",
                "function",
                1,
            ]
        assert runtime.pool.pids() == [pid], "both runs must use the same worker and context"


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# Forged receivers with padded (but valid) resolutions and many distinct strings to compare:
# the worker's caches outlive runs, so they must stay small whatever scripts send them.
HOARD = """
function main(ctx) {
  var slot = Object.getOwnPropertySymbols(new Intl.NumberFormat('en'))[0];
  var pad = new Array(100001).join('x'), out = 0;
  for (var i = 0; i < 40; i++) {
    var o = Object.create(Intl.NumberFormat.prototype);
    var key = '{"locale":"en","pad' + ctx.input + '_' + i + '":"' + pad + '"}';
    Object.defineProperty(o, slot, {value: {kind: 'NumberFormat', key: key}});
    out += o.formatToParts(1).length;
  }
  var c = new Intl.Collator('en').compare;
  for (var j = 0; j < 3000; j++) { out += c('w' + ctx.input + j, 'v' + j) ; }
  return out;
}
"""


def test_what_scripts_send_cannot_grow_the_workers_caches():
    limits = Limits(timeout=30.0, memory_mb=64)
    with Runtime(workers=1, spare=0) as runtime:
        (pid,) = runtime.pool.pids()
        assert value(runtime, HOARD, input=0, limits=limits) == 40 + 3000
        before = _rss(pid)
        for n in range(1, 6):  # 5 × 40 padded keys of 100 kB: 20 MB if they were kept
            assert value(runtime, HOARD, input=n, limits=limits) == 40 + 3000
        assert runtime.pool.pids() == [pid]
        grown = _rss(pid) - before
    assert grown < 8 * 1_048_576, f"the worker grew by {grown / 1_048_576:.1f} MB"
