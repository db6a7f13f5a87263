"""Waiting for a condition another thread or process brings about: the one polling loop of
the suite. A short interval, because every test that waits pays up to one interval late."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.02) -> T:
    """``predicate()``'s first truthy value, or its last (falsy) value once ``timeout``
    seconds have passed. Always calls it at least once, and once more after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Like :func:`wait_until`, but a timeout fails the test with ``what`` it waited for."""
    value = wait_until(predicate, timeout, interval)
    if not value:
        pytest.fail(f"timed out after {timeout} s waiting for {what}")
    return value
