"""Tests of the services, the models and tenancy, on SQLite and PostgreSQL.

The fixtures they share, from the modules in tests/."""

from __future__ import annotations

from data_fixtures import *  # noqa: F403
