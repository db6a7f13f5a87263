"""The filter language's vocabulary and limits (the package docstring describes the language)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

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
INDEX_RE = re.compile(r"0|[1-9][0-9]*")
MISSING: Any = object()  # "the path is absent", distinct from a JSON null
OPS_TEXT = ", ".join(OPERATORS)


class FilterError(ValueError):
    """An invalid filter; ``errors`` holds every message validate_filter produced."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def is_number(value: Any) -> bool:
    # bool is a subclass of int in Python, but not a number in JSON
    return isinstance(value, (int, float)) and not isinstance(value, bool)
