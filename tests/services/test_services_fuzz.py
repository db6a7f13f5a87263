"""Property-based tests of the services: whatever an admin (or a hostile client) submits,
``create_script``, ``update_script``, ``run_script`` and ``validate_script`` either succeed, and
what was stored reads back equal, or refuse with ``ValidationError`` / ``RunRefused`` /
``NotFound`` and a non-empty message. Never any other exception (no raw DB errors, no 500s).

Runs on SQLite with the full example counts and on PostgreSQL with fewer (PostgreSQL is where
NUL characters, lone surrogates, NaN in JSON and over-long values blow up as raw DB errors).

The properties are defined inside the tests (``_check(...)`` runs them) so that the function
scoped ``app_factory`` fixture builds one app per backend and test, not one per example; every
example works in a tenant of its own, so examples cannot interfere through unique names.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from flask_jsscripts import tenancy
from flask_jsscripts.models import (
    EXECUTION_TRIGGERS,
    SCRIPT_STATUSES,
    SCRIPT_TYPES,
    Execution,
    Script,
)
from flask_jsscripts.services import executions, scripts
from flask_jsscripts.services.errors import NotFound, RunRefused, ValidationError
from flask_jsscripts.services.validation import (
    LIMIT_KEYS,
    ScriptInput,
    Validated,
    clean_limits,
    validate_script,
)

ALLOWED = (ValidationError, RunRefused, NotFound)
EXAMPLES = {"sqlite": 1.0, "postgresql": 0.2}  # share of max_examples per backend

# --- strategies ------------------------------------------------------------------------------

ODD_CHARS = [
    "\x00",
    "\ud800",
    "\udfff",
    "\udbff\udfff",
    "😀",
    "👩‍💻",
    "é",
    "ё",
    "ў",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\uffff",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\x7f",
    "\\",
    "'",
    '"',
    "`",
    "%",
    "_",
    "{",
    "}",
    "/",
    "*",
    ".",
    "-",
    "$",
    "0",
]
odd_text = st.lists(
    st.one_of(st.sampled_from(ODD_CHARS), st.characters(codec=None)), max_size=40
).map("".join)
any_text = st.one_of(st.text(max_size=60), odd_text)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    any_text,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**53 + 1, -(2**63), 10**30, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
)
json_values = st.recursive(
    json_scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(any_text, kids, max_size=4)),
    max_leaves=12,
)
json_inputs = st.one_of(
    json_values,
    st.integers(min_value=1, max_value=3000).map(_nested),  # deep nesting
    st.sampled_from([{"s": "x" * 2_000_000}, {"x": {1, 2}}, {"b": b"bytes"}]),  # big / not JSON
)

CHEAP_SOURCES = [
    "function main(ctx) { return 1 }",
    "function main(ctx) { return ctx.input }",
    "1 + 1",
    "var x = 'é😀'; x",
    "function main() { throw new Error('boom') }",
    "function main() { return {status: 201, body: {ok: true}} }",
    "while (true) {}",  # never runs here: only compiled
    "const f = (x) => x * 2; f(2)",  # one modern source (transpiled, cached after the first)
    "// only a comment",
    "   ",
    "",
]
JS_TOKENS = [
    "function",
    "main",
    "(",
    ")",
    "{",
    "}",
    "return",
    "var",
    "x",
    "=",
    ";",
    "+",
    "1",
    "'s'",
    "if",
    "else",
    "ctx",
    ".",
    "input",
    "[",
    "]",
    ",",
    "=>",
    "new",
    "Error",
    "throw",
    "/*",
    "*/",
    "//",
    "\n",
    "`",
    "${",
    "?.",
    "??",
    "class",
    "let",
    "sdk",
    "kv",
    "null",
    "0x1F",
    "1e999",
]
sources = st.one_of(
    st.sampled_from(CHEAP_SOURCES),
    json_values.map(lambda v: "function main(ctx) { return " + json.dumps(v) + " }"),
    st.lists(st.sampled_from(JS_TOKENS), max_size=25).map(" ".join),
    any_text,
    st.integers(min_value=99_990, max_value=100_010).map(lambda n: "//" + "x" * (n - 4) + "\n1"),
    junk,
)
names = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,30}", fullmatch=True),
    any_text,
    st.sampled_from(["x" * 100, "x" * 101, " padded ", "a\x00b", "a\ud800", "😀"]),
    junk,
)
crons = st.one_of(
    st.sampled_from(
        [
            "*/5 * * * *",
            "0 9 * * 1-5",
            "0 0 29 2 *",
            "0 0 31 2 *",
            "@daily",
            "* * * *",
            "60 * * * *",
            "0 0 * * 8",
            " 1  2 3 4 5 ",
            "L * * * *",
        ]
    ),
    st.lists(
        st.sampled_from(
            [
                "*",
                "*/7",
                "0",
                "59",
                "1-3",
                "1,2,3",
                "MON",
                "JAN",
                "L",
                "?",
                "#",
                "99",
                "-1",
                "1/0",
                "a",
                "\x00",
                "😀",
                ",".join(map(str, range(60))),
            ]
        ),
        min_size=5,
        max_size=6,
    ).map(" ".join),
    any_text,
    junk,
)
timezones = st.one_of(
    st.sampled_from(
        [
            "UTC",
            "Europe/Moscow",
            "Asia/Tashkent",
            "America/New_York",
            "America",
            "Etc/GMT+14",
            "",
            "  ",
            "../etc/passwd",
            "/etc/passwd",
            "a" * 300,
            "utc",
            "Europe/../UTC",
            "UTC\x00",
            "posixrules",
        ]
    ),
    any_text,
    junk,
)
http_paths = st.one_of(
    st.from_regex(r"(/([A-Za-z0-9_.~-]{1,12}|\{[a-z]{1,8}\})){1,4}/?", fullmatch=True),
    st.sampled_from(["/", "", "//a//b//", "/a/{x}/{x}", "/a b", "/" + "a" * 250, "/%2e%2e"]),
    any_text,
    junk,
)
http_methods = st.one_of(
    st.lists(
        st.sampled_from(["GET", "post", " put ", "PATCH", "DELETE", "TRACE", "", "get"]), max_size=6
    ),
    st.lists(any_text, max_size=3),
    junk,
)
event_types = st.one_of(
    st.lists(
        st.one_of(
            st.from_regex(
                r"[a-z0-9][a-z0-9_-]{0,8}(\.[a-z0-9][a-z0-9_-]{0,8}){0,3}(\.\*)?", fullmatch=True
            ),
            st.sampled_from(["*", "order.*", "Order.Created", "a..b", "a." * 120 + "b", ""]),
            any_text,
        ),
        max_size=25,
    ),
    junk,
)
limit_values = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=0, max_value=600),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), 1e308, -0.0, 0.5, 1.5, 10**400]),
    st.none(),
    st.just(""),
    junk,
    json_values,
)
limits = st.one_of(
    st.dictionaries(
        st.one_of(st.sampled_from(sorted(LIMIT_KEYS)), any_text), limit_values, max_size=6
    ),
    junk,
)
tags = st.one_of(
    st.lists(
        st.one_of(
            st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,10}", fullmatch=True), any_text, junk
        ),
        max_size=25,
    ),
    junk,
)
event_filters = st.one_of(
    st.none(),
    st.dictionaries(any_text, json_values, max_size=4),
    st.integers(min_value=500, max_value=3000).map(lambda d: {"all": _nested(d)}),
    junk,
)
long_text = st.one_of(any_text, st.sampled_from(["d" * 2000, "d" * 2001, "n" * 500, "n" * 501]))

FIELDS = {
    "name": names,
    "source": sources,
    "type": st.one_of(st.sampled_from(SCRIPT_TYPES), junk),
    "status": st.one_of(st.sampled_from(SCRIPT_STATUSES), junk),
    "description": st.one_of(long_text, junk),
    "limits": limits,
    "tags": tags,
    "cron": crons,
    "timezone": timezones,
    "http_path": http_paths,
    "http_methods": http_methods,
    "http_auth": st.one_of(st.sampled_from(["session", "token", "public", "none"]), junk),
    "event_types": event_types,
    "event_filter": event_filters,
    "note": st.one_of(long_text, junk),
}
VALID = {
    "manual": {},
    "scheduled": {"cron": "*/5 * * * *", "timezone": "UTC"},
    "http": {"http_path": "/hook/{id}", "http_methods": ["POST"]},
    "event": {"event_types": ["order.created"]},
}


@st.composite
def submissions(draw) -> dict[str, Any]:
    """A mostly valid submission with a random subset of fields replaced by anything; about one
    in four is left valid (so the round trip is exercised too)."""
    type_ = draw(st.sampled_from(SCRIPT_TYPES))
    data: dict[str, Any] = {
        "name": draw(st.from_regex(r"[A-Za-z][A-Za-z0-9 _.\-]{0,20}", fullmatch=True)),
        "source": draw(st.sampled_from(CHEAP_SOURCES[:6])),
        "type": type_,
        **VALID[type_],
    }
    fuzzed = draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=len(FIELDS)))
    if draw(st.integers(0, 3)) == 0:
        fuzzed = set()
    for name in sorted(fuzzed):
        data[name] = draw(FIELDS[name])
    return data


# --- harness ---------------------------------------------------------------------------------


class _Env:
    def __init__(self, app, db, ext):
        self.app, self.db, self.ext = app, db, ext
        self.state = app.extensions["jsscripts"]
        self.backend = db.engine.dialect.name
        self.config = app.config

    @property
    def session(self):
        return self.db.session

    @property
    def runtime(self):
        return self.state.runtime

    def examples(self, n: int) -> int:
        return max(5, int(n * EXAMPLES[self.backend]))


@pytest.fixture
def env(host_app):
    return _Env(*host_app)


def _settings(env: _Env, n: int):
    return settings(
        max_examples=env.examples(n),
        deadline=None,
        # big strings (100 KB sources, 2 MB inputs) and recursive JSON are slow to generate
        # and large on purpose; the database makes every example a few ms.
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        database=None,  # examples are cheap to find again; keep the run reproducible per seed
    )


def attempt(env: _Env, fn) -> tuple[Any, Exception | None]:
    """Call ``fn``; an allowed refusal is returned (with a message checked), anything else raises.
    The session is rolled back after a refusal, as a view or task would."""
    try:
        return fn(), None
    except ALLOWED as exc:
        assert isinstance(exc.message, str) and exc.message.strip(), repr(exc)
        assert str(exc).strip()
        if isinstance(exc, ValidationError):
            assert exc.errors and all(
                m and all(isinstance(x, str) and x for x in m) for m in exc.errors.values()
            ), exc.errors
        env.session.rollback()
        return None, exc
    except BaseException:
        env.session.rollback()
        raise


def stored(env: _Env, script_id: str) -> dict[str, Any]:
    """The script as the database has it, read through a fresh session (no identity map)."""
    with Session(env.db.engine) as s:
        script = s.get(Script, script_id)
        assert script is not None
        current = [v for v in script.versions if v.number == script.current_version]
        out = {
            "name": script.name,
            "source": script.source,
            "version_source": current[0].source if current else None,
            "type": script.type,
            "status": script.status,
            "description": script.description,
            "limits": script.limits,
            "tags": script.tags,
            "versions": sorted(v.number for v in script.versions),
        }
        if script.type == "scheduled":
            out["cron"], out["timezone"] = script.schedule.cron, script.schedule.timezone
            out["next_run_at"] = script.schedule.next_run_at
        if script.type == "http":
            (endpoint,) = script.endpoints
            out["http_path"], out["http_methods"] = endpoint.path, endpoint.methods
            out["http_auth"] = endpoint.auth_mode
        if script.type == "event":
            subs = sorted(script.subscriptions, key=lambda s: s.event_type)
            out["event_types"] = [s.event_type for s in subs]
            out["event_filters"] = [s.filter for s in subs]
        out["trigger_rows"] = (
            (script.schedule is not None),
            len(script.endpoints),
            len(script.subscriptions),
        )
        return out


def assert_round_trip(env: _Env, script_id: str, data: ScriptInput, raw: dict[str, Any]) -> None:
    """What was saved reads back equal: the (normalised) submission and the database agree."""
    row = stored(env, script_id)
    orig = ScriptInput.from_mapping(dict(raw))  # as submitted (None means "not given")
    assert row["name"] == orig.name.strip() == data.name
    assert row["source"] == row["version_source"] == data.source == orig.source
    assert row["type"] == orig.type and row["status"] == orig.status == data.status
    assert row["description"] == orig.description == data.description
    assert row["limits"] == clean_limits(orig.limits, env.config)
    assert row["tags"] == sorted({t.strip() for t in orig.tags if t.strip()})
    kinds = {"manual": (False, 0, 0), "scheduled": (True, 0, 0), "http": (False, 1, 0)}
    if data.type == "event":
        assert row["trigger_rows"][:2] == (False, 0) and row["trigger_rows"][2] >= 1
        assert row["event_types"] == data.event_types
        assert all(f == data.event_filter for f in row["event_filters"])
    else:
        assert row["trigger_rows"] == kinds[data.type]
    if data.type == "scheduled":
        assert (row["cron"], row["timezone"]) == (data.cron, data.timezone)
        assert row["cron"] == " ".join(orig.cron.split()) and row["next_run_at"] is not None
    if data.type == "http":
        assert (row["http_path"], row["http_methods"], row["http_auth"]) == (
            data.http_path,
            data.http_methods,
            data.http_auth,
        )


def _fresh_tenant() -> str:
    return f"fz-{uuid.uuid4().hex[:16]}"


# --- the properties --------------------------------------------------------------------------


@pytest.mark.parametrize("with_runtime", [True, False], ids=["compile", "no-runtime"])
def test_validate_script_never_raises_anything_else(env, with_runtime):
    if env.backend != "sqlite":
        pytest.skip("no database involved")

    @_settings(env, 150)
    @given(raw=submissions())
    def prop(raw):
        data = ScriptInput.from_mapping(dict(raw))
        runtime = env.runtime if with_runtime else None
        result, error = attempt(
            env, lambda: validate_script(data, config=env.config, runtime=runtime)
        )
        if error is None:
            assert isinstance(result, Validated) and result.data is data
            assert (result.compiled is not None) == with_runtime
            if data.type == "scheduled":
                assert len(result.next_runs) == 5

    prop()


def test_create_script_stores_what_it_accepts(env):
    @_settings(env, 150)
    @given(raw=submissions())
    def prop(raw):
        data = ScriptInput.from_mapping(dict(raw))
        with tenancy.tenant_scope(_fresh_tenant()):
            saved, error = attempt(
                env,
                lambda: scripts.create_script(
                    env.session, data, config=env.config, runtime=env.runtime, actor="fuzz"
                ),
            )
            if error is None:
                assert saved.version.number == 1 and saved.script.current_version == 1
                assert_round_trip(env, saved.script.id, data, raw)
            else:
                assert env.session.scalars(select(Script)).all() == []  # nothing half-written

    prop()


def test_update_script_stores_what_it_accepts_and_leaves_the_rest(env):
    @_settings(env, 120)
    @given(raw=submissions(), same_source=st.booleans())
    def prop(raw, same_source):
        with tenancy.tenant_scope(_fresh_tenant()):
            base = scripts.create_script(
                env.session,
                ScriptInput(
                    name="base",
                    source="function main() { return 0 }",
                    type="http",
                    http_path="/base",
                    tags=["t"],
                    limits={"timeout": 5},
                ),
                config=env.config,
                runtime=env.runtime,
            ).script
            if same_source:
                raw = {**raw, "source": "function main() { return 0 }"}
            before = stored(env, base.id)
            data = ScriptInput.from_mapping(dict(raw))
            saved, error = attempt(
                env,
                lambda: scripts.update_script(
                    env.session, base.id, data, config=env.config, runtime=env.runtime
                ),
            )
            if error is None:
                assert_round_trip(env, base.id, data, raw)
                new_version = data.source != "function main() { return 0 }"
                assert (saved.version is not None) == new_version
                assert stored(env, base.id)["versions"] == ([1, 2] if new_version else [1])
            else:
                assert stored(env, base.id) == before  # a refused update changes nothing

    prop()


def test_update_of_a_missing_script_is_not_found(env):
    @_settings(env, 40)
    @given(script_id=st.one_of(any_text, junk, st.uuids().map(str)))
    def prop(script_id):
        with tenancy.tenant_scope(_fresh_tenant()):
            data = ScriptInput(name="x", source="1")
            with pytest.raises(NotFound) as info:
                scripts.update_script(
                    env.session, script_id, data, config=env.config, runtime=env.runtime
                )
            assert info.value.message
            env.session.rollback()

    prop()


def _json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values, where only exact types and values count (1 != 1.0 != True)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_run_script_records_or_refuses(env):
    def make_echo() -> tuple[str, str]:
        tenant = _fresh_tenant()  # one per example: a leaked "running" row stays in it
        with tenancy.tenant_scope(tenant):
            echo = scripts.create_script(
                env.session,
                ScriptInput(
                    name="echo",
                    source="function main(ctx) { return ctx.input }",
                    status="active",
                    limits={"concurrency": 10},
                ),
                config=env.config,
                runtime=env.runtime,
            ).script
            return tenant, echo.id

    rc = env.state.run_context()

    @_settings(env, 120)
    @given(
        input=json_inputs,
        trigger=st.one_of(st.sampled_from(EXECUTION_TRIGGERS), any_text, junk),
        script_id=st.one_of(st.just("echo"), st.just("echo"), any_text, st.uuids().map(str), junk),
        extra=st.one_of(
            st.none(),
            st.dictionaries(st.sampled_from(["request", "event"]), json_values, max_size=2),
        ),
    )
    def prop(input, trigger, script_id, extra):
        tenant, echo_id = make_echo()
        script_id = echo_id if script_id == "echo" else script_id
        with tenancy.tenant_scope(tenant):
            execution, error = attempt(
                env,
                lambda: executions.run_script(
                    env.session, rc, script_id, trigger, input, extra_context=extra
                ),
            )
            if error is None:
                assert execution.status in ("completed", "failed", "timeout"), (
                    execution.status,
                    execution.end_reason,
                    execution.error,
                    execution.metrics,
                )
                assert execution.finished_at is not None and execution.end_reason
                with Session(env.db.engine) as s:
                    row = s.get(Execution, execution.id)
                    assert _json_equal(row.input, json.loads(json.dumps(input)))
                    assert row.status == execution.status
                    if row.status == "completed":
                        # ctx.input of an event or HTTP run is its envelope's data or body
                        seen = input
                        if trigger in ("event", "http") and isinstance(input, dict):
                            seen = input.get("data" if trigger == "event" else "body")
                        assert row.output is not None or seen is None or row.output == seen
                    else:
                        assert row.error and row.error.get("message")
            # whatever happened, no run is left behind pending or running
            left = env.session.scalars(
                select(Execution).where(Execution.status.in_(("pending", "running")))
            ).all()
            assert left == [], [(e.id, e.status) for e in left]
            env.session.rollback()

    prop()


# --- sdk.kv numbers --------------------------------------------------------------------------

KV_CODES = {"INVALID_VALUE", "NUMBER_OUT_OF_RANGE", "NOT_A_NUMBER", "VALUE_TOO_LARGE"}
kv_numbers = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 1.7976931348623157e308, 10**308, -(10**308), 10**309, 2**1024]),
)
kv_values = st.one_of(
    kv_numbers,
    st.lists(kv_numbers, max_size=3),
    st.integers(min_value=1, max_value=400).map(_nested),  # 200 levels is the limit
    json_values,
)
kv_ops = st.lists(
    st.one_of(
        st.tuples(st.just("incr"), st.sampled_from("ab"), kv_numbers),
        st.tuples(st.just("set"), st.sampled_from("ab"), kv_values),
    ),
    min_size=1,
    max_size=6,
)


def _js_equal(a: Any, b: Any) -> bool:
    """Equality as JavaScript sees JSON: numbers by their double value, bool apart."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_js_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_js_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def test_kv_stores_only_values_a_script_can_read(env):
    """Any sequence of ``sdk.kv.set`` / ``incr`` calls, with any numbers (NaN, Infinity, sums
    past the largest double, integers no double holds) and any nesting: each call returns what
    the database then holds, a value a script can read (``jsonvalues.check``), or is refused
    with a kv error code and changes nothing. Never a raw database error (PostgreSQL's json
    refuses Infinity; SQLite stored it, and the key could then not be read)."""
    from flask_jsscripts.models import KVEntry
    from flask_jsscripts.runtime import HostCallError, jsonvalues
    from flask_jsscripts.services.broker import ScriptBroker

    def stored(tenant: str) -> dict[str, Any]:
        with Session(env.db.engine) as s, tenancy.tenant_scope(tenant):
            return {row.key: row.value for row in s.scalars(select(KVEntry))}

    @_settings(env, 120)
    @given(ops=kv_ops)
    def prop(ops):
        tenant = _fresh_tenant()
        with tenancy.tenant_scope(tenant):
            script = scripts.create_script(
                env.session, ScriptInput(name="kv", source="1"), config=env.config, runtime=None
            ).script
        broker = ScriptBroker(
            engine=env.db.engine,
            config=env.config,
            exposed={},
            tenant_id=tenant,
            script_id=script.id,
            user=None,
        )
        for op, key, value in ops:
            before = stored(tenant)
            try:
                answer = broker(f"kv.{op}", [key, value])
            except HostCallError as exc:
                assert exc.code in KV_CODES, (op, value, exc.code, exc.message)
                assert stored(tenant) == before
                continue
            after = stored(tenant)
            jsonvalues.check(after[key])
            # numbers as a script sees them: SQLite's NUMERIC affinity reads a top-level 0.0
            # back as 0 and 2**64 as a double, neither of which JavaScript can tell apart
            if op == "incr":
                assert _js_equal(after[key], answer)
            else:
                assert _js_equal(after[key], json.loads(json.dumps(value)))
            assert _js_equal(broker("kv.get", [key]), after[key])

    prop()
