"""JSON that comes from outside (request bodies, form fields, CLI options, import files, values
a script hands to ``sdk.*``): parsed, and checked against what the rest of the extension can
hold, in one place.

* **Nesting** at most :data:`MAX_DEPTH` arrays/objects. Python's parser and ``json.dumps``
  recurse: a deep value would raise RecursionError further down (in SQLAlchemy's flush, in
  the sandbox runtime) instead of a clear refusal here.
* **Numbers** finite and within a double's range: JavaScript has no others, and PostgreSQL's
  json type refuses NaN and Infinity. Integers beyond 2**53 stand for the double nearest to
  them (:func:`js_integer`), as they do in JavaScript.
* **Types**: dict with string keys, list or tuple, str, int, float, bool, None.

No Flask, no database, nothing else of this package imported: every layer may use it.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Final

MAX_DEPTH: Final = 200
SAFE_INTEGER: Final = 2**53  # past it, not every integer is a double
_DOUBLE_MAX: Final = sys.float_info.max


class JSONValueError(ValueError):
    """Input that is not JSON the extension can take. ``reason``: ``invalid`` (not JSON
    text), ``too_deep``, ``out_of_range`` (NaN, Infinity or a number beyond a double) or
    ``not_json`` (a Python value of no JSON type)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _too_deep() -> JSONValueError:
    return JSONValueError("too_deep", f"nested deeper than {MAX_DEPTH} levels")


def refuse_constant(name: str) -> Any:
    """``parse_constant`` hook: ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON."""
    raise ValueError(f"{name} is not JSON")


def finite_float(text: str) -> float:
    """``parse_float`` hook: a number beyond a double's range (``1e999``) is refused."""
    value = float(text)
    if math.isinf(value):
        raise ValueError("number beyond the range of a double")
    return value


def js_integer(value: int) -> int:
    """``value`` as JavaScript holds it: beyond 2**53 the nearest double's integer (JavaScript
    prints 2**60 as 1152921504606847000 and means 2**60). Raises JSONValueError
    (``out_of_range``) beyond a double's range."""
    if -SAFE_INTEGER <= value <= SAFE_INTEGER:
        return value
    if not -_DOUBLE_MAX <= value <= _DOUBLE_MAX:
        raise JSONValueError("out_of_range", "a number is too large for JavaScript")
    return int(float(value))


def parse_js_integer(text: str) -> int:
    """``parse_int`` hook reading integers the way JavaScript does (:func:`js_integer`)."""
    return js_integer(int(text))


def as_js_numbers(value: Any) -> Any:
    """``value`` with every integer run through :func:`js_integer` (tuples become lists)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return js_integer(value)
    if isinstance(value, dict):
        return {k: as_js_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_js_numbers(v) for v in value]
    return value


# One decoder: json.loads with a hook builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=refuse_constant)


def parse(text: str | bytes) -> Any:
    """The value of JSON ``text`` (bytes: UTF-8, -16 or -32, detected as ``json.loads``
    does). Raises JSONValueError (``invalid`` or ``too_deep``) and nothing else.

    ``NaN`` and ``Infinity`` literals are refused; numbers are not range-checked here (a
    caller that stores or runs the value calls :func:`check`)."""
    try:
        if isinstance(text, bytes | bytearray):
            # json.loads' own detection (BOM-less UTF-8/16/32), without its per-call decoder
            text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
        value = _DECODER.decode(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise JSONValueError("invalid", str(exc)) from None
    # A text with at most MAX_DEPTH opening brackets cannot nest deeper: skip the walk.
    if text.count("[") + text.count("{") > MAX_DEPTH and _deeper_than_allowed(value):
        raise _too_deep()
    return value


def check(value: Any, *, exact: bool = False) -> None:
    """Raise JSONValueError unless ``value`` is JSON within the limits above. Iterative, one
    level of nesting at a time, so that no depth of input can exhaust the stack here.

    By default a value is taken as ``json.dumps`` writes it (tuples as arrays, int, float,
    bool and None keys as strings); ``exact`` also refuses those, for values that must read
    back from the database equal to what was given."""
    level = [value]
    depth = 0
    while level:
        deeper: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is dict or (kind is not list and isinstance(item, dict)):
                _check_keys(item, exact)
                children = item.values()
            elif isinstance(item, list) or (not exact and isinstance(item, tuple)):
                children = item
            else:  # the top-level value itself is a scalar
                _check_scalar(item, exact)
                continue
            for child in children:
                kind = type(child)
                if kind is str or kind is bool or child is None:
                    continue
                if kind is int:
                    if -_DOUBLE_MAX <= child <= _DOUBLE_MAX:
                        continue
                elif kind is float:
                    if child - child == 0:  # neither NaN nor an infinity
                        continue
                elif kind is dict or kind is list:
                    deeper.append(child)
                    continue
                if _is_container(child, exact):
                    deeper.append(child)
                else:
                    _check_scalar(child, exact)
        if deeper:
            depth += 1
            if depth >= MAX_DEPTH:
                raise _too_deep()
        level = deeper


def _is_container(value: Any, exact: bool) -> bool:
    if isinstance(value, dict | list):
        return True
    return not exact and isinstance(value, tuple)


def _check_keys(item: dict[Any, Any], exact: bool) -> None:
    for key in item:
        if isinstance(key, str):
            continue
        if exact or not (key is None or isinstance(key, int | float)):
            raise JSONValueError("not_json", "object keys must be strings")
        _check_scalar(key, exact)


def _check_scalar(value: Any, exact: bool) -> None:
    if value is None or isinstance(value, str | bool):
        return
    if isinstance(value, int):
        js_integer(value)
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise JSONValueError("out_of_range", "NaN and Infinity are not JSON")
        return
    raise JSONValueError("not_json", f"a {type(value).__name__} is not a JSON value")


def _deeper_than_allowed(value: Any) -> bool:
    """Whether a parsed value (dicts, lists, scalars only) nests past MAX_DEPTH: containers
    only, one level at a time."""
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return True
        deeper = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) is dict or type(child) is list:
                    deeper.append(child)
        level = deeper
    return False
