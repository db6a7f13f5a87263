"""Shared fixtures and the suite's own settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_fixtures import drop_pg_databases

from flask_jsscripts.runtime import Runtime

# Whole modules marked ``slow`` (``./dev test -m "not slow"`` leaves them out): they drive
# Chromium, start consumer processes, gunicorn or PostgreSQL clusters, or fuzz for minutes.
SLOW_MODULES = {
    "test_browser.py",
    "test_browser_endpoints.py",
    "test_deploy.py",
    "test_events_consumer.py",
    "test_example_app.py",
    "test_fuzz_parsers.py",
    "test_operations_health.py",
    "test_operations_metrics.py",
    "test_operations_shutdown.py",
    "test_services_fuzz.py",
}


@pytest.fixture(scope="session")
def rt():
    """One sandbox runtime for every test that does not need its own (starting one costs
    ~0.3 s). Tests that kill workers or close the runtime make their own."""
    runtime = Runtime(workers=2)
    yield runtime
    runtime.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_pg_databases()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(item.path).name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
