"""Shared fixtures and the suite's own settings."""

from __future__ import annotations

import pytest
from data_fixtures import drop_pg_databases

from flask_jsscripts.runtime import Runtime


@pytest.fixture(scope="session")
def rt():
    """One sandbox runtime for every test that does not need its own (starting one costs
    ~0.3 s). Tests that kill workers or close the runtime make their own."""
    runtime = Runtime(workers=2)
    yield runtime
    runtime.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_pg_databases()
