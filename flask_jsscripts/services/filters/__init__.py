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
from collections import OrderedDict
from threading import Lock
from typing import Any

from .language import (
    CACHE_SIZE,
    COMBINATORS,
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_PATH_LENGTH,
    MISSING,
    OPERATORS,
    ORDERING_OPS,
    FilterError,
    Predicate,
)
from .predicates import compile_condition, compile_filter, getter
from .validation import validate_filter

__all__ = [
    "COMBINATORS",
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_ERRORS",
    "MAX_PATH_LENGTH",
    "OPERATORS",
    "ORDERING_OPS",
    "FilterError",
    "Predicate",
    "compile_filter",
    "explain",
    "matches",
    "validate_filter",
]

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
    actual = getter(node["path"])(payload)
    found = actual is not MISSING
    out.append(
        {
            "location": loc or "filter",
            "path": node["path"],
            "op": node["op"],
            "value": node.get("value"),
            "actual": actual if found else None,
            "found": found,
            "result": compile_condition(node)(payload),
        }
    )
