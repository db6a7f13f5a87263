"""Compiling a valid filter tree into one predicate over payloads, and JSON equality."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .language import INDEX_RE, MISSING, ORDERING_OPS, FilterError, Predicate, is_number
from .validation import validate_filter

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
        elif is_number(x):
            if not is_number(y) or x != y:
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
    if is_number(value):
        # == alone would let True match 1
        return lambda x: x == value and x is not True and x is not False
    return lambda x: _json_equal(x, value)


def _member_of(members: list[Any]) -> Predicate:
    """A test "x is JSON-equal to one of members", using hash sets for the scalar members."""
    strings = {m for m in members if isinstance(m, str)}
    numbers = {m for m in members if is_number(m)}  # hash(1) == hash(1.0): 1 finds 1.0
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


def getter(path: str) -> Callable[[Any], Any]:
    """A function returning the payload value at ``path``, or MISSING when it is absent."""
    steps = tuple(
        (segment, int(segment) if INDEX_RE.fullmatch(segment) else None)
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
                    return MISSING

            return get_1
        if len(keys) == 2:
            k1, k2 = keys

            def get_2(doc: Any) -> Any:
                try:
                    return doc[k1][k2]
                except (KeyError, TypeError):
                    return MISSING

            return get_2

        def get_keys(doc: Any) -> Any:
            try:
                for key in keys:
                    doc = doc[key]
                return doc
            except (KeyError, TypeError):
                return MISSING

        return get_keys

    # With an index segment the container's type decides: a list is indexed, an object looks
    # the segment up as a key, and a string must not be indexed at all (so no plain subscript).
    def get(doc: Any) -> Any:
        for key, index in steps:
            if isinstance(doc, dict):
                doc = doc.get(key, MISSING)
                if doc is MISSING:
                    return MISSING
            elif index is not None and isinstance(doc, list) and index < len(doc):
                doc = doc[index]
            else:
                return MISSING
        return doc

    return get


_ORDERINGS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
_NUMBER_TYPES = (int, float)


def compile_condition(node: dict[str, Any]) -> Predicate:
    """One closure per condition that reads the path and applies the operator itself: an extra
    Python call per condition adds up over a thousand subscriptions per event.

    None of the tests below need a "found" check: MISSING is an object that equals, orders
    with and contains nothing, so each test is already false for it (and ``ne`` true)."""
    get = getter(node["path"])
    op = node["op"]
    value = node.get("value")
    if op == "exists":
        if node.get("value", True):
            return lambda doc: get(doc) is not MISSING
        return lambda doc: get(doc) is MISSING
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
    return compile_condition(node)


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
