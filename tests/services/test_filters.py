"""Event subscription filters: operators, combinators, paths, validation messages, a property
test against a plainly written reference evaluator, and the hook into script validation."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from flask_jsscripts import tenancy
from flask_jsscripts.models import Script
from flask_jsscripts.runtime import jsonvalues
from flask_jsscripts.services import events, filters, scripts
from flask_jsscripts.services.errors import ValidationError
from flask_jsscripts.services.filters import (
    FilterError,
    compile_filter,
    explain,
    matches,
    validate_filter,
)
from flask_jsscripts.services.validation import ScriptInput

ORDER = {
    "type": "order.created",
    "order": {
        "id": "A-1001",
        "total": 250,
        "discount": 12.5,
        "paid": True,
        "coupon": None,
        "tags": ["vip", "gift", 3],
        "items": [{"sku": "SKU-1", "qty": 2}, {"sku": "SKU-2", "qty": 1}],
        "customer": {"country": "DE", "email": "ada@example.com"},
    },
}


def cond(path: str, op: str, *value: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"path": path, "op": op}
    if value:
        (node["value"],) = value
    return node


# --- operators --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "node, expected",
    [
        (cond("order.total", "eq", 250), True),
        (cond("order.total", "eq", 250.0), True),  # 1 == 1.0
        (cond("order.total", "eq", "250"), False),
        (cond("order.paid", "eq", True), True),
        (cond("order.paid", "eq", 1), False),  # booleans are not numbers
        (cond("order.coupon", "eq", None), True),
        (cond("order.tags", "eq", ["vip", "gift", 3.0]), True),
        (cond("order.tags", "eq", ["gift", "vip", 3]), False),  # arrays are ordered
        (cond("order.customer", "eq", {"email": "ada@example.com", "country": "DE"}), True),
        (cond("order.customer", "eq", {"country": "DE"}), False),
        (cond("order.total", "ne", 250), False),
        (cond("order.total", "ne", 251), True),
        (cond("order.paid", "ne", 1), True),
        (cond("order.total", "gt", 100), True),
        (cond("order.total", "gt", 250), False),
        (cond("order.total", "gte", 250), True),
        (cond("order.total", "lt", 250.5), True),
        (cond("order.total", "lte", 249), False),
        (cond("order.discount", "lte", 12.5), True),
        (cond("order.id", "gt", "A-1000"), True),  # strings by code point
        (cond("order.id", "lt", "B"), True),
        (cond("order.id", "gt", 5), False),  # string vs number: never ordered
        (cond("order.total", "gt", "100"), False),
        (cond("order.paid", "gt", 0), False),  # a boolean is not a number
        (cond("order.customer.country", "in", ["DE", "FR"]), True),
        (cond("order.customer.country", "in", ["FR"]), False),
        (cond("order.total", "in", [1, 250.0]), True),
        (cond("order.paid", "in", [1]), False),
        (cond("order.paid", "in", [True]), True),
        (cond("order.coupon", "in", [None]), True),
        (cond("order.items.0", "in", [{"qty": 2, "sku": "SKU-1"}]), True),
        (cond("order.total", "in", []), False),
        (cond("order.customer.email", "contains", "@example."), True),
        (cond("order.customer.email", "contains", "@other."), False),
        (cond("order.tags", "contains", "vip"), True),
        (cond("order.tags", "contains", "vi"), False),  # members are compared whole
        (cond("order.tags", "contains", 3.0), True),
        (cond("order.tags", "contains", True), False),
        (cond("order.customer", "contains", "country"), False),  # objects contain nothing
        (cond("order.total", "contains", 2), False),
        (cond("order.items", "contains", {"sku": "SKU-2", "qty": 1}), True),
        (cond("order.id", "startswith", "A-"), True),
        (cond("order.id", "startswith", "B-"), False),
        (cond("order.total", "startswith", "2"), False),
        (cond("order.id", "exists"), True),
        (cond("order.coupon", "exists"), True),  # null is present
        (cond("order.coupon", "exists", False), False),
        (cond("order.refund", "exists", False), True),
        (cond("order.refund", "exists", True), False),
    ],
)
def test_operators(node, expected):
    assert compile_filter(node)(ORDER) is expected
    assert matches(node, ORDER) is expected


@pytest.mark.parametrize(
    "op, value",
    [
        ("eq", None),
        ("gt", 0),
        ("gte", "a"),
        ("lt", 0),
        ("lte", 10),
        ("in", [None]),
        ("contains", ""),
        ("startswith", ""),
        ("exists", True),
    ],
)
def test_a_missing_path_is_false_for_every_operator(op, value):
    for path in ("nothing", "order.nothing", "order.total.deeper", "order.items.5.sku"):
        assert compile_filter(cond(path, op, value))(ORDER) is False


def test_a_missing_path_is_not_equal_and_does_not_exist():
    assert matches(cond("order.status", "ne", "cancelled"), ORDER) is True
    assert matches(cond("order.status", "exists", False), ORDER) is True
    # ... also when the payload is not an object at all
    assert matches(cond("a", "ne", 1), 42) is True
    assert matches(cond("a", "eq", 1), [1]) is False


def test_array_indexing():
    assert matches(cond("order.items.0.sku", "eq", "SKU-1"), ORDER)
    assert matches(cond("order.items.1.qty", "eq", 1), ORDER)
    assert not matches(cond("order.items.2.sku", "exists"), ORDER)
    assert matches(cond("0.1", "eq", "b"), [["a", "b"]])  # a list at the root
    # leading zeros, signs and spaces do not index arrays
    for segment in ("01", "-1", "+1", " 1", "1 "):
        assert not matches(cond(f"order.items.{segment}", "exists"), ORDER), segment
    # on an object a digit segment is a plain key
    assert matches(cond("codes.0", "eq", "x"), {"codes": {"0": "x"}})
    assert matches(cond("codes.01", "eq", "y"), {"codes": {"01": "y"}})


def test_number_edge_cases():
    assert matches(cond("n", "eq", 1), {"n": 1.0})
    assert not matches(cond("n", "eq", 1), {"n": True})
    assert not matches(cond("n", "eq", True), {"n": 1})
    assert not matches(cond("n", "eq", 0), {"n": False})
    assert matches(cond("n", "gt", 2**53), {"n": 2**53 + 1})  # big ints stay exact
    assert not matches(cond("n", "eq", 2**53), {"n": 2**53 + 1})
    assert matches(cond("n", "in", [2, 3]), {"n": 3.0})
    assert not matches(cond("n", "in", [True]), {"n": 1})
    assert not matches(cond("n", "in", [1]), {"n": True})
    nan = {"n": math.nan}  # json.loads accepts NaN: it equals and orders with nothing
    for op, value in (("eq", 1), ("gt", 1), ("lt", 1), ("gte", 1), ("in", [1])):
        assert not matches(cond("n", op, value), nan)
    assert matches(cond("n", "ne", 1), nan)
    # strings and numbers never order against each other
    assert not matches(cond("n", "lt", "z"), {"n": 1})
    assert not matches(cond("n", "gte", 0), {"n": "1"})
    assert not matches(cond("n", "gte", 0), {"n": None})
    assert matches(cond("s", "lt", "b"), {"s": "B"})  # code point order: "B" < "b"


def test_combinators():
    big = cond("order.total", "gt", 100)
    german = cond("order.customer.country", "eq", "DE")
    french = cond("order.customer.country", "eq", "FR")
    assert matches({"all": [big, german]}, ORDER)
    assert not matches({"all": [big, french]}, ORDER)
    assert matches({"any": [french, big]}, ORDER)
    assert not matches({"any": [french, {"not": big}]}, ORDER)
    assert matches({"not": french}, ORDER)
    assert not matches({"not": {"not": french}}, ORDER)
    assert matches({"all": [{"any": [french, german]}, {"not": {"all": [big, french]}}]}, ORDER)
    assert matches({"all": []}, ORDER) and not matches({"any": []}, ORDER)
    assert matches({"not": {"any": []}}, ORDER)
    assert matches({"all": [big]}, ORDER) and not matches({"any": [french]}, ORDER)


def test_empty_filters_match_everything():
    for tree in (None, {}):
        for payload in (ORDER, None, [], 0, "x"):
            assert matches(tree, payload) and compile_filter(tree)(payload)
        assert validate_filter(tree) == []
    # ... but only as the whole filter: a nested {} is an unfinished edit
    assert validate_filter({"all": [{}]}) == [
        "all[0]: empty node: give a condition (path, op, value) or all/any/not"
    ]


def test_matches_caches_and_refuses_invalid_trees():
    filters._cache.clear()
    tree = {"all": [cond("a", "eq", 1)]}
    assert matches(tree, {"a": 1.0}) and not matches(tree, {"a": True})
    assert matches({"all": [{"value": 1, "op": "eq", "path": "a"}]}, {"a": 1})
    assert len(filters._cache) == 1  # keyed by canonical JSON: key order does not matter
    with pytest.raises(ValueError, match="unknown operator"):
        matches(cond("a", "gtx", 1), {})
    with pytest.raises(FilterError) as info:
        compile_filter({"any": [cond("a", "gt", [1]), 3]})
    assert info.value.errors == [
        "any[0].value: operator 'gt' needs a number or a string, got a list",
        "any[1]: must be an object, got a number",
    ]
    assert len(filters._cache) == 1


def test_explain_lists_every_condition():
    tree = {
        "any": [
            cond("order.customer.country", "in", ["FR", "NL"]),
            {"not": cond("order.refund", "exists")},
            cond("order.total", "gt", 100),
        ]
    }
    report = explain(tree, ORDER)
    assert report["matched"] is True and report["errors"] == []
    assert report["conditions"] == [
        {
            "location": "any[0]",
            "path": "order.customer.country",
            "op": "in",
            "value": ["FR", "NL"],
            "actual": "DE",
            "found": True,
            "result": False,
        },
        {
            "location": "any[1].not",
            "path": "order.refund",
            "op": "exists",
            "value": None,
            "actual": None,
            "found": False,
            "result": False,
        },
        {
            "location": "any[2]",
            "path": "order.total",
            "op": "gt",
            "value": 100,
            "actual": 250,
            "found": True,
            "result": True,
        },
    ]
    assert explain(None, ORDER) == {"matched": True, "errors": [], "conditions": []}
    bad = explain({"all": [cond("x", "nope")]}, ORDER)
    assert bad["matched"] is False and bad["conditions"] == []
    assert bad["errors"][0].startswith("all[0].op: unknown operator 'nope'")


# --- validation messages ----------------------------------------------------------------------

OPS = "eq, ne, gt, gte, lt, lte, in, contains, startswith, exists"


def _deep(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = cond("a", "exists")
    for _ in range(levels - 1):
        node = {"not": node}
    return node


@pytest.mark.parametrize(
    "tree, messages",
    [
        ([], ["filter: must be an object, got a list"]),
        ("a > 1", ["filter: must be an object, got a string"]),
        ({"all": [1]}, ["all[0]: must be an object, got a number"]),
        ({"all": {"path": "a"}}, ["all: must be a list of filter nodes, got an object"]),
        ({"not": []}, ["not: must be a filter node (an object), got a list"]),
        (
            {"all": [cond("a", "eq", 1)], "pth": "a"},
            [
                "filter: unknown key 'pth' (a combinator uses one of all, any, not; "
                "a condition uses path, op, value)"
            ],
        ),
        (
            {"all": [], "path": "a", "op": "eq", "value": 1},
            [
                "filter: mixes combinator 'all' with condition keys 'path', 'op', 'value': "
                "put the condition inside the combinator's list"
            ],
        ),
        (
            {"all": [], "any": []},
            ["filter: has both 'all' and 'any': use one combinator per node and nest them"],
        ),
        (
            {"op": "eq", "value": 1},
            ["path: missing (a dotted path into the payload, e.g. order.total)"],
        ),
        ({"any": [{"path": 3, "op": "exists"}]}, ["any[0].path: must be a string, got a number"]),
        (cond("", "exists"), ["path: must not be empty"]),
        (
            cond("order..total", "exists"),
            ["path: empty segment in 'order..total' (segments are separated by single dots)"],
        ),
        (
            cond(".a", "exists"),
            ["path: empty segment in '.a' (segments are separated by single dots)"],
        ),
        (cond("a" * 201, "exists"), ["path: at most 200 characters (got 201)"]),
        (
            {"all": [1, 2, cond("total", "gtx", 1)]},
            [
                "all[0]: must be an object, got a number",
                "all[1]: must be an object, got a number",
                f"all[2].op: unknown operator 'gtx' (use one of {OPS})",
            ],
        ),
        ({"path": "a"}, [f"op: missing (use one of {OPS})"]),
        ({"path": "a", "op": ["eq"]}, [f"op: unknown operator ['eq'] (use one of {OPS})"]),
        ({"not": cond("a", "eq")}, ["not.value: missing: operator 'eq' needs a value"]),
        (cond("a", "gt"), ["value: missing: operator 'gt' needs a value"]),
        (cond("a", "in", "DE"), ["value: operator 'in' needs a list of values, got a string"]),
        (cond("a", "startswith", 1), ["value: operator 'startswith' needs a string, got a number"]),
        (cond("a", "gte", None), ["value: operator 'gte' needs a number or a string, got null"]),
        (cond("a", "lt", True), ["value: operator 'lt' needs a number or a string, got a boolean"]),
        (
            cond("a", "exists", "yes"),
            ["value: operator 'exists' takes true or false, got a string"],
        ),
        (
            cond("a", "eq", [1, math.nan]),
            ["value: must be plain JSON (no NaN, Infinity or non-JSON types)"],
        ),
        (
            _deep(21),
            [
                "not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not: "
                "nested too deeply (at most 20 levels)"
            ],
        ),
        (
            {"any": [cond(f"f{i}", "exists") for i in range(201)]},
            ["filter: too many conditions: 201 (at most 200)"],
        ),
    ],
)
def test_validation_messages(tree, messages):
    assert validate_filter(tree) == messages
    with pytest.raises(FilterError) as info:
        compile_filter(tree)
    assert info.value.errors == messages


def test_validation_limits_are_inclusive():
    assert validate_filter(_deep(20)) == []
    assert validate_filter({"any": [cond(f"f{i}", "exists") for i in range(200)]}) == []
    assert validate_filter(cond("a" * 200, "exists")) == []
    assert validate_filter(cond("a", "exists")) == []  # exists needs no value


def test_many_problems_are_capped():
    errors = validate_filter({"all": list(range(500))})
    assert len(errors) == 51 and errors[-1] == "... and 450 more problems"


def test_very_deep_input_neither_recurses_nor_raises():
    tree = _deep(50_000)  # far beyond the interpreter's recursion limit
    assert validate_filter(tree)[0].endswith("nested too deeply (at most 20 levels)")
    with pytest.raises(ValueError):
        matches(tree, {})  # not JSON-encodable at this depth either: still a ValueError
    deep_value: Any = 1
    for _ in range(50_000):
        deep_value = [deep_value]
    # a value nested past the limit of every stored JSON value is refused, not recursed into
    assert validate_filter(cond("a", "eq", deep_value)) == [
        f"value: nested too deeply (at most {jsonvalues.MAX_DEPTH} levels)"
    ]
    at_limit: Any = 1
    for _ in range(jsonvalues.MAX_DEPTH):
        at_limit = [at_limit]
    node = cond("a", "eq", at_limit)
    assert validate_filter(node) == []
    assert matches(node, {"a": deep_value[0][0]}) is False  # a deeper payload matches nothing
    assert matches(node, {"a": at_limit}) and not matches(node, {"a": [[1]]})
    assert matches(cond("a", "contains", at_limit), {"a": [0, at_limit]})


# --- property tests against a reference evaluator ----------------------------------------------

_ABSENT = object()


def reference_lookup(payload: Any, path: str) -> Any:
    current = payload
    for segment in path.split("."):
        if isinstance(current, dict):
            if segment not in current:
                return _ABSENT
            current = current[segment]
        elif isinstance(current, list):
            is_index = segment.isascii() and segment.isdigit()
            if not is_index or (len(segment) > 1 and segment[0] == "0"):
                return _ABSENT
            if int(segment) >= len(current):
                return _ABSENT
            current = current[int(segment)]
        else:
            return _ABSENT
    return current


def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def reference_equal(a: Any, b: Any) -> bool:
    if json_kind(a) != json_kind(b):
        return False
    if json_kind(a) == "array":
        return len(a) == len(b) and all(reference_equal(x, y) for x, y in zip(a, b, strict=True))
    if json_kind(a) == "object":
        return set(a) == set(b) and all(reference_equal(a[k], b[k]) for k in a)
    return a == b


def reference(node: Any, payload: Any) -> bool:
    if node is None or node == {}:
        return True
    if "all" in node:
        return all(reference(child, payload) for child in node["all"])
    if "any" in node:
        return any(reference(child, payload) for child in node["any"])
    if "not" in node:
        return not reference(node["not"], payload)
    actual = reference_lookup(payload, node["path"])
    op = node["op"]
    if op == "exists":
        return (actual is not _ABSENT) == node.get("value", True)
    value = node["value"]
    if op == "ne":
        return actual is _ABSENT or not reference_equal(actual, value)
    if actual is _ABSENT:
        return False
    if op == "eq":
        return reference_equal(actual, value)
    if op in ("gt", "gte", "lt", "lte"):
        kinds = (json_kind(actual), json_kind(value))
        if kinds not in (("number", "number"), ("string", "string")):
            return False
        if op == "gt":
            return actual > value
        if op == "gte":
            return actual >= value
        if op == "lt":
            return actual < value
        return actual <= value
    if op == "in":
        return any(reference_equal(actual, member) for member in value)
    if op == "contains":
        if json_kind(actual) == "string" and json_kind(value) == "string":
            return value in actual
        if json_kind(actual) == "array":
            return any(reference_equal(member, value) for member in actual)
        return False
    if op == "startswith":
        return json_kind(actual) == json_kind(value) == "string" and actual.startswith(value)
    raise AssertionError(op)


# Few keys, few small values: generated paths often exist and values often collide.
KEYS = ["a", "b", "0", "1", "01"]
small_text = st.sampled_from(["", "a", "ab", "b", "A", "0", "1", "ba"])
numbers = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, 2.5, 2**53, 2**53 + 1, float(2**53)]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, small_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)
payloads = st.recursive(
    st.one_of(scalars, st.just(math.nan)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=25,
)
paths = st.lists(st.sampled_from(KEYS), min_size=1, max_size=3).map(".".join)


@st.composite
def conditions(draw) -> dict[str, Any]:
    op = draw(st.sampled_from(filters.OPERATORS))
    node: dict[str, Any] = {"path": draw(paths), "op": op}
    if op == "exists":
        flag = draw(st.one_of(st.none(), st.booleans()))
        if flag is not None:
            node["value"] = flag
    elif op == "in":
        node["value"] = draw(st.lists(json_values, max_size=4))
    elif op == "startswith":
        node["value"] = draw(small_text)
    elif op in filters.ORDERING_OPS:
        node["value"] = draw(st.one_of(numbers, small_text))
    else:
        node["value"] = draw(json_values)
    return node


trees = st.recursive(
    conditions(),
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda c: {"all": c}),
        st.lists(children, max_size=4).map(lambda c: {"any": c}),
        children.map(lambda c: {"not": c}),
    ),
    max_leaves=12,
)


def _conditions_of(node: Any) -> list[dict[str, Any]]:
    if "all" in node or "any" in node:
        return [c for child in node.get("all", node.get("any")) for c in _conditions_of(child)]
    if "not" in node:
        return _conditions_of(node["not"])
    return [node] if node else []


def _plant(payload: Any, path: str, value: Any, as_list: bool) -> Any:
    """``payload`` with ``value`` written at ``path``, building objects (or, for an index
    segment when ``as_list``, arrays) on the way and overwriting whatever is in the way."""
    segment, _, rest = path.partition(".")
    index = int(segment) if segment.isdigit() and str(int(segment)) == segment else None
    if as_list and index is not None:
        container = payload if isinstance(payload, list) else []
        container = container + [None] * (index + 1 - len(container))
        key: Any = index
    else:
        container = dict(payload) if isinstance(payload, dict) else {}
        key = segment
    child = container[key] if isinstance(container, list) else container.get(key)
    container[key] = _plant(child, rest, value, as_list) if rest else value
    return container


@st.composite
def tree_and_payload(draw) -> tuple[dict[str, Any], Any]:
    """A tree and a payload with values planted at most of its paths: near the condition's own
    value (equal, a neighbour, of another type) so that results go both ways."""
    tree = draw(st.one_of(st.just({}), trees))
    payload = draw(st.one_of(payloads, st.dictionaries(st.sampled_from(KEYS), payloads)))
    for node in _conditions_of(tree):
        if not draw(st.integers(0, 4)):
            continue  # leave this path to chance
        value = node.get("value")
        if node["op"] == "in" and value:
            value = draw(st.sampled_from(value))
        elif node["op"] in ("contains", "startswith") and isinstance(value, str):
            value = draw(st.sampled_from([value, value + "x", "x" + value, value[:-1]]))
        elif node["op"] == "contains":
            value = [draw(json_values), value]
        candidates = [value, draw(json_values)]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            candidates += [value + 1, value - 1, float(value), bool(value)]
        payload = _plant(
            payload, node["path"], draw(st.sampled_from(candidates)), draw(st.booleans())
        )
    return tree, payload


@settings(max_examples=600, deadline=None)
@given(case=tree_and_payload())
def test_compiled_filters_agree_with_the_reference(case):
    tree, payload = case
    assert validate_filter(tree) == []
    expected = reference(tree, payload)
    assert compile_filter(tree)(payload) is expected
    assert matches(tree, payload) is expected
    assert explain(tree, payload)["matched"] is expected


any_json = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), small_text
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(["all", "any", "not", "path", "op", "value"]), st.text()),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=30,
)
# Almost-valid trees: right shapes with wrong parts, so validation's every branch is reached.
loose_conditions = st.fixed_dictionaries(
    {},
    optional={
        "path": st.one_of(paths, st.sampled_from(["", "a..b", ".", "x" * 201]), any_json),
        "op": st.one_of(st.sampled_from([*filters.OPERATORS, "gtx", "EQ"]), any_json),
        "value": any_json,
        "extra": any_json,
    },
)
loose_trees = st.recursive(
    st.one_of(loose_conditions, conditions(), any_json),
    lambda children: st.one_of(
        st.dictionaries(
            st.sampled_from(["all", "any", "not", "path"]),
            st.one_of(st.lists(children, max_size=4), children),
            min_size=1,
            max_size=2,
        ),
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=st.one_of(any_json, loose_trees, trees), payload=payloads)
def test_validate_never_raises_and_compile_accepts_exactly_the_valid(tree, payload):
    errors = validate_filter(tree)
    assert isinstance(errors, list) and all(isinstance(e, str) and e for e in errors)
    if errors:
        with pytest.raises(FilterError) as info:
            compile_filter(tree)
        assert info.value.errors == errors
        with pytest.raises(ValueError):
            matches(tree, payload)
        assert explain(tree, payload) == {"matched": False, "errors": errors, "conditions": []}
    else:
        assert compile_filter(tree)(payload) is reference(tree, payload)


# --- through the script services ----------------------------------------------------------------


@pytest.fixture
def env(host_app):
    app, db, ext = host_app
    with tenancy.tenant_scope("acme"):
        yield app, db, app.extensions["jsscripts"]


def _create_event_script(env, event_filter):
    app, db, state = env
    return scripts.create_script(
        db.session,
        ScriptInput(
            name="big-orders",
            source="function main(ctx) { return 1 }",
            type="event",
            event_types=["order.created"],
            event_filter=event_filter,
        ),
        config=app.config,
        runtime=state.runtime,
        actor="u1",
    )


def test_saving_an_invalid_filter_is_a_validation_error(env):
    bad = {"all": [cond("total", "gt", 100), cond("total", "gtx", 1), {"not": cond("a", "in", 1)}]}
    with pytest.raises(ValidationError) as info:
        _create_event_script(env, bad)
    assert info.value.errors["event_filter"] == [
        f"all[1].op: unknown operator 'gtx' (use one of {OPS})",
        "all[2].not.value: operator 'in' needs a list of values, got a number",
    ]
    _, db, _ = env
    assert db.session.scalar(select(Script).where(Script.name == "big-orders")) is None


def test_saving_a_valid_filter_stores_it(env):
    good = {"any": [cond("total", "gt", 100), cond("customer.country", "in", ["DE"])]}
    saved = _create_event_script(env, good)
    assert [s.filter for s in saved.script.subscriptions] == [good]


def test_matching_follows_every_change_of_the_subscriptions_at_once(env):
    """The dispatcher keeps each tenant's subscriptions compiled in memory; every save,
    status change and delete is seen by the very next event (no waiting for a timeout)."""
    app, db, state = env

    def matching(payload):
        return [
            sid for sid, _ in events._matching_scripts(db.session, "acme", "order.created", payload)
        ]

    big = cond("total", "gt", 100)
    script = _create_event_script(env, big).script
    assert matching({"total": 50}) == []  # a draft: not matched
    scripts.set_status(db.session, script.id, "active")
    assert matching({"total": 500}) == [script.id]
    assert matching({"total": 50}) == []
    small = ScriptInput(
        name="big-orders",
        source="function main(ctx) { return 1 }",
        type="event",
        status="active",
        event_types=["order.*"],
        event_filter=cond("total", "lt", 100),
    )
    scripts.update_script(db.session, script.id, small, config=app.config, runtime=state.runtime)
    assert matching({"total": 50}) == [script.id]
    assert matching({"total": 500}) == []
    scripts.set_status(db.session, script.id, "paused")
    assert matching({"total": 50}) == []
    scripts.set_status(db.session, script.id, "active")
    assert matching({"total": 50}) == [script.id]
    scripts.delete_script(db.session, script.id)
    assert matching({"total": 50}) == []
