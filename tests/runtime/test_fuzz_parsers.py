"""Fuzz targets for every parser that takes user input (issue 7, security review).

One test per parser, each checking the parser's contract on generated input: bad input gets the
parser's own error and nothing else, accepted input satisfies the parser's invariants.

===================  =====================================  ================================
parser               code                                   test
===================  =====================================  ================================
event filter rules   services/filters.py                    test_filter_rules_fuzz
cron + time zone     services/schedules.py next_run_after   test_cron_next_run_fuzz
                     services/validation.py (the form)      test_cron_validation_fuzz
HTTP endpoint paths  services/validation.py                 test_http_path_fuzz
script import files  cli._load_document, services/transfer  test_import_file_fuzz
JSON from outside    jsonvalues.py parse                    test_json_text_fuzz
charset labels       charsets.py codec_for, decoders        test_charset_label_fuzz
web entry points     run form, script form, filter tester,  test_web_inputs_fuzz
                     endpoint bodies (deep JSON, charsets)
worker protocol      runtime/protocol.py decode             test_protocol_decode_fuzz
                     runtime/protocol.py FrameReader        test_frame_reader_fuzz
                     runtime/runtime.py, a run              test_run_hostile_worker_fuzz
                     runtime/runtime.py, a compile          test_compile_hostile_worker_fuzz
===================  =====================================  ================================

Running. By default each target runs a fixed number of derandomized examples (the same ones on
every run, so CI is reproducible) and the file takes well under a minute. For a long randomized
run set ``JSSCRIPTS_FUZZ_EXAMPLES`` to the number of examples per target, and lift the per-test
timeout::

    JSSCRIPTS_FUZZ_EXAMPLES=20000 ./dev test --timeout=0 tests/runtime/test_fuzz_parsers.py

Why hypothesis and not atheris: an atheris wheel (3.0.0, manylinux) would install here, but
atheris runs a libFuzzer loop that owns the process (``atheris.Fuzz()`` never returns), so it
cannot be a pytest test with fixtures (databases, a sandbox runtime), its findings cannot be
pinned as ``@example`` regressions, and it is a 35 MB dependency; hypothesis is already a test
dependency, shrinks a failure to a minimal input and runs the same examples in CI. What
coverage guidance would add comes here from strategies aimed at each parser's grammar
(mostly valid input with a few fields broken), not from random bytes alone.

Every bug these targets found is kept as an explicit ``@example`` next to its target.
"""

from __future__ import annotations

import base64
import codecs
import encodings.aliases
import io
import json
import os
import re
import stat
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from croniter import CroniterBadDateError, croniter
from endpoint_fixtures import add_http_script
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from web_fixtures import make_web

from flask_jsscripts import charsets, tenancy
from flask_jsscripts.cli import UsageFailure
from flask_jsscripts.cli.transfer import _load_document
from flask_jsscripts.config import DEFAULTS
from flask_jsscripts.models import Script, utcnow
from flask_jsscripts.runtime import (
    STATUSES,
    CompiledScript,
    Limits,
    Runtime,
    ScriptSyntaxError,
    jsonvalues,
)
from flask_jsscripts.runtime.protocol import FrameReader, ProtocolError, decode, encode
from flask_jsscripts.services import scripts, transfer
from flask_jsscripts.services.errors import ValidationError
from flask_jsscripts.services.filters import (
    MAX_DEPTH,
    MAX_ERRORS,
    OPERATORS,
    FilterError,
    compile_filter,
    explain,
    matches,
    validate_filter,
)
from flask_jsscripts.services.schedules import next_run_after
from flask_jsscripts.services.validation import (
    ScriptInput,
    next_cron_runs,
    normalise_http_path,
    path_shape,
    validate_script,
)

# --- settings ----------------------------------------------------------------------------------


def _long_run_examples() -> int:
    raw = os.environ.get("JSSCRIPTS_FUZZ_EXAMPLES", "").strip()
    if not raw:
        return 0
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"JSSCRIPTS_FUZZ_EXAMPLES must be a positive integer, got {raw!r}")
    return int(raw)


LONG_RUN = _long_run_examples()


def fuzz(examples: int) -> Any:
    """``examples`` derandomized examples, or JSSCRIPTS_FUZZ_EXAMPLES random ones."""
    return settings(
        max_examples=LONG_RUN or examples,
        derandomize=not LONG_RUN,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )


CONFIG = dict(DEFAULTS)  # validate_script only reads limits and sizes from the config


class _Deep(list):
    """A list nested ``depth`` deep that hypothesis reports as one line (its own pretty
    printer recurses and fails on it); repr() and everything else see a plain list."""

    depth = 0

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"_nested_list({self.depth})")


def _nested_list(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):
        value = [value]
    deep = _Deep([value])
    deep.depth = depth
    return deep


# Python values no JSON parser produces, for the "any input" contracts.
FOREIGN = [
    (1, 2),
    {1, 2},
    b"bytes",
    object(),
    10**5000,  # repr() refuses ints over 4300 digits
    float("nan"),
    {1: "int key"},
    _nested_list(5000),  # deeper than repr() can go
]
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(FOREIGN),
)


def _json_values(keys: st.SearchStrategy[str], *, nan: bool = False) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**60), 2**60),
        st.sampled_from([0, 1, -1, 2**53 + 1, 10**30]),
        st.floats(allow_nan=nan, allow_infinity=nan),
        st.sampled_from(["", "a", "ab", "b", "0", "1", "é😀"]),
        st.text(max_size=6),
    )
    return st.recursive(
        scalars,
        lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(keys, kids, max_size=4)),
        max_leaves=10,
    )


# --- filter rules ------------------------------------------------------------------------------

KEYS = ["a", "b", "0", "1", "01", "items"]
# Values conditions and payloads share often, so that conditions match as often as not.
POOL = [0, 1, 1.0, -1.5, True, False, None, "", "a", "ab", "b", "é😀", [1], [1, "a"], {"a": 1}]
json_values = st.one_of(
    st.sampled_from(POOL), _json_values(st.one_of(st.sampled_from(KEYS), st.text(max_size=3)))
)
payload_values = st.recursive(
    st.one_of(
        st.sampled_from(POOL),
        st.floats(),
        st.integers(),
        st.text(max_size=3),
        st.sampled_from(POOL),
    ),
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.sampled_from(KEYS), kids, max_size=4)
    ),
    max_leaves=12,
)
payloads = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), payload_values, max_size=5),
    st.dictionaries(st.sampled_from(KEYS), payload_values, max_size=5),
    payload_values,
    st.sampled_from([_nested_list(3000), {"a": _nested_list(3000)}]),
)
key_paths = st.lists(st.sampled_from(KEYS), min_size=1, max_size=3).map(".".join)
bad_paths = st.one_of(
    st.sampled_from(["", ".", "a..b", ".a", "a.", "x" * 201, "a.-1", "a. b"]), junk
)
VALUE_FOR = {
    "eq": json_values,
    "ne": json_values,
    "gt": st.one_of(
        st.sampled_from([0, 1, -1.5, "", "a", "b"]),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=3),
    ),
    "in": st.lists(json_values, max_size=4),
    "contains": json_values,
    "startswith": st.one_of(st.sampled_from(["", "a", "é"]), st.text(max_size=3)),
    "exists": st.booleans(),
}
for _op in ("gte", "lt", "lte"):
    VALUE_FOR[_op] = VALUE_FOR["gt"]


def _one_in(draw: Any, n: int) -> bool:
    """True about once in ``n`` draws (hypothesis leans to the first choice: False)."""
    return draw(st.sampled_from([False] * (n - 1) + [True]))


@st.composite
def conditions(draw: Any) -> dict[str, Any]:
    """A condition, one in ten with a bad path, operator or value, one in twenty missing a key."""
    op = draw(junk) if _one_in(draw, 10) else draw(st.sampled_from(OPERATORS))
    node: dict[str, Any] = {"path": draw(bad_paths if _one_in(draw, 10) else key_paths), "op": op}
    if op == "exists" and draw(st.booleans()):
        return node  # value is optional for exists only
    if _one_in(draw, 10):
        node["value"] = draw(junk)
    elif isinstance(op, str) and op in VALUE_FOR:
        node["value"] = draw(VALUE_FOR[op])
    if _one_in(draw, 20):
        del node[draw(st.sampled_from(sorted(node)))]
    return node


filter_nodes = st.recursive(
    conditions(),
    lambda kids: st.one_of(
        st.lists(kids, max_size=3).map(lambda c: {"all": c}),
        st.lists(kids, max_size=3).map(lambda c: {"any": c}),
        kids.map(lambda c: {"not": c}),
    ),
    max_leaves=6,
)


@st.composite
def broken_nodes(draw: Any) -> Any:
    """A node with one structural fault: an unknown or extra key, a child that is not a node."""
    node = dict(draw(filter_nodes))
    fault = draw(st.sampled_from(["unknown", "mixed", "two", "child", "empty"]))
    if fault == "unknown":
        node[draw(st.one_of(st.text(max_size=4), junk.filter(_hashable)))] = draw(junk)
    elif fault == "mixed":
        node["path" if "all" in node or "any" in node or "not" in node else "all"] = []
    elif fault == "two":
        node.update({"all": [], "any": []})
    elif fault == "child":
        node = {"any": [draw(filter_nodes), draw(junk)]}
    else:
        node = {"all": [{}]}
    return node


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _deep_not(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"path": "a", "op": "exists"}
    for _ in range(depth - 1):
        node = {"not": node}
    return node


@st.composite
def filter_trees(draw: Any) -> Any:
    """Seven in ten a tree of conditions, else a broken node, anything, or an edge case."""
    kind = draw(st.sampled_from(["tree"] * 7 + ["broken", "junk", "edge"]))
    if kind == "broken":
        return draw(broken_nodes())
    if kind == "junk":
        return draw(junk)
    if kind == "edge":
        return draw(st.sampled_from([{}, None, _deep_not(MAX_DEPTH), _deep_not(MAX_DEPTH + 1)]))
    return draw(filter_nodes)


# A reference evaluator written straight from the semantics in filters.py's docstring,
# recursive and unoptimised, to compare the compiled closures with.
_MISSING = object()
_INDEX = re.compile(r"0|[1-9][0-9]*")


def _ref_get(doc: Any, path: str) -> Any:
    for segment in path.split("."):
        if isinstance(doc, dict):
            if segment not in doc:
                return _MISSING
            doc = doc[segment]
        elif isinstance(doc, list) and _INDEX.fullmatch(segment) and int(segment) < len(doc):
            doc = doc[int(segment)]
        else:
            return _MISSING
    return doc


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _ref_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if _is_num(a) or _is_num(b):
        return _is_num(a) and _is_num(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_ref_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_ref_equal(a[k], b[k]) for k in a)
    return False


_ORDER = {
    "gt": lambda x, v: x > v,
    "gte": lambda x, v: x >= v,
    "lt": lambda x, v: x < v,
    "lte": lambda x, v: x <= v,
}


def _ref_condition(node: dict[str, Any], doc: Any) -> bool:
    x = _ref_get(doc, node["path"])
    found, op, v = x is not _MISSING, node["op"], node.get("value")
    if op == "exists":
        return found == node.get("value", True)
    if op == "ne":
        return not (found and _ref_equal(x, v))
    if not found:
        return False
    if op == "eq":
        return _ref_equal(x, v)
    if op in _ORDER:
        comparable = (_is_num(x) and _is_num(v)) or (isinstance(x, str) and isinstance(v, str))
        return comparable and _ORDER[op](x, v)
    if op == "in":
        return any(_ref_equal(x, m) for m in v)
    if op == "contains":
        if isinstance(x, str):
            return isinstance(v, str) and v in x
        return isinstance(x, list) and any(_ref_equal(m, v) for m in x)
    assert op == "startswith"
    return isinstance(x, str) and x.startswith(v)


def _ref_match(node: Any, doc: Any) -> bool:
    if not node:
        return True
    if "all" in node:
        return all(_ref_match(child, doc) if child else True for child in node["all"])
    if "any" in node:
        return any(_ref_match(child, doc) for child in node["any"])
    if "not" in node:
        return not _ref_match(node["not"], doc)
    return _ref_condition(node, doc)


def _ref_conditions(node: dict[str, Any]) -> list[dict[str, Any]]:
    for name in ("all", "any"):
        if name in node:
            return [c for child in node[name] for c in _ref_conditions(child)]
    if "not" in node:
        return _ref_conditions(node["not"])
    return [node]


def _depth(node: dict[str, Any]) -> int:
    children = node.get("all") or node.get("any") or ([node["not"]] if "not" in node else [])
    return 1 + max((_depth(c) for c in children), default=0)


@fuzz(400)
@given(tree=filter_trees(), payload=payloads)
@example(tree={"path": "a", "op": 10**5000}, payload={})  # repr() of the op raised ValueError
@example(tree={"path": "a", "op": _nested_list(5000)}, payload={})  # ... and RecursionError
@example(tree={"any": [{"path": "a", "op": "eq", "value": 1}, {10**5000: 1}]}, payload={})
def test_filter_rules_fuzz(tree: Any, payload: Any) -> None:
    """validate_filter never raises and lists every problem; an invalid tree raises FilterError
    (and only that) everywhere; a valid tree compiles to a predicate that returns a bool for any
    payload and agrees with the reference evaluator, through the cache and in explain()."""
    errors = validate_filter(tree)
    event("invalid" if errors else "valid")
    assert isinstance(errors, list) and all(isinstance(e, str) and e for e in errors)
    assert len(errors) <= MAX_ERRORS + 2  # capped list, "... and N more", the condition count
    if errors:
        with pytest.raises(FilterError) as info:
            compile_filter(tree)
        assert info.value.errors == errors
        with pytest.raises(FilterError):
            matches(tree, payload)
        assert explain(tree, payload) == {"matched": False, "errors": errors, "conditions": []}
        return
    predicate = compile_filter(tree)
    verdict = predicate(payload)
    event(f"valid, matched: {verdict}")
    assert verdict is True or verdict is False
    assert verdict == _ref_match(tree, payload)
    assert matches(tree, payload) is verdict
    assert matches(tree, payload) is verdict  # the second time from the cache
    report = explain(tree, payload)
    assert report["matched"] is verdict and report["errors"] == []
    expected = _ref_conditions(tree) if tree else []
    assert [c["path"] for c in report["conditions"]] == [c["path"] for c in expected]
    for shown, node in zip(report["conditions"], expected, strict=True):
        assert shown["result"] is _ref_condition(node, payload)
        assert shown["found"] is (_ref_get(payload, node["path"]) is not _MISSING)
    if tree and _depth(tree) < MAX_DEPTH:
        assert compile_filter({"not": tree})(payload) is (not verdict)
    for foreign in FOREIGN:  # payloads that are not JSON still get a bool, never an exception
        assert predicate(foreign) in (True, False)
        assert predicate({"a": foreign, "items": [foreign]}) in (True, False)


# --- cron and time zones -----------------------------------------------------------------------

DST_ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute shift
    "America/Santiago",
    "Pacific/Apia",  # skipped 30 Dec 2011 entirely
    "Asia/Tehran",
    "America/St_Johns",
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Havana",  # changes at midnight
    "Europe/Moscow",
    "UTC",
]
BAD_ZONES = [
    "",
    "America",  # a directory
    "../etc/passwd",
    "/etc/localtime",
    "UTC\x00",
    "x" * 300,
    "Europe/London ",
    "utc",
    "Mars/Olympus",
    "\ud800",
]
zones = st.one_of(
    st.sampled_from(DST_ZONES),
    st.sampled_from(DST_ZONES),
    st.sampled_from(sorted(available_timezones())),
    st.sampled_from(BAD_ZONES),
    st.text(max_size=12),
)


def _cron_field(low: int, high: int, names: list[str], extras: list[str]) -> st.SearchStrategy[str]:
    """One field, mostly valid: numbers (a few out of range), names, ranges, steps, lists."""
    number = st.integers(low, high).map(str)
    atom = st.one_of(
        number,
        number,
        st.integers(low - 2, high + 2).map(str),
        st.sampled_from(names or [str(low)]),
    )
    span = st.builds(lambda a, b: f"{a}-{b}", number, number)
    base = st.one_of(st.just("*"), span, atom)
    step = st.builds(lambda b, n: f"{b}/{n}", base, st.integers(0, high + 2))
    item = st.one_of(
        st.just("*"), st.just("*"), number, span, step, st.sampled_from(extras or ["*"])
    )
    return st.lists(item, min_size=1, max_size=3).map(",".join)


MONTHS = ["jan", "feb", "mar", "apr", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "fri", "sat"]
cron_fields = st.tuples(
    _cron_field(0, 59, [], []),
    st.one_of(_cron_field(0, 23, [], []), st.sampled_from(["1", "2", "3", "1-3", "0", "23"])),
    _cron_field(1, 31, [], ["L", "?", "29", "30", "31"]),
    _cron_field(1, 12, MONTHS, ["2"]),
    _cron_field(0, 7, DAYS, ["5#2", "1#5", "L", "?"]),
).map(" ".join)
EDGE_CRONS = [
    "30 2 * * *",  # in the spring-forward gap of most zones
    "30 1 * * *",  # in the repeated hour of most zones
    "0 * * * *",
    "*/15 * * * *",
    "* 2 * * *",
    "0,30 2,3 * * *",
    "59 1 * * 0",
    "0 0 * * *",  # Havana's gap is at midnight
    "0 0 29 2 *",  # every fourth year
    "0 0 30 2 *",  # never
    "0 0 L 2 *",
    "0 3 * * 0#2",
    "*/7 1-3 * 3,10,11 *",
]
odd_crons = st.one_of(
    st.sampled_from(["@daily", "* * * * * *", "* * * *", "", " ", "\t* * * * *\n"]),
    st.text(max_size=20),
)


@st.composite
def crons(draw: Any) -> str:
    """Seven in ten from the field grammar, two a DST edge case, one anything at all."""
    kind = draw(st.sampled_from(["fields"] * 7 + ["edge"] * 2 + ["odd"]))
    return draw(
        {"fields": cron_fields, "edge": st.sampled_from(EDGE_CRONS), "odd": odd_crons}[kind]
    )


any_instants = st.one_of(
    st.datetimes(
        min_value=datetime(1975, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    st.datetimes(timezones=st.sampled_from([ZoneInfo(z) for z in DST_ZONES])),
    st.one_of(st.datetimes(), st.datetimes(timezones=st.timezones())),  # naive ones are refused
)
MINUTE = timedelta(minutes=1)
ORACLE_WINDOW = timedelta(hours=25)
# The longest a satisfiable 5-field cron waits: 29 February when a year divisible by 100 is
# not a leap year (2096 -> 2104), plus a day for time zones.
MAX_WAIT = timedelta(days=8 * 366 + 1)


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _clock_changes(name: str) -> list[datetime]:
    """The UTC instants (to the minute) at which the zone's offset changes, 2005-2040."""
    zone, changes = ZoneInfo(name), []
    instant, week = datetime(2005, 1, 1, tzinfo=UTC), timedelta(days=7)
    while instant.year < 2041:
        low, high = instant, instant + week
        if low.astimezone(zone).utcoffset() != high.astimezone(zone).utcoffset():
            while high - low > MINUTE:
                middle = low + MINUTE * ((high - low) // MINUTE // 2)
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            changes.append(high)
        instant += week
    return changes


CLOCK_CHANGES = {name: _clock_changes(name) for name in DST_ZONES if name != "UTC"}


@st.composite
def zones_and_instants(draw: Any) -> tuple[str, datetime]:
    """Two times in three a DST zone and an instant up to a day before one of its clock
    changes (so the change falls in the oracle's window); else anything."""
    if draw(st.integers(0, 2)):
        zone = draw(st.sampled_from(sorted(CLOCK_CHANGES)))
        change = draw(st.sampled_from(CLOCK_CHANGES[zone]))
        before = timedelta(minutes=draw(st.integers(0, 24 * 60)))
        return zone, change - before - timedelta(seconds=draw(st.sampled_from([0, 0, 1, 59])))
    return draw(zones), draw(any_instants)


def _oracle(expr: str, zone: ZoneInfo, after: datetime) -> datetime | None:
    """The first firing instant in (after, after + ORACLE_WINDOW], by walking every UTC minute
    and applying the rules of schedules.py's docstring to its local time; None if none there.

    Independent of next_run_after's search: only the set of matching wall-clock minutes comes
    from croniter (on naive times, where no zone is involved)."""
    periodic = expr.split()[1].startswith("*")
    start = after.replace(second=0, microsecond=0) + MINUTE
    end = after + ORACLE_WINDOW
    low, high = (
        _wall(start - MINUTE, zone) - timedelta(hours=3),
        _wall(end, zone) + timedelta(hours=3),
    )
    matching: set[datetime] = set()
    times = croniter(expr, low - MINUTE)
    try:
        while (moment := times.get_next(datetime)) <= high:
            matching.add(moment)
    except CroniterBadDateError:
        pass
    previous = _wall(start - MINUTE, zone)
    instant = start
    while instant <= end:
        wall = _wall(instant, zone)
        if periodic:
            fires = wall in matching
        else:
            first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC) == instant
            skipped = wall - previous > MINUTE and any(
                previous + MINUTE * k in matching for k in range(1, (wall - previous) // MINUTE)
            )
            fires = (wall in matching and first) or skipped
        if fires:
            return instant
        previous = wall
        instant += MINUTE
    return None


@fuzz(150)
@given(cron=crons(), where=zones_and_instants())
@example(cron="30 2 * * *", where=("America/New_York", datetime(2024, 3, 10, 6, 59, tzinfo=UTC)))
@example(cron="*/15 * * * *", where=("Europe/London", datetime(2024, 10, 27, 0, 50, tzinfo=UTC)))
@example(cron="0 0 29 2 *", where=("Pacific/Apia", datetime(2096, 3, 1, tzinfo=UTC)))
def test_cron_next_run_fuzz(cron: str, where: tuple[str, datetime]) -> None:
    """next_run_after raises only ValueError; otherwise it gives an aware UTC instant strictly
    after ``after`` and within MAX_WAIT, exactly the first one the documented DST rules name
    (checked minute by minute over the next 25 hours), or None only for a cron that never fires.
    """
    zone, after = where
    try:
        result = next_run_after(cron, zone, after)
    except ValueError as exc:
        assert str(exc)
        event(f"refused: {str(exc)[:45]}")
        return
    assert after.tzinfo is not None  # a naive one must have been refused
    assert result is None or (result.utcoffset() == timedelta(0) and result > after)
    after = after.astimezone(UTC)
    if not datetime(1975, 1, 1, tzinfo=UTC) <= after <= datetime(2200, 1, 1, tzinfo=UTC):
        return  # the oracle needs whole-minute UTC offsets (no local mean time) and room after
    tz = ZoneInfo(zone)
    expr = " ".join(cron.split())
    if result is None:  # only a cron whose wall-clock times never come again
        with pytest.raises(CroniterBadDateError):
            croniter(expr, _wall(after, tz)).get_next(datetime)
        return
    assert result - after <= MAX_WAIT
    expected = _oracle(expr, tz, after)
    shifts = tz.utcoffset(_wall(after, tz)) != tz.utcoffset(_wall(after + ORACLE_WINDOW, tz))
    event(f"checked minute by minute (clock change in the window: {shifts})")
    if expected is not None:
        assert result == expected, (result, expected)
    else:
        assert result > after + ORACLE_WINDOW


@fuzz(120)
@given(cron=crons(), zone=zones)
@example(cron="0 0 30 2 *", zone="UTC")
def test_cron_validation_fuzz(cron: str, zone: str) -> None:
    """The form's schedule checks raise only ValidationError; a schedule they accept has five
    increasing previews in its zone and a next run that the scheduler can compute (a schedule
    the scheduler cannot compute would silently stop)."""
    data = ScriptInput(name="s", source="1", type="scheduled", cron=cron, timezone=zone)
    try:
        validated = validate_script(data, config=CONFIG, runtime=None)
    except ValidationError as exc:
        assert set(exc.errors) <= {"cron", "timezone"}, exc.errors
        assert all(m and all(isinstance(x, str) and x for x in m) for m in exc.errors.values())
        return
    runs = validated.next_runs
    now = utcnow()
    assert len(runs) == 5 and all(r.tzinfo is not None for r in runs)
    assert runs == sorted(set(runs)) and runs[0] > now - MINUTE
    tz = ZoneInfo(data.timezone)
    assert all(r.utcoffset() == r.astimezone(tz).utcoffset() for r in runs)
    nxt = next_run_after(data.cron, data.timezone, now)
    assert nxt is not None and now < nxt <= now + MAX_WAIT


def test_cron_preview_matches_the_scheduler() -> None:
    # London falls back at 01:00 UTC on 27 Oct 2024: 01:30 BST and 01:30 GMT both exist, and a
    # fixed-hour schedule runs at the first only (schedules.py docstring)
    after = datetime(2024, 10, 27, 0, 0, tzinfo=UTC)
    preview = next_cron_runs("30 1 * * *", "Europe/London", 3, after=after)
    actual, instant = [], after
    for _ in range(3):
        instant = next_run_after("30 1 * * *", "Europe/London", instant)
        actual.append(instant)
    assert [r.astimezone(UTC) for r in preview] == actual


# --- HTTP endpoint paths -----------------------------------------------------------------------

good_segments = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.~-]{1,8}", fullmatch=True),
    st.from_regex(r"\{[A-Za-z_][A-Za-z0-9_]{0,6}\}", fullmatch=True),
)
bad_segments = st.one_of(
    st.text(max_size=5),
    st.sampled_from(
        ["{}", "{id", "id}", "{a}{b}", "{1a}", "%2F", "a b", "\\", "?", "#", "é", "\x00", "\ud800"]
        + ["{" + "a" * 41 + "}", "x" * 201]
    ),
)


@st.composite
def http_paths(draw: Any) -> str:
    segments = draw(
        st.lists(st.one_of(good_segments, good_segments, good_segments, bad_segments), max_size=6)
    )
    separators = st.sampled_from(["/", "/", "/", "//", "///"])
    path = "".join(draw(separators) + s for s in segments)
    if draw(st.booleans()):
        path += "/"
    if draw(st.integers(0, 4)) == 0:
        path = path.lstrip("/")
    pad = st.sampled_from(["", "", " ", "\t", "\n ", "\u00a0"])
    return draw(pad) + path + draw(pad)


@fuzz(300)
@given(path=st.one_of(http_paths(), st.text(max_size=30)))
@example(path="/orders/{id}//items/{item}/")
def test_http_path_fuzz(path: str) -> None:
    """Endpoint paths: bad ones get a ValidationError on http_path and nothing else; an accepted
    one is stored normalised (idempotently: validating the stored path again changes nothing)
    and its shape names exactly its literal segments, whatever the parameters are called."""
    data = ScriptInput(name="h", source="1", type="http", http_path=path)
    try:
        validate_script(data, config=CONFIG, runtime=None)
    except ValidationError as exc:
        assert set(exc.errors) == {"http_path"}, exc.errors
        assert all(isinstance(m, str) and m for m in exc.errors["http_path"])
        return
    stored = data.http_path
    assert stored == normalise_http_path(stored) == normalise_http_path(path)
    assert stored.startswith("/") and "//" not in stored and not stored.endswith("/")
    assert len(stored) <= 200 and stored.isascii() and stored == stored.strip()
    again = ScriptInput(name="h", source="1", type="http", http_path=stored)
    validate_script(again, config=CONFIG, runtime=None)
    assert again.http_path == stored
    segments = stored.split("/")[1:]
    shape = path_shape(stored)
    assert shape.split("/")[1:] == ["{}" if s.startswith("{") else s for s in segments]
    assert path_shape(shape) == shape
    renamed = "/" + "/".join(
        f"{{p{i}}}" if s.startswith("{") else s for i, s in enumerate(segments)
    )
    assert path_shape(renamed) == shape


@pytest.mark.parametrize("path", ["/a/..", "/./b", "/hooks/../admin"])
def test_http_path_refuses_dot_segments(path: str) -> None:
    data = ScriptInput(name="h", source="1", type="http", http_path=path)
    with pytest.raises(ValidationError):
        validate_script(data, config=CONFIG, runtime=None)


# --- script import files -----------------------------------------------------------------------

SOURCES = [
    "function main(ctx) { return ctx.input }",
    "1",
    "const f = (x) => x * 2; f(2)",  # transpiled (and cached after the first)
    "var s = 'é😀'; s",
    "function main( {",  # does not parse
    "   ",
    "",
    "1 // \x00",
    "'\ud800'",
]
texts = st.one_of(
    st.sampled_from(["", "zoe", "a" * 65, "a" * 501, "\x00", "\ud800", "é😀", " "]),
    st.text(max_size=8),
)
times = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2020-01-02T03:04:05.123456+02:00",
            "2024-03-10T02:30:00+00:00",
            "2020-01-02T03:04:05",  # naive
            "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
            "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
            "0001-01-01T00:00:00+00:00",
            "yesterday",
            "",
        ]
    ),
    st.datetimes(timezones=st.sampled_from([UTC, ZoneInfo("Pacific/Kiritimati")])).map(
        datetime.isoformat
    ),
    junk,
)
version_numbers = st.one_of(
    st.integers(1, 5),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63, 10**30, True, 1.0, "1", None]),
)


@st.composite
def versions(draw: Any) -> Any:
    """Mostly a valid history; one version in four has one or two fields replaced."""
    items: list[Any] = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        item: dict[str, Any] = {
            "number": number,
            "source": draw(st.sampled_from(SOURCES[:4])),
            "author": draw(st.sampled_from(["zoe", None])),
            "note": "",
            "created_at": "2020-01-02T03:04:05+00:00",
        }
        if _one_in(draw, 4):
            keys = ["number", "source", "author", "note", "created_at", "unknown"]
            for key in draw(st.sets(st.sampled_from(keys), min_size=1, max_size=2)):
                item[key] = draw(
                    {
                        "number": version_numbers,
                        "source": st.one_of(st.sampled_from(SOURCES), junk),
                        "created_at": times,
                    }.get(key, st.one_of(texts, junk))
                )
        items.append(item)
    return draw(st.one_of(junk, st.just([]))) if _one_in(draw, 12) else items


HTTP_PATHS = ["/h/{id}", "/h/{oid}", "/h/new", "/h/{id}/x", " /h//{id}/ ", "/H/{id}"]
VALID_TRIGGERS = {
    "manual": {},
    "scheduled": {"cron": "*/5 * * * *", "timezone": "UTC"},
    "http": {"http_path": "/h/{id}", "http_methods": ["POST"], "http_auth": "token"},
    "event": {"event_types": ["order.created"], "event_filter": {"path": "a", "op": "exists"}},
}
ENTRY_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": st.one_of(st.sampled_from(["s0", "s1", "s0 ", "x" * 101]), texts, junk),
    "description": st.one_of(texts, junk),
    "type": st.one_of(st.sampled_from(sorted(VALID_TRIGGERS)), junk),
    "status": st.one_of(st.sampled_from(["draft", "active", "disabled", "archived"]), junk),
    "limits": st.one_of(
        st.fixed_dictionaries({}, optional={"timeout": junk, "memory_mb": st.integers(-1, 10**6)}),
        junk,
    ),
    "tags": st.one_of(st.lists(texts, max_size=3), junk),
    "cron": st.one_of(crons(), junk),
    "timezone": st.one_of(zones, junk),
    "http_path": st.one_of(http_paths(), junk),
    "http_methods": st.one_of(st.lists(st.sampled_from(["GET", "post", "TRACE", ""])), junk),
    "http_auth": st.one_of(st.sampled_from(["session", "token", "public"]), junk),
    "event_types": st.one_of(st.lists(st.sampled_from(["a.b", "a.*", "*", "A", ""])), junk),
    "event_filter": st.one_of(filter_trees(), junk),
    "unknown": junk,
}


@st.composite
def entries(draw: Any, index: int) -> Any:
    """Script ``index`` of a document: valid for its type, or one in three with one or two
    fields replaced by anything; HTTP paths come from a few of one shape."""
    kind = draw(st.sampled_from(sorted(VALID_TRIGGERS)))
    entry: dict[str, Any] = {
        "name": f"s{index}",
        "type": kind,
        "status": "active",
        **VALID_TRIGGERS[kind],
        "versions": draw(versions()),
    }
    if kind == "http":
        entry["http_path"] = draw(st.sampled_from(HTTP_PATHS))
    if _one_in(draw, 3):
        for name in draw(st.sets(st.sampled_from(sorted(ENTRY_FIELDS)), min_size=1, max_size=2)):
            entry[name] = draw(ENTRY_FIELDS[name])
    return draw(junk) if _one_in(draw, 25) else entry


@st.composite
def documents(draw: Any) -> Any:
    count = draw(st.integers(0, 3))
    document: dict[str, Any] = {
        "format": transfer.FORMAT,
        "exported_at": "2024-01-01T00:00:00+00:00",
        "scripts": [draw(entries(i)) for i in range(count)],
    }
    if _one_in(draw, 6):
        fault = draw(st.sampled_from(["format", "scripts", "unknown", "whole"]))
        if fault == "format":
            document["format"] = draw(st.one_of(junk, st.just("flask-jsscripts/2")))
        elif fault == "scripts":
            document["scripts"] = draw(junk)
        elif fault == "unknown":
            document[draw(st.text(max_size=4))] = 1
        else:
            return draw(st.one_of(junk, st.lists(junk, max_size=2)))
    return document


RAW_JSON_TOKENS = [b"NaN", b"-Infinity", b"1e999", b"9" * 400, b"9" * 5000, b"[" * 5000]


@st.composite
def import_files(draw: Any) -> bytes:
    """The bytes of a file given to ``flask jsscripts import``: a document as JSON (UTF-8 or
    UTF-16), the same cut short or with a value replaced by a JSON oddity, or any bytes."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=200))
    try:  # sets, bytes and objects from ``junk`` become strings; a few values cannot be JSON
        text = json.dumps(draw(documents()), ensure_ascii=draw(st.booleans()), default=str)
    except (ValueError, RecursionError):
        text = json.dumps({"format": transfer.FORMAT, "scripts": []})
    if kind == 1:
        text = text[: draw(st.integers(0, len(text)))]
    elif kind == 2 and '"active"' in text:
        token = draw(st.sampled_from(RAW_JSON_TOKENS)).decode()
        text = text.replace('"active"', token, 1)
    encoding = "utf-16" if kind == 3 else "utf-8"
    return text.encode(encoding, "surrogatepass")


def _check_refusal(exc: Exception) -> None:
    assert isinstance(exc.message, str) and exc.message.strip()
    if isinstance(exc, ValidationError):
        assert exc.errors
        for where, messages in exc.errors.items():
            assert isinstance(where, str) and where
            assert messages and all(isinstance(m, str) and m for m in messages)


def _document(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"format": transfer.FORMAT, "scripts": list(entries)}).encode()


def _one_version(*, older: bool = False, **fields: Any) -> bytes:
    """A manual script whose (only, or with ``older`` first of two) version has ``fields``."""
    versions = [{"number": 1, "source": "1", **fields}]
    if older:
        versions.append({"number": 2, "source": "2"})
    return _document({"name": "a", "type": "manual", "versions": versions})


def _http_pair(*paths: str) -> bytes:
    """HTTP scripts on ``paths``, named a, b..."""
    return _document(
        *(
            {"name": "ab"[i], "type": "http", "http_path": path, "versions": [{"source": "1"}]}
            for i, path in enumerate(paths)
        )
    )


def _tenant() -> str:
    return f"fz-{uuid.uuid4().hex[:16]}"


def _shape_owners(session: Any) -> dict[str, int]:
    from flask_jsscripts.models import HttpEndpoint

    shapes: dict[str, int] = {}
    for path in session.scalars(select(HttpEndpoint.path)):
        shapes[path_shape(path)] = shapes.get(path_shape(path), 0) + 1
    return shapes


def test_import_file_fuzz(host_app) -> None:
    """``flask jsscripts import``'s parsing and the import service: any file is refused with a
    UsageFailure (bad JSON) or a ValidationError naming each problem, writing nothing, or
    imported whole; an imported tenant has no two endpoints answering the same requests, and
    its export imports into another tenant and exports the same again (the documented round
    trip). Never a raw database or Python error, on SQLite and PostgreSQL alike."""
    app, db, _ = host_app
    session = db.session
    state = app.extensions["jsscripts"]
    sqlite = db.engine.dialect.name == "sqlite"

    def existing_endpoint() -> None:
        data = ScriptInput(
            name="existing", source="1", type="http", http_path="/h/{x}", http_methods=["GET"]
        )
        scripts.create_script(session, data, config=app.config, runtime=state.runtime)

    @fuzz(80 if sqlite else 25)
    @given(
        raw=import_files(),
        on_conflict=st.sampled_from(transfer.ON_CONFLICT_MODES),
        pre=st.booleans(),
    )
    @example(raw=_http_pair("/h/{id}", "/h/{oid}"), on_conflict="error", pre=False)
    @example(raw=_http_pair("/h/{id}"), on_conflict="rename", pre=True)  # existing: /h/{x}
    @example(raw=_one_version(number=2**31), on_conflict="error", pre=False)  # PostgreSQL
    @example(raw=_one_version(number=2**63), on_conflict="error", pre=False)  # SQLite
    @example(
        raw=_one_version(created_at="0001-01-01T00:00:00+14:00"), on_conflict="error", pre=False
    )
    @example(raw=_one_version(author="\ud800"), on_conflict="error", pre=False)
    @example(raw=_one_version(note="a\x00"), on_conflict="error", pre=False)
    @example(raw=_one_version(source="1 // \x00", older=True), on_conflict="error", pre=False)
    def prop(raw: bytes, on_conflict: str, pre: bool) -> None:
        try:
            document = _load_document(io.BytesIO(raw))
        except UsageFailure as exc:
            _check_refusal(exc)
            event("refused: not a JSON file")
            return
        with tenancy.tenant_scope(_tenant()):
            if pre:
                existing_endpoint()
            before = sorted(session.scalars(select(Script.name)))
            try:
                report = transfer.import_scripts(
                    session,
                    document,
                    config=app.config,
                    runtime=state.runtime,
                    actor="fuzz",
                    on_conflict=on_conflict,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                session.rollback()
                _check_refusal(exc)
                assert sorted(session.scalars(select(Script.name))) == before  # nothing written
                event(
                    f"refused: {sorted(exc.errors)[0][:30]} {list(exc.errors.values())[0][0][:40]}"
                )
                return
            except BaseException:
                session.rollback()  # keep the next example's session usable
                raise
            event(f"imported {len(report.created)} scripts")
            names = sorted(session.scalars(select(Script.name)))
            assert names == sorted(before + report.created)
            assert all(count == 1 for count in _shape_owners(session).values())
            exported = transfer.export_scripts(session)
            mine = [s for s in exported["scripts"] if s["name"] in report.created]
            for item in mine:
                versions_in = item["versions"]
                assert [v["number"] for v in versions_in] == sorted(
                    v["number"] for v in versions_in
                )
        copy = json.loads(json.dumps({**exported, "scripts": mine}))
        with tenancy.tenant_scope(_tenant()):
            transfer.import_scripts(session, copy, config=app.config, runtime=state.runtime)
            again = transfer.export_scripts(session)
            assert again["scripts"] == copy["scripts"]

    prop()


# --- JSON text from outside ------------------------------------------------------------------

# One level of nesting: an array, or an object with one key (a string holding brackets, so
# that a bracket count that ignored strings would go wrong).
LEVELS = {"[": ("[", "]"), "{": ('{"k[":', "}"), "[,": ("[0,", "]"), "{,": ('{"a":1,"b{":', "}")}
LEAVES = ["1", '"a"', '"[[{{"', "null", "[]", "{}", "-0.5e3", "NaN", "1e999", '"\\u005b"']
AROUND_DEPTH = st.integers(jsonvalues.MAX_DEPTH - 3, jsonvalues.MAX_DEPTH + 3)


@st.composite
def nested_json_texts(draw: Any) -> str:
    """JSON text nested 0 to 12,000 levels deep, in a repeating pattern of arrays and objects,
    around an odd leaf; sometimes cut short or with a byte out of place."""
    depth = draw(st.one_of(st.integers(0, 8), AROUND_DEPTH, st.integers(0, 12_000)))
    pattern = draw(st.lists(st.sampled_from(sorted(LEVELS)), min_size=1, max_size=3))
    opens = [LEVELS[pattern[i % len(pattern)]] for i in range(depth)]
    text = "".join(o for o, _ in opens) + draw(st.sampled_from(LEAVES))
    text += "".join(c for _, c in reversed(opens))
    fault = draw(st.integers(0, 5))
    if fault == 0 and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif fault == 1:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([",", "]", "}", '"', " ", "x"])) + text[at:]
    return text


json_texts = st.one_of(
    nested_json_texts(),
    _json_values(st.text(max_size=4)).map(json.dumps),
    st.text(alphabet='[]{},:"0123456789.eE-+ntrufalse \\', max_size=40),
    st.text(max_size=20),
)


def _bracket_depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings: what a correct parser sees."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


@fuzz(400)
@given(text=json_texts, as_bytes=st.booleans())
@example(text="[" * 5_000 + "]" * 5_000, as_bytes=False)  # the run form's RecursionError
@example(text='{"a":' * 5_000 + "1" + "}" * 5_000, as_bytes=False)  # the event filter's
@example(text='["' + "[" * 300 + '"]', as_bytes=True)
def test_json_text_fuzz(text: str, as_bytes: bool) -> None:
    """``jsonvalues.parse`` raises only JSONValueError; it calls a text too deep exactly when
    its brackets nest past MAX_DEPTH, and what it accepts is what ``json.loads`` reads, nested
    within the limit (so that ``json.dumps`` and ``jsonvalues.check`` take it anywhere)."""
    raw: str | bytes = text.encode("utf-8", "surrogatepass") if as_bytes else text
    deep = _bracket_depth(text) > jsonvalues.MAX_DEPTH
    try:
        value = jsonvalues.parse(raw)
    except jsonvalues.JSONValueError as exc:
        assert exc.reason in ("invalid", "too_deep") and exc.message
        if exc.reason == "too_deep":
            assert deep
        event(f"refused: {exc.reason}")
        return
    assert not deep
    assert value == json.loads(raw)
    try:
        jsonvalues.check(value)
    except jsonvalues.JSONValueError as exc:
        assert exc.reason == "out_of_range"  # 1e999: parsed, refused by whoever stores it
    json.dumps(value)
    event("accepted")


# --- charset labels ----------------------------------------------------------------------------

# Python codecs that are no charset of the Encoding Standard: quadratic (punycode, idna),
# raising on any input (undefined), not text encodings (rot13, zlib, ...), or left out.
ODD_CODECS = [
    "punycode", "idna", "undefined", "rot13", "zlib", "bz2", "base64", "hex", "uu", "quopri",
    "utf-7", "utf-32", "unicode_escape", "raw_unicode_escape", "palmos", "mbcs", "oem",
]  # fmt: skip
# Every name Python's codec registry answers to, and a few of the Encoding Standard's.
CODEC_LABELS = sorted(
    set(encodings.aliases.aliases)
    | set(encodings.aliases.aliases.values())
    | set(charsets.EXTRA_LABELS)
    | set(charsets.ALLOWED_CHARSETS)
    | set(ODD_CODECS)
    | {"x-user-defined", "replacement"}
)


def _dressed(label: str) -> Any:
    """The label as a sender might write it: any case, spaces, quotes, - or _."""
    return st.tuples(
        st.sampled_from([str.lower, str.upper, str.title, lambda x: x]),
        st.sampled_from(["{}", " {} ", '"{}"', "'{}'", "{}\t"]),
        st.booleans(),
    ).map(lambda t: t[1].format(t[0](label.replace("_", "-") if t[2] else label)))


charset_labels = st.one_of(
    st.sampled_from(ODD_CODECS).flatmap(_dressed),
    st.sampled_from(CODEC_LABELS).flatmap(_dressed),
    st.text(max_size=12),
    st.from_regex(r"[a-z0-9_.:+-]{1,45}", fullmatch=True),
)


@fuzz(400)
@given(
    label=charset_labels,
    data=st.one_of(st.binary(max_size=300), st.text(max_size=80).map(str.encode)),
    cut=st.integers(1, 7),
)
@example(label="punycode", data=b"a" * 100, cut=3)  # quadratic: 1 MB cost 20 s
@example(label="idna", data=b"xn--bcher-kva.example", cut=3)  # UnicodeError: a 500
@example(label="UTF_16", data="é€😀".encode("utf-16"), cut=3)
@example(label="shift_jis", data="こんにちは".encode("shift_jis"), cut=1)
def test_charset_label_fuzz(label: str, data: bytes, cut: int) -> None:
    """Any label is UnsupportedCharset or names an allowed codec; the codec decodes any bytes,
    and decoding chunk by chunk (as sdk.http does) gives exactly the one-shot text."""
    try:
        codec = charsets.codec_for(label)
    except charsets.UnsupportedCharset as exc:
        assert "not supported" in str(exc) and len(exc.label) <= charsets.MAX_LABEL_LENGTH
        event("refused")
        return
    assert codec in charsets.ALLOWED_CHARSETS
    assert codecs.lookup(codec).name == codec
    whole = charsets.decode(data, codec)
    decoder = charsets.incremental_decoder(codec)
    pieces = [decoder.decode(data[i : i + cut]) for i in range(0, len(data), cut)]
    assert "".join(pieces) + decoder.decode(b"", final=True) == whole
    event(f"decoded as {codec}")


# --- the web entry points that take JSON text or a charset --------------------------------------

ENTRY_POINTS = ["run", "script_form", "filter_test", "endpoint_json", "endpoint_text"]


def test_web_inputs_fuzz(app_factory, rt) -> None:
    """Whatever JSON text or charset the run form, the script form's event filter, the filter
    tester or an endpoint body gets, the answer is a page or a 4xx with a reason, never a 500;
    on SQLite and PostgreSQL, through the real blueprints and sandbox."""
    web = make_web(app_factory, rt)
    with web.app.app_context():
        sqlite = web.db.engine.dialect.name == "sqlite"
    add_http_script(web.app, web.db, "acme", "echo", path="/echo", methods=("POST",))
    script = web.acme.script_id
    endpoint_client = web.app.test_client()

    @fuzz(100 if sqlite else 25)
    @given(
        entry=st.sampled_from(ENTRY_POINTS),
        text=st.one_of(nested_json_texts(), json_texts),
        label=charset_labels,
    )
    @example(entry="run", text="[" * 5_000 + "]" * 5_000, label="")
    @example(entry="script_form", text='{"a":' * 5_000 + "1" + "}" * 5_000, label="")
    @example(entry="endpoint_text", text="xn--bcher-kva", label="idna")
    @example(entry="endpoint_json", text="[" * 5_000, label="utf-8")
    def prop(entry: str, text: str, label: str) -> None:
        if entry == "run":
            response = web.client.post(f"/scripts/{script}/run", {"input": text})
        elif entry == "script_form":
            response = web.client.post(
                "/scripts/new",
                {
                    "name": f"fz-{uuid.uuid4().hex[:12]}",
                    "type": "event",
                    "status": "draft",
                    "timezone": "UTC",
                    "http_auth": "session",
                    "event_types": "order.created",
                    "event_filter": text,
                    "source": "1",
                },
            )
        elif entry == "filter_test":
            response = web.client.post(
                "/scripts/filter-test",
                {"event_filter": text, "filter_sample": text},
                htmx=True,
                csrf="header",
            )
        else:
            kind = "application/json" if entry == "endpoint_json" else "text/plain"
            label = "".join(ch for ch in label if ch not in "\r\n\x00")  # no HTTP header can
            response = endpoint_client.post(
                "/api/scripts/echo",
                data=text.encode("utf-8", "surrogatepass"),
                headers={"X-Tenant": "acme", "Content-Type": f"{kind}; charset={label}"},
            )
        assert response.status_code < 500, (entry, response.get_data(as_text=True)[:300])
        event(f"{entry}: {response.status_code}")

    prop()


# --- worker protocol: decoding ------------------------------------------------------------------

RAW_TOKENS = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e999",
    b"-1E400",
    b"9" * 400,  # an integer beyond any double
    b"-" + b"9" * 400,
    b"9" * 5000,  # beyond int()'s digit limit
    b"123456789012345678901",  # beyond 2**53: read as the double JavaScript meant
    b'"\\ud800"',  # lone surrogates: the shim never sends them
    b'"a\\udfff"',
    b'"\\udc00\\ud800"',  # a pair in the wrong order
    b'"\\ud83d\\ude00"',  # a proper pair
    b'"\\\\ud800"',  # an escaped backslash, then plain text
    b'"\\u0000"',
    b"[" * 3000 + b"]" * 3000,
    b"-0",
    b"1.7976931348623157e308",
]
OPS = ["ready", "console", "log", "call", "result", "compiled", "run", "exit", "reply", ""]


def _raw(index: int) -> str:
    return f"@@raw{index}@@"


raw_leaf = st.integers(0, len(RAW_TOKENS) - 1).map(_raw)
frame_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**60), 2**60),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=6),
        raw_leaf,
    ),
    lambda kids: st.one_of(
        st.lists(kids, max_size=3), st.dictionaries(st.text(max_size=5), kids, max_size=3)
    ),
    max_leaves=6,
)


def _encode_with_raw(frame: Any) -> bytes:
    text = json.dumps(frame, separators=(",", ":")).encode()
    for index, token in enumerate(RAW_TOKENS):
        text = text.replace(json.dumps(_raw(index)).encode(), token)
    return text


@st.composite
def hostile_frames(draw: Any) -> bytes:
    """One line a compromised worker might send: a frame of a known or unknown op whose fields
    hold anything, or no frame at all."""
    frame: dict[str, Any] = {"op": draw(st.one_of(st.sampled_from(OPS), frame_values))}
    for key in draw(st.sets(st.sampled_from(["entry", "req", "body", "metrics", "retire"]))):
        frame[key] = draw(frame_values)
    if draw(st.booleans()) and "body" not in frame:
        body = {
            "status": draw(st.one_of(st.sampled_from(list(STATUSES)), frame_values)),
            "value": draw(frame_values),
        }
        for key in draw(st.sets(st.sampled_from(["error", "phase", "consoleDropped"]))):
            body[key] = draw(frame_values)
        frame["body"] = body
    line = _encode_with_raw(frame)
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=80))
    if kind == 1:
        return line[: draw(st.integers(0, len(line)))]
    if kind == 2:
        return _encode_with_raw(draw(frame_values))
    return line


@fuzz(400)
@given(line=hostile_frames())
@example(line=b'{"op":"result","v":' + b"9" * 400 + b"}")  # OverflowError escaped decode
@example(line=b'{"op":"result","v":1e999}')  # infinity got through
@example(line=b'{"op":"result","v":NaN}')  # NaN got through
@example(line=b'{"op":"log","entry":{"message":"\\ud800"}}')  # lone surrogate got through
@example(line=b'{"op":"log","entry":{"message":"\\\\ud800 \\ud83d\\ude00"}}')
def test_protocol_decode_fuzz(line: bytes) -> None:
    """decode() turns any bytes into a frame (an object with a string op, holding only finite
    numbers and valid Unicode, so anything taken from it can be stored and shown) or raises
    ProtocolError; never anything else. What encode() writes decodes back to the same frame."""
    try:
        frame = decode(line)
    except ProtocolError as exc:
        assert str(exc)
        return
    assert isinstance(frame, dict) and isinstance(frame["op"], str)
    json.dumps(frame, allow_nan=False, ensure_ascii=False).encode("utf-8")
    assert decode(encode(frame)) == frame


@fuzz(100)
@given(
    chunks=st.lists(
        st.one_of(st.binary(max_size=120), st.just(b"\n"), hostile_frames()), max_size=12
    ),
    max_bytes=st.integers(1, 300),
)
def test_frame_reader_fuzz(chunks: list[bytes], max_bytes: int) -> None:
    """FrameReader over a real pipe hands out exactly the complete lines, in order; then, the
    writer still open, it returns None at its deadline (or raises ProtocolError at once if the
    unfinished line is already past ``max_bytes``), and raises ProtocolError at end of file."""
    data = b"".join(chunks)[:60_000]  # one write that fits the pipe's buffer
    *complete, tail = data.split(b"\n")
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)
        reader = FrameReader(read_end)
        for expected in complete:
            assert reader.read(time.monotonic() + 10, max_bytes) == expected
        started = time.monotonic()
        if len(tail) > max_bytes:
            with pytest.raises(ProtocolError, match="larger than"):
                reader.read(started + 10, max_bytes)
            return
        assert reader.read(started + 0.01, max_bytes) is None
        assert time.monotonic() - started < 5
        os.close(write_end)
        write_end = -1
        with pytest.raises(ProtocolError, match="closed"):
            reader.read(time.monotonic() + 10, max_bytes)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


# --- worker protocol: the parent facing a compromised worker ------------------------------------

# A stand-in for a worker whose sandbox was broken out of: a real process on the real pipes
# that answers each run or compile with whatever bytes the test puts in the run's input (or
# the compile's source), base64-encoded, then a well-formed answer. It never reads its stdin
# while it writes, as a hostile worker would not.
HOSTILE_WORKER = """
import base64, json, os, sys
out = sys.stdout.buffer
out.write(b'{"op":"ready","pid":%d}\\n' % os.getpid())
out.flush()
for line in sys.stdin.buffer:
    frame = json.loads(line)
    if frame.get("op") == "run":
        data = base64.b64decode(json.loads(frame["input"]))
        tail = b'{"op":"result","body":{"status":"completed","value":"tail"}}'
    elif frame.get("op") == "compile":
        data = base64.b64decode(frame["source"])
        tail = b'{"op":"compiled","code":"tail","transpiled":false}'
    else:
        continue  # answers to sdk calls, exit
    out.write(data + b"\\n" + tail + b"\\n")
    out.flush()
"""
RUN_LIMITS = Limits(timeout=1.5, host_calls=100_000, console_entries=50)
CALL = b'{"op":"call","req":{"name":"kv.get","args":["' + b"x" * 100 + b'"]}}\n'


@pytest.fixture(scope="module")
def hostile_worker(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("worker") / "hostile_worker"
    path.write_text(f"#!{sys.executable}\n{HOSTILE_WORKER}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _echo_broker(name: str, args: list[Any]) -> Any:
    return {"name": name, "args": args}


@st.composite
def well_formed_runs(draw: Any) -> tuple[bytes, dict[str, Any]]:
    """What an honest worker sends: console/log entries and sdk calls, then a result."""
    frames: list[dict[str, Any]] = []
    messages: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            message = draw(st.text(max_size=10))
            messages.append(message)
            level = draw(st.sampled_from(["debug", "info", "warn", "error"]))
            frames.append({"op": "console", "entry": {"level": level, "message": message}})
        else:
            frames.append(
                {"op": "call", "req": {"name": "kv.get", "args": [draw(st.text(max_size=5))]}}
            )
    value = draw(_json_values(st.text(max_size=3)).filter(lambda v: _safe_numbers(v)))
    frames.append({"op": "result", "body": {"status": "completed", "value": value}})
    stream = b"".join(encode(f) for f in frames)
    return stream, {"value": value, "messages": messages}


def _safe_numbers(value: Any) -> bool:
    """Integers a double holds exactly: bigger ones are read back rounded, by design."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return True
    if isinstance(value, int):
        return abs(value) <= 2**53
    children = value.values() if isinstance(value, dict) else value
    return all(_safe_numbers(v) for v in children)


hostile_streams = st.lists(hostile_frames(), max_size=6).map(b"\n".join)


def _assert_run_result_is_sane(result: Any, elapsed: float) -> None:
    """What the services do with a RunResult must work: known status, JSON the database can
    store (finite numbers, valid Unicode), console entries of the documented shape."""
    assert result.status in STATUSES
    assert elapsed < RUN_LIMITS.timeout + 2.0  # never stuck past the run's deadline
    assert result.error is None or isinstance(result.error, dict)
    if result.status != "completed":
        assert isinstance(result.error, dict) and result.value is None
    stored = {
        "value": result.value,
        "error": result.error,
        "console": result.console,
        "logs": result.logs,
        "metrics": result.metrics,
    }
    json.dumps(stored, allow_nan=False, ensure_ascii=False).encode("utf-8")
    for entry in result.console + result.logs:
        assert entry["level"] in ("debug", "info", "warn", "error")
        assert isinstance(entry["message"], str)
        assert isinstance(entry["ts"], (int, float)) and not isinstance(entry["ts"], bool)
    for entry in result.console:
        dropped = re.fullmatch(
            r"(-?\d+) console entries dropped \(limit reached\)", entry["message"]
        )
        assert dropped is None or int(dropped.group(1)) > 0


def _run(worker: str, stream: bytes) -> tuple[Any, float]:
    with Runtime(workers=1, spare=0, python=worker, acquire_timeout=10) as rt:
        started = time.monotonic()
        result = rt.run(
            CompiledScript("0" * 64, "x", False),
            base64.b64encode(stream).decode(),
            limits=RUN_LIMITS,
            broker=_echo_broker,
            capabilities=["kv.get"],
        )
        return result, time.monotonic() - started


@pytest.mark.timeout(120)
def test_run_hostile_worker_fuzz(hostile_worker: str) -> None:
    """Whatever a compromised worker sends during a run, Runtime.run returns a sane RunResult by
    the run's deadline (crashed or timeout when the worker misbehaves) and never raises; what an
    honest worker sends comes through unchanged."""

    @fuzz(50)
    @given(run=st.one_of(well_formed_runs(), hostile_streams.map(lambda s: (s, None))))
    @example(run=(b'{"op":"result","body":[1]}', None))  # AttributeError: 'list' has no .get
    @example(run=(b'{"op":"result","body":{"status":"failed"},"metrics":"x"}', None))
    @example(run=(b'{"op":"result","body":{"status":"completed","consoleDropped":-5}}', None))
    @example(run=(b'{"op":"result","body":{"status":"completed","value":NaN}}', None))
    @example(run=(CALL * 3000, None))  # never reads its replies: the parent blocked forever
    def prop(run: tuple[bytes, dict[str, Any] | None]) -> None:
        stream, honest = run
        result, elapsed = _run(hostile_worker, stream)
        _assert_run_result_is_sane(result, elapsed)
        if honest is not None:
            assert result.status == "completed", result.error
            assert result.value == honest["value"]
            assert [e["message"] for e in result.console] == honest["messages"]

    prop()


@pytest.mark.timeout(120)
def test_compile_hostile_worker_fuzz(hostile_worker: str) -> None:
    """Whatever a compromised worker answers to a compile, Runtime.compile returns a
    CompiledScript or raises ScriptSyntaxError, by the compile timeout; never anything else."""

    honest_answers = st.builds(
        lambda code, transpiled: (
            encode({"op": "compiled", "code": code, "transpiled": transpiled}),
            code,
        ),
        st.text(max_size=10),
        st.booleans(),
    )

    @fuzz(40)
    @given(answer=st.one_of(hostile_streams.map(lambda s: (s, None)), honest_answers))
    @example(answer=(b'{"op":"compiled","error":"x"}', None))  # AttributeError: str has no .get
    @example(answer=(b'{"op":"console"}', None))  # KeyError: 'code'
    @example(answer=(b'{"op":"compiled","code":["x"]}', None))
    @example(answer=(b'{"op":"compiled","error":{"message":7,"line":"x"}}', None))
    def prop(answer: tuple[bytes, str | None]) -> None:
        stream, honest_code = answer
        source = base64.b64encode(stream).decode()
        compiled = None
        with Runtime(workers=1, spare=0, python=hostile_worker, compile_timeout=1.5) as rt:
            started = time.monotonic()
            try:
                compiled = rt.compile(source)
            except ScriptSyntaxError as exc:
                assert isinstance(exc.message, str) and exc.message
                assert exc.line is None or isinstance(exc.line, int)
                assert exc.column is None or isinstance(exc.column, int)
            else:
                assert isinstance(compiled.code, str) and isinstance(compiled.transpiled, bool)
                assert compiled.source_hash and compiled.key
            assert time.monotonic() - started < 1.5 + 2.0
        if honest_code is not None:  # a well-formed answer comes through unchanged
            assert compiled is not None and compiled.code == honest_code

    prop()
