"""The capability broker: sdk.* calls from scripts, answered in the caller's thread."""

from __future__ import annotations

import threading

import pytest

from flask_jsscripts.runtime import HostCallError, Limits
from flask_jsscripts.runtime.exchange import RunState

L = Limits(timeout=10.0)
CAPS = ["kv.get", "kv.set", "events.publish", "host.orders.find"]


class Recorder:
    def __init__(self, answer=None):
        self.calls: list[tuple[str, list]] = []
        self.threads: set[int] = set()
        self.answer = answer

    def __call__(self, name, args):
        self.calls.append((name, args))
        self.threads.add(threading.get_ident())
        if callable(self.answer):
            return self.answer(name, args)
        return self.answer


def run(rt, source, broker, caps=CAPS, **kw):
    kw.setdefault("limits", L)
    return rt.run(source, broker=broker, capabilities=caps, **kw)


def test_calls_reach_the_broker_with_json_args(rt):
    broker = Recorder(answer=lambda name, args: {"got": name, "n": len(args)})
    src = """function main() {
      return [
        sdk.kv.get('k'),
        sdk.kv.set('k', {a: [1, 'é', null, true], d: new Date(0), u: undefined}, 60),
        sdk.events.publish('order.created', {id: 7}),
        sdk.host.orders.find({status: 'open'}, '\\u0000\\ud83d\\ude00'),
      ];
    }"""
    r = run(rt, src, broker)
    assert r.status == "completed", r.error
    assert broker.calls == [
        ("kv.get", ["k"]),
        ("kv.set", ["k", {"a": [1, "é", None, True], "d": "1970-01-01T00:00:00.000Z"}, 60]),
        ("events.publish", ["order.created", {"id": 7}]),
        ("host.orders.find", [{"status": "open"}, "\x00😀"]),
    ]
    assert r.value == [
        {"got": "kv.get", "n": 1},
        {"got": "kv.set", "n": 3},
        {"got": "events.publish", "n": 2},
        {"got": "host.orders.find", "n": 2},
    ]
    assert broker.threads == {threading.get_ident()}  # in the caller's thread
    assert r.metrics["host_calls"] == 4


def test_broker_values_cross_as_json(rt):
    answer = {"s": "\x00é😀", "big": 2**60, "list": [1.5, None, {"x": False}]}
    r = run(
        rt, "var v = sdk.kv.get('a'); [v, v.s.length, v.big === Math.pow(2, 60)]", Recorder(answer)
    )
    assert r.value == [answer, 4, True]


def test_host_call_error_becomes_js_error_with_code(rt):
    def broker(name, args):
        raise HostCallError("NOT_FOUND", "no such order")

    src = """
    var out;
    try { sdk.host.orders.find(1); } catch (e) {
      out = [e instanceof Error, e.code, e.message, e.name];
    }
    out
    """
    assert run(rt, src, broker).value == [True, "NOT_FOUND", "no such order", "Error"]
    r = run(rt, "function main() {\n  sdk.host.orders.find(1);\n}", broker)
    assert r.status == "failed"
    assert r.error["message"] == "no such order"
    assert r.error["code"] == "NOT_FOUND"
    assert r.error["line"] == 2


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("/srv/app/secret.py: password=hunter2"),
        KeyError("/etc/passwd"),
        ZeroDivisionError("division by zero"),
        SystemError("unknown opcode"),
    ],
)
def test_other_broker_exceptions_become_generic(rt, exc, caplog):
    def broker(name, args):
        raise exc

    src = """
    var out;
    try { sdk.kv.get('x'); } catch (e) { out = [e.code, e.message, String(e.stack)]; }
    out
    """
    r = run(rt, src, broker)
    assert r.status == "completed"
    code, message, stack = r.value
    assert code == "HOST_ERROR"
    assert message == "sdk.kv.get failed"
    for leak in ("Traceback", ".py", "secret", "hunter2", "passwd", "division", "opcode"):
        assert leak not in message and leak not in stack
    failed = run(rt, "sdk.kv.get('x')", broker)
    assert failed.status == "failed"
    text = repr(failed.error) + repr(failed.console)
    for leak in ("Traceback", ".py", "secret", "hunter2", "passwd", "opcode"):
        assert leak not in text
    # the host's log keeps the details
    assert any(rec.exc_info for rec in caplog.records)


@pytest.mark.parametrize("answer", [object(), {1, 2}, float("nan"), b"bytes", 10**400])
def test_non_json_broker_value_is_a_clean_error(rt, answer):
    src = "try { sdk.kv.get('x'); 'no error' } catch (e) { [e.code, e.message] }"
    r = run(rt, src, Recorder(answer))
    assert r.status == "completed"
    assert r.value[0] == "HOST_ERROR"
    assert "not JSON" in r.value[1]


def test_capabilities_not_listed_are_not_available(rt):
    broker = Recorder("ok")
    src = """[typeof sdk.kv.get, typeof sdk.kv.set, typeof sdk.http, typeof sdk.events,
              typeof sdk.log.info]"""
    assert run(rt, src, broker, caps=["kv.get"]).value == [
        "function",
        "undefined",
        "undefined",
        "undefined",
        "function",
    ]
    r = run(rt, "sdk.http.get('https://example.com')", broker, caps=["kv.get"])
    assert r.status == "failed" and r.error["name"] == "TypeError"
    assert broker.calls == []


def test_listed_capability_without_broker_is_not_available(rt):
    r = rt.run(
        "try { sdk.kv.get('k') } catch (e) { [e.code, e.message] }",
        capabilities=["kv.get"],
        limits=L,
    )
    assert r.value == ["NOT_AVAILABLE", "sdk.kv.get is not available here"]


def test_parent_refuses_calls_outside_the_capabilities():
    # the worker is untrusted: the parent checks the name again whatever the worker asks for
    broker = Recorder("secret")
    state = RunState(L, broker, frozenset({"kv.get"}))
    for request in (
        {"name": "kv.set", "args": []},
        {"name": "kv.get"},
        "junk",
        {"name": 1, "args": []},
    ):
        reply = state.host_reply(request)
        assert b'"error"' in reply and b"secret" not in reply
    assert b"NOT_AVAILABLE" in state.host_reply({"name": "kv.set", "args": []})
    assert broker.calls == []
    assert state.host_reply({"name": "kv.get", "args": [1]}) == b'{"value":"secret"}\n'


def test_broker_capabilities_attribute_is_the_default(rt):
    broker = Recorder(5)
    broker.capabilities = ["kv.get"]
    assert rt.run("sdk.kv.get('k') + 1", broker=broker, limits=L).value == 6


def test_args_that_are_not_json_fail_in_the_script(rt):
    broker = Recorder(1)
    src = (
        "var a = {}; a.a = a;\n"
        "try { sdk.kv.get(a); } catch (e) { [e.name, e.message.indexOf('not JSON') >= 0] }"
    )
    assert run(rt, src, broker).value == ["TypeError", True]
    assert broker.calls == []


def test_async_script_awaits_sdk_calls(rt):
    broker = Recorder(lambda name, args: args[0] * 2)
    src = (
        "async function main() {\n  const a = await sdk.kv.get(2);\n"
        "  const [b, c] = await Promise.all([sdk.kv.get(3), sdk.kv.get(4)]);\n"
        "  return a + b + c;\n}"
    )
    assert run(rt, src, broker).value == 18


def test_sdk_log_goes_to_logs_not_console(rt):
    r = run(
        rt,
        "sdk.log.info('hello', {order: 1}); sdk.log.error('bad'); console.log('c'); 0",
        Recorder(),
    )
    assert [(e["level"], e["message"], e.get("meta")) for e in r.logs] == [
        ("info", "hello", {"order": 1}),
        ("error", "bad", None),
    ]
    assert [e["message"] for e in r.console] == ["c"]


def test_deeply_nested_values_are_refused_cleanly(rt):
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        rt.run("1", input=deep)

    class Deep:
        capabilities = ["deep"]

        def __call__(self, name, args):
            return deep

    res = rt.run(
        "function main() { try { sdk.deep() } catch (e) { return e.code } }", broker=Deep()
    )
    assert res.value == "HOST_ERROR"
