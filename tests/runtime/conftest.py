"""Tests of the sandbox runtime and the capabilities scripts reach through it.

The fixtures they share, from the modules in tests/."""

from __future__ import annotations

from data_fixtures import *  # noqa: F403
from web_fixtures import *  # noqa: F403
