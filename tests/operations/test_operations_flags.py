"""Feature flags decide which Huey tasks exist: a trigger kind switched off has no task a
consumer could run, and the queue quietly takes nothing for it."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_jsscripts import JSScripts

EVERY_TASK = {
    "jsscripts.dispatch_events",
    "jsscripts.run_executions",
    "jsscripts.cron",
    "jsscripts.sweep",
    "jsscripts.prune",
}


@pytest.fixture
def make_app(tmp_path):
    made: list[Flask] = []

    def make(**config) -> Flask:
        app = Flask(f"flags_{len(made)}")
        app.config.update(
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / f'app{len(made)}.db'}",
            JSSCRIPTS_HUEY_URL="memory://",
            **config,
        )
        db = SQLAlchemy()
        db.init_app(app)
        JSScripts(app, db=db)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            app.extensions["jsscripts"].db.engine.dispose()


def registered(app: Flask) -> set[str]:
    """Task names in the Huey registry (Huey prefixes them with the defining module)."""
    huey = app.extensions["jsscripts"].huey
    return {key.removeprefix("flask_jsscripts.tasks.") for key in huey._registry._registry}


def periodic(app: Flask) -> set[str]:
    huey = app.extensions["jsscripts"].huey
    return {task.name for task in huey._registry.periodic_tasks}


def test_everything_on_registers_every_task(make_app):
    app = make_app()
    assert registered(app) == EVERY_TASK
    assert periodic(app) == {"jsscripts.cron", "jsscripts.sweep", "jsscripts.prune"}


def test_cron_off_has_no_cron_task(make_app):
    app = make_app(JSSCRIPTS_ENABLE_CRON=False)
    assert registered(app) == EVERY_TASK - {"jsscripts.cron"}
    assert "jsscripts.cron" not in periodic(app)


def test_events_off_has_no_dispatch_task_and_dispatches_nothing(make_app):
    app = make_app(JSSCRIPTS_ENABLE_EVENTS=False)
    assert registered(app) == EVERY_TASK - {"jsscripts.dispatch_events"}
    state = app.extensions["jsscripts"]
    state.queue.dispatch_events(["0" * 32])
    assert state.huey.pending_count() == 0
    state.queue.run_executions(["0" * 32])  # runs (cron, replays) still go to the queue
    assert state.huey.pending_count() == 1


def test_extension_off_registers_no_task_and_queues_nothing(make_app):
    app = make_app(JSSCRIPTS_ENABLED=False)
    assert registered(app) == set()
    state = app.extensions["jsscripts"]
    state.queue.dispatch_events(["0" * 32])
    state.queue.run_executions(["0" * 32])
    state.queue.run_retries([("0" * 32, 0)])
    assert state.huey.pending_count() == 0
