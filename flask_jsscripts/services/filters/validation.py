"""Checking a filter tree: every problem as a "location: message" line for the form."""

from __future__ import annotations

from typing import Any

from ...runtime import jsonvalues
from .language import (
    COMBINATORS,
    CONDITION_KEYS,
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_ERRORS,
    MAX_PATH_LENGTH,
    OPERATORS,
    OPS_TEXT,
    ORDERING_OPS,
    is_number,
)


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
            self.add(prefix + "op", f"missing (use one of {OPS_TEXT})")
            return
        op = node["op"]
        if not isinstance(op, str) or op not in OPERATORS:
            self.add(prefix + "op", f"unknown operator {_show(op)} (use one of {OPS_TEXT})")
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
        elif op in ORDERING_OPS and not (is_number(value) or isinstance(value, str)):
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
