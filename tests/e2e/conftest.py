"""Tests of whole stacks: Chromium, consumer processes and the example app.

The fixtures they share, from the modules in tests/."""

from __future__ import annotations

from consumer_fixtures import *  # noqa: F403
