"""The element cap on what a run hands to the host (``Limits.output_elements``): the result, an
sdk.log meta and an sdk call's arguments. It is counted in the parent, on the worker's bytes,
before any Python object is built; an honest worker gets an exact count, a hostile one cannot
make the parent build more than the cap."""

from __future__ import annotations

import json
import stat
import sys
import time
import tracemalloc
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flask_jsscripts.runtime import CompiledScript, Limits, Runtime, protocol

CAP = 1000
LIMITS = Limits(timeout=10, output_elements=CAP)


def _elements(value: Any) -> int:
    stack, count = [value], 0
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _array_of(n: int, item: str = "1") -> str:
    """JavaScript building an array of ``n`` items (``n + 1`` JSON elements with the array)."""
    return (
        f"(function () {{ var a = []; for (var i = 0; i < {n}; i++) a.push({item}); return a }})()"
    )


def assert_next_run_ok(rt: Runtime) -> None:
    r = rt.run("function main(ctx) { return ctx.input * 2 }", input=21, limits=LIMITS)
    assert r.status == "completed", r.error
    assert r.value == 42


# JavaScript items, and the Python value each arrives as
ITEMS = {"1": 1, "{}": {}, "'x,[{\"\\\\'": 'x,[{"\\', "[]": [], "{k: null}": {"k": None}}


@pytest.mark.parametrize("item", list(ITEMS))
def test_a_result_at_the_cap_passes_and_one_element_more_is_output_limit(rt, item):
    per_item = _elements(ITEMS[item])
    fits = (CAP - 1) // per_item  # with the array itself: at most CAP elements
    at_cap = rt.run(_array_of(fits, item), limits=LIMITS)
    assert at_cap.status == "completed", at_cap.error
    assert at_cap.value == [ITEMS[item]] * fits
    r = rt.run(_array_of(fits + 1, item), limits=LIMITS)  # past CAP
    assert r.status == "output_limit", r.error
    assert r.value is None
    assert r.error["code"] == "output_limit" and r.error["name"] == "LimitError"
    assert r.error["message"] == (
        f"the result has more than {CAP} JSON elements (the output element limit)"
    )
    assert_next_run_ok(rt)


def test_an_sdk_log_meta_over_the_cap_ends_the_run_and_keeps_earlier_console(rt):
    r = rt.run(
        f"console.log('before'); sdk.log.info('big', {_array_of(5 * CAP)});"
        " console.log('after'); 1",
        limits=LIMITS,
    )
    assert r.status == "output_limit"
    assert r.error["message"] == (
        f"an sdk.log entry has more than {CAP} JSON elements (the output element limit)"
    )
    assert [e["message"] for e in r.console] == ["before"]
    assert r.logs == []
    assert_next_run_ok(rt)


def test_sdk_call_arguments_over_the_cap_never_reach_the_broker(rt):
    calls: list[Any] = []

    def broker(name: str, args: list[Any]) -> Any:
        calls.append(name)
        return None

    r = rt.run(
        f"sdk.kv.set('k', {_array_of(5 * CAP)}); 1",
        limits=LIMITS,
        broker=broker,
        capabilities=["kv.set"],
    )
    assert r.status == "output_limit"
    assert r.error["message"] == (
        f"the arguments of an sdk call have more than {CAP} JSON elements"
        " (the output element limit)"
    )
    assert calls == []
    small = rt.run(
        f"sdk.kv.set('k', {_array_of(10)}); 1",
        limits=LIMITS,
        broker=broker,
        capabilities=["kv.set"],
    )
    assert small.status == "completed" and calls == ["kv.set"]


def test_the_red_team_output_of_empty_objects_is_refused_by_default(rt):
    # 3 MB of `{}` within a raised byte limit (one object, a million times: cheap in the
    # sandbox), which the host decoded into a million Python dicts
    limits = Limits(timeout=30, memory_mb=256, output_bytes=10 * 1_048_576)
    source = "var o = {}, a = []; for (var i = 0; i < 1000000; i++) a.push(o); a"
    r = rt.run(source, limits=limits)
    assert r.status == "output_limit", r.error
    assert "100000 JSON elements" in r.error["message"]
    assert_next_run_ok(rt)


def test_limits_validate_the_element_cap():
    with pytest.raises(ValueError, match="output_elements"):
        Limits(output_elements=0).validate()
    assert Limits().output_elements == 100_000


# -- a hostile worker: the parent must not build what it sends -----------------------------

SENDER = """
import json, os, sys
out = sys.stdout.buffer
out.write(b'{"op":"ready","pid":%d}\\n' % os.getpid())
out.flush()
for line in sys.stdin.buffer:
    frame = json.loads(line)
    if frame.get("op") != "run":
        continue
    ask = json.loads(json.loads(frame["input"]))
    items = b"[" + b",".join([ask["item"].encode()] * ask["n"]) + b"]"
    if ask["kind"] == "result":
        frame = b'{"op":"result","body":{"status":"completed","value":' + items + b'}}'
    elif ask["kind"] == "log":
        frame = b'{"op":"log","entry":{"level":"info","message":"m","ts":1,"meta":' + items + b'}}'
    else:
        frame = b'{"op":"call","req":{"name":"kv.get","args":' + items + b'}}'
    out.write(frame + b"\\n")
    out.flush()
"""


@pytest.fixture(scope="module")
def sender(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("worker") / "sender"
    path.write_text(f"#!{sys.executable}\n{SENDER}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["result", "log", "call"])
def test_a_hostile_frame_of_millions_of_elements_is_refused_unbuilt(sender, kind):
    """2 million `{}` in one 6 MB frame: decoding it would take ~150 MB of Python objects; the
    parent refuses it having allocated a few copies of its bytes at most."""
    n = 2_000_000
    with Runtime(workers=1, spare=0, python=sender, acquire_timeout=10) as rt:
        limits = Limits(timeout=30, output_bytes=1_048_576)
        tracemalloc.start()
        try:
            started = time.monotonic()
            r = rt.run(
                CompiledScript("0" * 64, "x", False),
                json.dumps({"kind": kind, "n": n, "item": "{}"}),
                limits=limits,
                broker=lambda name, args: None,
                capabilities=["kv.get"],
            )
            elapsed = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    frame_bytes = 3 * n
    assert r.status == "output_limit", (r.status, r.error)
    assert "more than 100000 JSON elements" in r.error["message"]
    assert peak < 5 * frame_bytes, f"the parent allocated {peak / 1e6:.0f} MB"
    assert elapsed < 20


# -- the count itself --------------------------------------------------------------------

KEY_CHARS = 'k"\\,[]{}'
json_values_ = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.sampled_from('ab"\\,:[]{}\n\u0436 ')),
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(
            st.text(alphabet=st.sampled_from('k"\\,[]{}'), max_size=4), inner, max_size=4
        )
    ),
    max_leaves=40,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values_, split_every=st.sampled_from([1, 2, 3, 7, 64, 1 << 16]))
@example(value=['\\"', "[]", {"{}": [[]]}], split_every=1)
@example(value='"' * 10, split_every=2)
def test_json_values_counts_exactly_what_decoding_would_build(monkeypatch, value, split_every):
    monkeypatch.setattr(protocol, "_SPLIT_EVERY", split_every)
    for ensure_ascii in (True, False):
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii)
        assert protocol.json_values(text.encode("utf-8")) == _elements(value), text
