"""Limits and hostile scripts: every run ends with a clear status and the next run succeeds."""

from __future__ import annotations

import threading
import time

import pytest

from flask_jsscripts.runtime import Limits, Runtime

ENDS = {"failed", "memory", "crashed"}


def assert_next_run_ok(rt):
    r = rt.run("function main(ctx) { return ctx.input * 2 }", input=21, limits=Limits(timeout=10))
    assert r.status == "completed", r.error
    assert r.value == 42


def test_runaway_loop_times_out_on_time_and_worker_is_replaced(rt):
    before = rt.stats()["replacements"]
    started = time.monotonic()
    r = rt.run("while (true) {}", limits=Limits(timeout=0.5))
    elapsed = time.monotonic() - started
    assert r.status == "timeout"
    assert r.error["name"] == "TimeoutError"
    assert elapsed < 0.5 + 0.3
    assert rt.stats()["replacements"] == before + 1
    assert_next_run_ok(rt)


def test_timeout_keeps_console_streamed_before_the_kill(rt):
    r = rt.run(
        "console.log('before'); sdk.log.info('structured'); while (true) {}",
        limits=Limits(timeout=0.5),
    )
    assert r.status == "timeout"
    assert [e["message"] for e in r.console] == ["before"]
    assert [e["message"] for e in r.logs] == ["structured"]
    assert_next_run_ok(rt)


def test_catastrophic_regex_times_out(rt):
    r = rt.run("/(a+)+$/.test('a'.repeat(30) + 'b')", limits=Limits(timeout=0.5))
    assert r.status == "timeout"
    assert_next_run_ok(rt)


def test_sigkill_mid_run_is_crashed_and_recovers():
    with Runtime(workers=1, spare=0) as rt:
        (pid,) = rt.pool.pids()

        def killer():
            time.sleep(0.3)
            import os
            import signal

            os.kill(pid, signal.SIGKILL)

        t = threading.Thread(target=killer)
        t.start()
        r = rt.run("while (true) {}", limits=Limits(timeout=10))
        t.join()
        assert r.status == "crashed"
        assert "signal 9" in r.error["message"]
        assert_next_run_ok(rt)
        assert pid not in rt.pool.pids()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("throw null", "null"),
        ("throw undefined", "undefined"),
        ("throw Symbol('s')", "Symbol(s)"),
        ("function main() { throw 42 }", "42"),
        ("throw {toString: function () { throw new Error('x') }}", ""),
        (
            "var e = new Error('m'); Object.defineProperty(e, 'message', "
            "{get: function () { throw null }}); throw e",
            "",
        ),
    ],
)
def test_odd_thrown_values_fail_cleanly(rt, source, message):
    r = rt.run(source, limits=Limits(timeout=5))
    assert r.status == "failed", r.error
    assert message in r.error["message"]
    assert_next_run_ok(rt)


DEEP = {
    "plain recursion": "function f(n) { return 1 + f(n + 1); } f(0)",
    "toString": "var o = {toString: function () { return 'x' + String(o); }}; String(o)",
    "getter": "var o = {get a() { return this.a + 1; }}; o.a",
    "sort comparator": "function g() { [2, 1, 3].sort(function (a, b) { g(); return a - b; }); }"
    " g()",
    "JSON.parse nesting": "JSON.parse(new Array(200001).join('[') + new Array(200001).join(']'))",
    "nested literal": "var a = " + "[" * 100_000 + "]" * 100_000 + ";\na.length",
    "regexp groups": "new RegExp(new Array(100001).join('(') + 'a' + new Array(100001).join(')'))"
    ".test('a')",
    "JSON.stringify nesting": "var a = []; for (var i = 0; i < 1e5; i++) { a = [a]; }"
    " JSON.stringify(a)",
    "toJSON recursion": "var o = {toJSON: function () { return [o]; }}; JSON.stringify(o)",
    "Proxy trap recursion": "var p = new Proxy({}, {get: function (t, k) { return p[k]; }}); p.x",
}


@pytest.mark.parametrize("source", DEEP.values(), ids=DEEP.keys())
def test_deep_recursion_ends_clearly(rt, source):
    r = rt.run(source, limits=Limits(timeout=10))
    assert r.status in ENDS, (r.status, r.value)
    assert r.error and r.error["message"]
    assert_next_run_ok(rt)


@pytest.mark.parametrize(
    "source",
    [
        "var s = 'x'; while (true) { s = s + s; }",
        "var a = []; while (true) { a.push([1, 2, 3, 4]); }",
        "'x'.repeat(2e8)",
    ],
    ids=["string doubling", "array push", "repeat"],
)
def test_memory_bombs(rt, source):
    r = rt.run(source, limits=Limits(timeout=20, memory_mb=64))
    assert r.status == "memory", (r.status, r.error)
    assert_next_run_ok(rt)


def test_many_small_objects_end_in_memory_or_timeout(rt):
    # Duktape runs an emergency collection on every failed allocation, so a heap full of small
    # live objects creeps towards the limit slowly (~20 s to reach 64 MB here): the timeout is
    # what ends it, and either end is a clean one.
    src = "var a = []; while (true) { a.push({k: a.length, s: 'v' + a.length}); }"
    r = rt.run(src, limits=Limits(timeout=2, memory_mb=64))
    assert r.status in {"memory", "timeout"}, (r.status, r.error)
    assert_next_run_ok(rt)


def test_memory_limit_leaves_room_for_normal_work(rt):
    src = "var a = []; for (var i = 0; i < 100000; i++) { a.push(i); } a.length"
    r = rt.run(src, limits=Limits(timeout=10, memory_mb=64))
    assert r.status == "completed"
    assert r.value == 100000


def test_output_limit(rt):
    r = rt.run("'x'.repeat(2000)", limits=Limits(timeout=5, output_bytes=1000))
    assert r.status == "output_limit"
    assert "1000" in r.error["message"]
    r = rt.run("'x'.repeat(900)", limits=Limits(timeout=5, output_bytes=1000))
    assert r.status == "completed"
    assert_next_run_ok(rt)


def test_console_flood_is_capped(rt):
    limits = Limits(timeout=30, console_entries=100)
    r = rt.run(
        "for (var i = 0; i < 100000; i++) { console.log('line ' + i); } 'done'", limits=limits
    )
    assert r.status == "completed"
    assert r.value == "done"
    assert len(r.console) == 101
    assert r.console[0]["message"] == "line 0"
    assert r.console[99]["message"] == "line 99"
    note = r.console[-1]
    assert note["level"] == "warn"
    assert "99900" in note["message"] and "dropped" in note["message"]


def test_console_bytes_cap(rt):
    limits = Limits(timeout=10, console_bytes=1000)
    r = rt.run(
        "for (var i = 0; i < 100; i++) { console.log(new Array(101).join('y')); } 1", limits=limits
    )
    assert r.status == "completed"
    kept = [e for e in r.console if e["message"].startswith("y")]
    assert sum(len(e["message"]) for e in kept) <= 1000
    assert "dropped" in r.console[-1]["message"]


def test_console_levels_and_formatting(rt):
    src = """
    var cyc = {}; cyc.c = cyc;
    console.log('a', 1, {b: 2}, [3], null, undefined);
    console.info('i'); console.warn('w'); console.error(new TypeError('t')); console.debug('d');
    console.log(cyc, Symbol('s'));
    sdk.log.warn('structured', {k: 1});
    1
    """
    r = rt.run(src, limits=Limits(timeout=5))
    assert r.status == "completed"
    assert [(e["level"], e["message"]) for e in r.console] == [
        ("info", 'a 1 {"b":2} [3] null undefined'),
        ("info", "i"),
        ("warn", "w"),
        ("error", "TypeError: t"),
        ("debug", "d"),
        ("info", "[object Object] Symbol(s)"),
    ]
    assert r.logs == [
        {"level": "warn", "message": "structured", "meta": {"k": 1}, "ts": r.logs[0]["ts"]}
    ]


def test_host_call_limit_even_if_caught(rt):
    src = """
    var ok = 0, caught = 0;
    for (var i = 0; i < 50; i++) {
      try { sdk.kv.get('k'); ok++; } catch (e) { caught++; }
    }
    ({ok: ok, caught: caught})
    """
    calls = []

    def broker(name, args):
        calls.append(name)
        return 1

    r = rt.run(src, broker=broker, capabilities=["kv.get"], limits=Limits(timeout=5, host_calls=10))
    assert r.status == "host_call_limit"
    assert len(calls) == 10
    assert r.value is None
    assert_next_run_ok(rt)


def test_limits_validation():
    with pytest.raises(ValueError):
        Limits(timeout=0).validate()
    with pytest.raises(ValueError):
        Limits(memory_mb=1).validate()
    assert Limits().replace(timeout=2).timeout == 2


def test_sdk_log_meta_counts_towards_the_byte_cap(rt):
    # a big object logged many times must not pile up in the host process
    src = (
        "var big = {s: 'y'.repeat(3e6)}; for (var i = 0; i < 50; i++) { sdk.log.info('x', big); } 1"
    )
    r = rt.run(src, limits=Limits(timeout=20))
    assert r.status == "completed"
    assert r.logs == []
    assert "50 console entries dropped" in r.console[-1]["message"]
    r = rt.run(
        "sdk.log.info('x', {s: 'y'.repeat(400)}); sdk.log.info('x', {s: 'y'.repeat(700)}); 1",
        limits=Limits(timeout=5, console_bytes=1000),
    )
    assert len(r.logs) == 1 and len(r.logs[0]["meta"]["s"]) == 400


@pytest.mark.parametrize(
    "source",
    [
        "throw new Error('x'.repeat(20e6))",
        "var e = new Error('m'); e.name = 'N'.repeat(20e6); throw e",
        "throw 'x'.repeat(20e6)",
    ],
)
def test_huge_error_messages_are_clipped(rt, source):
    r = rt.run(source, limits=Limits(timeout=20))
    assert r.status == "failed", r.error
    assert len(r.error["message"]) < 20_000
    assert len(r.error["name"]) < 1000
    assert len(r.error["stack"]) < 40_000
    assert_next_run_ok(rt)


def test_console_flood_with_a_huge_cap_still_times_out(rt):
    started = time.monotonic()
    r = rt.run(
        "while (true) { console.log('x'); }",
        limits=Limits(timeout=0.5, console_entries=1_000_000, console_bytes=60_000_000),
    )
    assert r.status == "timeout"
    assert time.monotonic() - started < 0.8
    assert len(r.console) > 10
    assert_next_run_ok(rt)


def test_slow_broker_counts_against_the_timeout(rt):
    def broker(name, args):
        time.sleep(0.7)
        return 1

    r = rt.run(
        "sdk.wait(); sdk.wait(); 1",
        broker=broker,
        capabilities=["wait"],
        limits=Limits(timeout=0.5),
    )
    assert r.status == "timeout"
    assert r.metrics["host_calls"] == 1
    assert_next_run_ok(rt)
