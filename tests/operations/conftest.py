"""Tests of the CLI, health, metrics, shutdown, deployment files, docs and packaging.

The fixtures they share, from the modules in tests/."""

from __future__ import annotations

from data_fixtures import *  # noqa: F403
