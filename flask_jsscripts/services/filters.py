"""Event subscription filters: a small JSON tree of conditions matched against event payloads.

A filter is a tree of nodes, each a JSON object that is either a combinator or a condition::

    {"all": [node, ...]}        every child matches (an empty list matches)
    {"any": [node, ...]}        at least one child matches (an empty list never matches)
    {"not": node}               the child does not match
    {"path": "order.total", "op": "gt", "value": 100}

An empty object ``{}`` or ``None`` *as the whole filter* matches every payload; an empty object
nested inside a combinator is an error (it is almost always an unfinished edit in the UI).

Paths are dotted: each segment is an object key; a segment written as a non-negative integer
without leading zeros (``0``, ``12``, not ``01``) also indexes arrays, so ``items.0.sku`` reads
``payload["items"][0]["sku"]``. Keys that contain a dot cannot be addressed. A path is *found*
when every step exists, even if the value at the end is ``null``.

Operators and their exact semantics (``x`` is the payload value at the path, ``v`` the value):

``eq`` / ``ne``
    JSON equality, recursively for arrays and objects: numbers compare by value (``1`` equals
    ``1.0``) but booleans are not numbers (``true`` does not equal ``1``, although Python says
    ``True == 1``). ``ne`` is exactly ``not eq``, so it is **true when the path is missing**:
    "status is not cancelled" should hold for an event that has no status at all.
``gt`` ``gte`` ``lt`` ``lte``
    Only between two numbers (booleans excluded) or two strings (compared by Unicode code
    point); any other pairing, NaN in the payload, or a missing path is false.
``in``
    ``v`` is a list; true when ``x`` is JSON-equal to one of its members.
``contains``
    ``x`` is a string and ``v`` a string it contains, or ``x`` is a list with a member
    JSON-equal to ``v``. Anything else (objects included) is false.
``startswith``
    ``x`` and ``v`` are both strings and ``x`` starts with ``v``.
``exists``
    ``v`` is optional and boolean (default true): true when the path is found, or when it is
    absent for ``"value": false``.

On a missing path every operator is false except ``ne`` and ``exists: false``.

Payloads are expected to be what ``json.loads`` produces (dict, list, str, int, float, bool,
None); any other Python object equals nothing, orders with nothing and contains nothing.

Module has no Flask imports: it runs in the event dispatcher and in the UI's "test this filter"
view alike.
"""

from __future__ import annotations

import json
import operator
import re
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

from ..runtime import jsonvalues

__all__ = [
    "COMBINATORS",
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_PATH_LENGTH",
    "OPERATORS",
    "FilterError",
    "compile_filter",
    "explain",
    "matches",
    "validate_filter",
]

Predicate = Callable[[Any], bool]

COMBINATORS = ("all", "any", "not")
CONDITION_KEYS = ("path", "op", "value")
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startswith", "exists")
ORDERING_OPS = ("gt", "gte", "lt", "lte")
MAX_DEPTH = 20  # levels of nodes, the root being level 1
MAX_CONDITIONS = 200
MAX_PATH_LENGTH = 200
# A pathological tree could produce one message per node; a form only needs the first few.
MAX_ERRORS = 50
CACHE_SIZE = 1024

# JSON Pointer's rule for array indices: no sign, no leading zeros (so "01" is only a key).
_INDEX_RE = re.compile(r"0|[1-9][0-9]*")
_MISSING: Any = object()  # "the path is absent", distinct from a JSON null
_OPS_TEXT = ", ".join(OPERATORS)


class FilterError(ValueError):
    """An invalid filter; ``errors`` holds every message validate_filter produced."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


# --- validation -----------------------------------------------------------------------------


def validate_filter(tree: Any) -> list[str]:
    """Every problem of ``tree`` as "location: message" lines; empty when the filter is valid.

    Never raises on any input: nesting is checked before descending (so recursion stays within
    MAX_DEPTH) and condition values are walked iteratively (``jsonvalues.check``: nested at
    most ``jsonvalues.MAX_DEPTH`` levels, as everywhere JSON is stored).
    """
    if tree is None or (isinstance(tree, dict) and not tree):
        return []
    state = _Validation()
    state.node(tree, "", 1)
    if state.conditions > MAX_CONDITIONS:
        state.add(
            "filter",
            f"too many conditions: {state.conditions} (at most {MAX_CONDITIONS})",
        )
    errors = state.errors
    if state.dropped:
        errors.append(f"... and {state.dropped} more problems")
    return errors


class _Validation:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dropped = 0
        self.conditions = 0

    def add(self, location: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{location or 'filter'}: {message}")
        else:
            self.dropped += 1

    def node(self, node: Any, loc: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            # reported once per over-deep branch, and never descended into
            self.add(loc, f"nested too deeply (at most {MAX_DEPTH} levels)")
            return
        if not isinstance(node, dict):
            self.add(loc, f"must be an object, got {_kind(node)}")
            return
        if not node:
            self.add(loc, "empty node: give a condition (path, op, value) or all/any/not")
            return
        keys = list(node)
        unknown = [k for k in keys if k not in COMBINATORS and k not in CONDITION_KEYS]
        for key in unknown:
            self.add(
                loc,
                f"unknown key {_show(key)} (a combinator uses one of all, any, not; "
                f"a condition uses path, op, value)",
            )
        combinators = [k for k in keys if k in COMBINATORS]
        condition_keys = [k for k in keys if k in CONDITION_KEYS]
        if combinators and condition_keys:
            self.add(
                loc,
                f"mixes combinator {_show(combinators[0])} with condition keys "
                f"{', '.join(map(_show, condition_keys))}: put the condition inside the "
                "combinator's list",
            )
            return
        if len(combinators) > 1:
            self.add(
                loc,
                f"has both {' and '.join(map(_show, combinators))}: use one combinator per "
                "node and nest them",
            )
            return
        if combinators:
            self.combinator(combinators[0], node[combinators[0]], loc, depth)
        elif condition_keys:
            self.condition(node, loc)
        # only unknown keys: already reported

    def combinator(self, name: str, children: Any, loc: str, depth: int) -> None:
        here = f"{loc}.{name}" if loc else name
        if name == "not":
            if not isinstance(children, dict):
                self.add(here, f"must be a filter node (an object), got {_kind(children)}")
                return
            self.node(children, here, depth + 1)
            return
        if not isinstance(children, list):
            self.add(here, f"must be a list of filter nodes, got {_kind(children)}")
            return
        for index, child in enumerate(children):
            self.node(child, f"{here}[{index}]", depth + 1)

    def condition(self, node: dict[str, Any], loc: str) -> None:
        self.conditions += 1
        prefix = f"{loc}." if loc else ""
        if "path" not in node:
            self.add(prefix + "path", "missing (a dotted path into the payload, e.g. order.total)")
        else:
            problem = _path_problem(node["path"])
            if problem:
                self.add(prefix + "path", problem)
        if "op" not in node:
            self.add(prefix + "op", f"missing (use one of {_OPS_TEXT})")
            return
        op = node["op"]
        if not isinstance(op, str) or op not in OPERATORS:
            self.add(prefix + "op", f"unknown operator {_show(op)} (use one of {_OPS_TEXT})")
            return
        where = prefix + "value"
        if "value" not in node:
            if op != "exists":
                self.add(where, f"missing: operator {op!r} needs a value")
            return
        value = node["value"]
        problem = _json_problem(value)
        if problem == "too_deep":
            self.add(where, f"nested too deeply (at most {jsonvalues.MAX_DEPTH} levels)")
            return
        if problem is not None:
            self.add(where, "must be plain JSON (no NaN, Infinity or non-JSON types)")
            return
        if op == "exists":
            if not isinstance(value, bool):
                self.add(where, f"operator 'exists' takes true or false, got {_kind(value)}")
        elif op == "in":
            if not isinstance(value, list):
                self.add(where, f"operator 'in' needs a list of values, got {_kind(value)}")
        elif op == "startswith":
            if not isinstance(value, str):
                self.add(where, f"operator 'startswith' needs a string, got {_kind(value)}")
        elif op in ORDERING_OPS and not (_is_number(value) or isinstance(value, str)):
            self.add(where, f"operator {op!r} needs a number or a string, got {_kind(value)}")


def _path_problem(path: Any) -> str | None:
    if not isinstance(path, str):
        return f"must be a string, got {_kind(path)}"
    if not path:
        return "must not be empty"
    if len(path) > MAX_PATH_LENGTH:
        return f"at most {MAX_PATH_LENGTH} characters (got {len(path)})"
    if "" in path.split("."):
        return f"empty segment in {_show(path)} (segments are separated by single dots)"
    return None


def _is_number(value: Any) -> bool:
    # bool is a subclass of int in Python, but not a number in JSON
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _json_problem(value: Any) -> str | None:
    """None for JSON types only, finite numbers, string keys and bounded nesting; else the
    reason ``jsonvalues.check`` gives."""
    try:
        jsonvalues.check(value, exact=True)
    except jsonvalues.JSONValueError as exc:
        return exc.reason
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _show(value: Any) -> str:
    # messages are shown in a form: keep a long or hostile value from flooding it
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        # an int past 4300 digits or a structure too deep for repr
        return f"<{_kind(value)}>"
    return text if len(text) <= 60 else text[:57] + "..."


# --- JSON equality --------------------------------------------------------------------------


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality (1 == 1.0, True != 1), iterative so deep payloads cannot overflow."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, bool) or isinstance(y, bool):
            if x is not y:
                return False
        elif isinstance(x, str):
            if not isinstance(y, str) or x != y:
                return False
        elif _is_number(x):
            if not _is_number(y) or x != y:
                return False
        elif x is None:
            if y is not None:
                return False
        elif isinstance(x, list):
            if not isinstance(y, list) or len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif isinstance(x, dict):
            if not isinstance(y, dict) or x.keys() != y.keys():
                return False
            stack.extend((x[k], y[k]) for k in x)
        else:
            return False  # not a JSON value: equal to nothing, not even itself
    return True


def _equals(value: Any) -> Predicate:
    """A one-argument test "x is JSON-equal to value", specialised on value's type."""
    if value is None:
        return lambda x: x is None
    if isinstance(value, bool):
        return lambda x: x is value
    if isinstance(value, str):
        # no other JSON type compares equal to a str, so plain == is exact here
        return lambda x: x == value
    if _is_number(value):
        # == alone would let True match 1
        return lambda x: x == value and x is not True and x is not False
    return lambda x: _json_equal(x, value)


def _member_of(members: list[Any]) -> Predicate:
    """A test "x is JSON-equal to one of members", using hash sets for the scalar members."""
    strings = {m for m in members if isinstance(m, str)}
    numbers = {m for m in members if _is_number(m)}  # hash(1) == hash(1.0): 1 finds 1.0
    bools = {m for m in members if isinstance(m, bool)}
    has_null = any(m is None for m in members)
    compound = [m for m in members if isinstance(m, (list, dict))]

    def member(x: Any) -> bool:
        if isinstance(x, str):
            return x in strings
        if x is True or x is False:  # before numbers: True in {1} is true in Python
            return x in bools
        if x is None:
            return has_null
        if isinstance(x, (int, float)):
            return x in numbers
        if isinstance(x, (list, dict)):
            return any(_json_equal(x, m) for m in compound)
        return False

    return member


# --- compilation ----------------------------------------------------------------------------


def _getter(path: str) -> Callable[[Any], Any]:
    """A function returning the payload value at ``path``, or _MISSING when it is absent."""
    steps = tuple(
        (segment, int(segment) if _INDEX_RE.fullmatch(segment) else None)
        for segment in path.split(".")
    )
    if all(index is None for _, index in steps):
        # Key-only paths (nearly all of them) subscript directly: a list, string, number or
        # null in the way raises TypeError, an absent key KeyError, and a try block costs
        # nothing when the path is there, which is the case matching must make fast.
        keys = tuple(segment for segment, _ in steps)
        if len(keys) == 1:
            (k1,) = keys

            def get_1(doc: Any) -> Any:
                try:
                    return doc[k1]
                except (KeyError, TypeError):
                    return _MISSING

            return get_1
        if len(keys) == 2:
            k1, k2 = keys

            def get_2(doc: Any) -> Any:
                try:
                    return doc[k1][k2]
                except (KeyError, TypeError):
                    return _MISSING

            return get_2

        def get_keys(doc: Any) -> Any:
            try:
                for key in keys:
                    doc = doc[key]
                return doc
            except (KeyError, TypeError):
                return _MISSING

        return get_keys

    # With an index segment the container's type decides: a list is indexed, an object looks
    # the segment up as a key, and a string must not be indexed at all (so no plain subscript).
    def get(doc: Any) -> Any:
        for key, index in steps:
            if isinstance(doc, dict):
                doc = doc.get(key, _MISSING)
                if doc is _MISSING:
                    return _MISSING
            elif index is not None and isinstance(doc, list) and index < len(doc):
                doc = doc[index]
            else:
                return _MISSING
        return doc

    return get


_ORDERINGS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
_NUMBER_TYPES = (int, float)


def _compile_condition(node: dict[str, Any]) -> Predicate:
    """One closure per condition that reads the path and applies the operator itself: an extra
    Python call per condition adds up over a thousand subscriptions per event.

    None of the tests below need a "found" check: _MISSING is an object that equals, orders
    with and contains nothing, so each test is already false for it (and ``ne`` true)."""
    get = _getter(node["path"])
    op = node["op"]
    value = node.get("value")
    if op == "exists":
        if node.get("value", True):
            return lambda doc: get(doc) is not _MISSING
        return lambda doc: get(doc) is _MISSING
    if op == "eq" or op == "ne":
        test = _equals(value)
        if op == "ne":
            return lambda doc: not test(get(doc))
        if isinstance(value, str):
            # the most common condition, written out: no other JSON type equals a str
            return lambda doc: get(doc) == value
        return lambda doc: test(get(doc))
    if op in ORDERING_OPS:
        compare = _ORDERINGS[op]
        if isinstance(value, str):
            return lambda doc: isinstance(x := get(doc), str) and compare(x, value)

        # NaN in the payload compares false on every side, as it should
        def ordered(doc: Any) -> bool:
            x = get(doc)
            return (
                isinstance(x, _NUMBER_TYPES)
                and x is not True
                and x is not False
                and compare(x, value)
            )

        return ordered
    if op == "in":
        member = _member_of(value)
        return lambda doc: member(get(doc))
    if op == "contains":
        member_equals = _equals(value)
        text = value if isinstance(value, str) else None

        def contains(doc: Any) -> bool:
            x = get(doc)
            if isinstance(x, list):
                return any(member_equals(m) for m in x)
            return text is not None and isinstance(x, str) and text in x

        return contains
    if op == "startswith":
        return lambda doc: isinstance(x := get(doc), str) and x.startswith(value)
    raise AssertionError(f"unknown operator {op!r}")  # validation makes this unreachable


def _compile_node(node: dict[str, Any]) -> Predicate:
    # only called on validated trees: shape and depth are already known to be right
    if "not" in node:
        inner = _compile_node(node["not"])
        return lambda doc: not inner(doc)
    if "all" in node or "any" in node:
        is_all = "all" in node
        children = tuple(_compile_node(child) for child in node["all" if is_all else "any"])
        if not children:
            return (lambda doc: True) if is_all else (lambda doc: False)
        if len(children) == 1:
            return children[0]
        if is_all:
            # explicit loops, not all()/any() over a generator: half the cost per call
            def all_of(doc: Any) -> bool:
                for child in children:  # noqa: SIM110
                    if not child(doc):
                        return False
                return True

            return all_of

        def any_of(doc: Any) -> bool:
            for child in children:  # noqa: SIM110
                if child(doc):
                    return True
            return False

        return any_of
    return _compile_condition(node)


def _always(doc: Any) -> bool:
    return True


def compile_filter(tree: Any) -> Predicate:
    """A predicate ``payload -> bool`` for ``tree``, built once so each call is a few closure
    calls. Raises FilterError (a ValueError) listing every problem when the tree is invalid."""
    errors = validate_filter(tree)
    if errors:
        raise FilterError(errors)
    if not tree:
        return _always
    return _compile_node(tree)


# --- cached matching ------------------------------------------------------------------------

# One encoder instance: json.dumps with options builds a new encoder on every call.
_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_cache: OrderedDict[str, Predicate] = OrderedDict()
_cache_lock = Lock()  # the dispatcher may run in several threads


def matches(tree: Any, payload: Any) -> bool:
    """Whether ``payload`` passes ``tree``; compiled filters are kept in a small LRU cache
    keyed by the tree's canonical JSON. Raises FilterError (a ValueError) if it is invalid."""
    if tree is None or (isinstance(tree, dict) and not tree):
        return True
    try:
        key = _canonical(tree)
    except (TypeError, ValueError, RecursionError):
        # not cacheable JSON (so certainly invalid): let validation say why
        return compile_filter(tree)(payload)
    with _cache_lock:
        predicate = _cache.get(key)
        if predicate is not None:
            _cache.move_to_end(key)
    if predicate is None:
        predicate = compile_filter(tree)  # invalid trees raise and are not cached
        with _cache_lock:
            _cache[key] = predicate
            if len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return predicate(payload)


# --- explanation for the UI -----------------------------------------------------------------


def explain(tree: Any, payload: Any) -> dict[str, Any]:
    """What the "test this filter" view shows: the verdict, any validation errors, and every
    condition in document order with the payload value it saw and its own result (all are
    evaluated, even those a combinator would have short-circuited)."""
    errors = validate_filter(tree)
    if errors:
        return {"matched": False, "errors": errors, "conditions": []}
    conditions: list[dict[str, Any]] = []
    if tree:
        _explain_node(tree, payload, conditions, "")
    return {"matched": compile_filter(tree)(payload), "errors": [], "conditions": conditions}


def _explain_node(node: dict[str, Any], payload: Any, out: list[dict[str, Any]], loc: str) -> None:
    for name in COMBINATORS:
        if name in node:
            here = f"{loc}.{name}" if loc else name
            if name == "not":
                _explain_node(node[name], payload, out, here)
            else:
                for index, child in enumerate(node[name]):
                    _explain_node(child, payload, out, f"{here}[{index}]")
            return
    actual = _getter(node["path"])(payload)
    found = actual is not _MISSING
    out.append(
        {
            "location": loc or "filter",
            "path": node["path"],
            "op": node["op"],
            "value": node.get("value"),
            "actual": actual if found else None,
            "found": found,
            "result": _compile_condition(node)(payload),
        }
    )
