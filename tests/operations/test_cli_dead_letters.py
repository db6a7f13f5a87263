"""``flask jsscripts dead-letters ...``: list, show, replay, discard, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from dead_letter_fixtures import add_dead_letter, add_event_script
from sqlalchemy import func, select

from flask_jsscripts import tenancy
from flask_jsscripts.models import DeadLetter, Execution
from flask_jsscripts.services import scripts


class _Env:
    def __init__(self, app, db):
        self.app, self.db = app, db
        self.runner = app.test_cli_runner()
        self.listener = add_event_script(app, db, "acme", "listener")
        self.first = add_dead_letter(app, db, "acme", self.listener, age_minutes=5)
        self.second = add_dead_letter(
            app, db, "acme", self.listener, event_type="order.paid", attempts=2
        )
        self.other = add_event_script(app, db, "globex", "listener")
        self.foreign = add_dead_letter(app, db, "globex", self.other)

    def cli(self, *args, input=None):
        return self.runner.invoke(args=["jsscripts", "dead-letters", *args], input=input)

    def letter(self, letter_id, tenant="acme"):
        with tenancy.tenant_scope(tenant):
            self.db.session.expire_all()
            return self.db.session.get(DeadLetter, letter_id)

    def runs(self, tenant="acme"):
        with tenancy.tenant_scope(tenant):
            return self.db.session.scalar(select(func.count()).select_from(Execution))

    def open_count(self, tenant="acme"):
        with tenancy.tenant_scope(tenant):
            return self.db.session.scalar(
                select(func.count())
                .select_from(DeadLetter)
                .where(DeadLetter.replayed_at.is_(None), DeadLetter.discarded_at.is_(None))
            )


@pytest.fixture
def env(host_app):
    app, db, _ = host_app
    return _Env(app, db)


def assert_clean_error(result, code: int, message: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_group_and_commands_are_registered(env):
    result = env.runner.invoke(args=["jsscripts", "dead-letters", "--help"])
    assert result.exit_code == 0
    for command in ("list", "show", "replay", "discard"):
        assert command in result.output


def test_list_table_json_and_filters(env):
    result = env.cli("list", "-t", "acme")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "CREATED", "SCRIPT", "EVENT", "TYPE", "ATTEMPTS", "STATE"] + [
        "ERROR"
    ]
    assert lines[2].startswith(env.second)  # newest first
    assert lines[3].startswith(env.first)
    assert "order.paid" in lines[2] and "TypeError: Cannot read" in lines[2]
    assert env.foreign not in result.output
    data = json.loads(env.cli("list", "-t", "acme", "--json").stdout)
    assert data["total"] == 2
    assert [d["id"] for d in data["dead_letters"]] == [env.second, env.first]
    assert data["dead_letters"][0]["script"] == {"id": env.listener, "name": "listener"}
    assert len(data["dead_letters"][1]["attempts"]) == 3
    assert data["dead_letters"][1]["payload"] == {"order": {"id": 7, "customer": "Wile E."}}
    only = json.loads(env.cli("list", "-t", "acme", "--json", "--event-type", "order.paid").stdout)
    assert [d["id"] for d in only["dead_letters"]] == [env.second]
    by_name = json.loads(env.cli("list", "-t", "acme", "--json", "--script", "listener").stdout)
    by_id = json.loads(env.cli("list", "-t", "acme", "--json", "--script", env.listener).stdout)
    assert by_name == by_id and by_name["total"] == 2
    assert env.cli("list", "-t", "acme", "--state", "replayed").output.strip() == (
        "no replayed dead letters"
    )
    limited = env.cli("list", "-t", "acme", "--limit", "1")
    assert limited.exit_code == 0 and "1 of 2 shown" in limited.stderr
    assert env.cli("list", "-t", "nobody").output.strip() == "no open dead letters"


def test_list_bad_usage_exits_2(env):
    assert_clean_error(env.cli("list", "-t", "acme", "--state", "weird"), 2, "Invalid value")
    assert_clean_error(env.cli("list", "-t", "acme", "--script", "nope"), 2, "not found")
    # another tenant's script is not found either
    assert_clean_error(env.cli("list", "-t", "acme", "--script", env.other), 2, "not found")
    assert_clean_error(env.cli("list", "-t", ""), 2, "invalid tenant id")
    assert env.cli("list").exit_code == 2  # --tenant is required


def test_show_prints_payload_error_stack_and_runs(env):
    result = env.cli("show", env.first, "-t", "acme")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"id:         {env.first}" in out
    assert f"script:     listener ({env.listener})" in out
    assert "state:      open" in out and "attempts:   3" in out
    assert out.count("  attempt ") == 3 and "attempt 3: failed" in out
    assert '"customer": "Wile E."' in out
    assert "error:      TypeError: Cannot read properties" in out and "(line 3, column 22)" in out
    assert "    at main (script.js:3:22)" in out
    view = json.loads(env.cli("show", env.first, "-t", "acme", "--json").stdout)
    assert view["state"] == "open" and [r["attempt"] for r in view["runs"]] == [1, 2, 3]
    for letter_id in (env.foreign, str(uuid.uuid4()), "x" * 400, "é"):
        assert_clean_error(env.cli("show", letter_id, "-t", "acme"), 2, "not found")


def test_replay_one(env):
    before = env.runs()
    result = env.cli("replay", env.first, "-t", "acme")
    assert result.exit_code == 0, result.output
    assert "queued" in result.output and "(attempt 4)" in result.output
    assert env.runs() == before + 1
    assert env.letter(env.first).replayed_at is not None
    shown = env.cli("show", env.first, "-t", "acme").output
    assert "state:      replayed" in shown
    # again: refused, exit 2, one error line, nothing queued
    again = env.cli("replay", env.first, "-t", "acme")
    assert_clean_error(again, 2, "already replayed or discarded")
    assert len(again.stderr.strip().splitlines()) == 1
    assert env.runs() == before + 1
    # another tenant's id: not found, and untouched
    assert_clean_error(env.cli("replay", env.foreign, "-t", "acme"), 2, "not found")
    assert env.letter(env.foreign, "globex").replayed_at is None


def test_replay_refused_for_inactive_script_and_events_off(env):
    with tenancy.tenant_scope("acme"):
        scripts.set_status(env.db.session, env.listener, "paused", actor="test")
    assert_clean_error(env.cli("replay", env.first, "-t", "acme"), 2, "paused")
    with tenancy.tenant_scope("acme"):
        scripts.set_status(env.db.session, env.listener, "active", actor="test")
    env.app.config["JSSCRIPTS_ENABLE_EVENTS"] = False
    assert_clean_error(env.cli("replay", env.first, "-t", "acme"), 2, "switched off")
    env.app.config["JSSCRIPTS_ENABLE_EVENTS"] = True
    assert env.open_count() == 2


def test_replay_all_queues_the_rest_and_reports_refusals(env):
    paused = add_event_script(env.app, env.db, "acme", "sleeper", status="paused")
    stuck = add_dead_letter(env.app, env.db, "acme", paused)
    result = env.cli("replay", "--all", "-t", "acme")
    assert result.exit_code == 2, result.output
    assert "2 replayed, 1 refused" in result.output
    assert result.output.count("queued ") == 2
    assert f"refused {stuck}: the script is paused" in result.stderr
    assert "Traceback" not in result.output
    assert env.open_count() == 1 and env.open_count("globex") == 1
    # nothing refused: exit 0
    clean = env.cli("replay", "--all", "--script", "listener", "-t", "acme")
    assert clean.exit_code == 0 and "0 replayed, 0 refused" in clean.output


def test_discard_one_and_all(env):
    before = env.runs()
    result = env.cli("discard", env.first, "-t", "acme")
    assert result.exit_code == 0 and "discarded 1 dead letter" in result.output
    assert env.letter(env.first).discarded_at is not None
    assert_clean_error(env.cli("discard", env.first, "-t", "acme"), 2, "already discarded")
    assert_clean_error(env.cli("discard", env.foreign, "-t", "acme"), 2, "not found")
    assert env.runs() == before  # discarding runs nothing
    other = add_event_script(env.app, env.db, "acme", "another")
    add_dead_letter(env.app, env.db, "acme", other)
    add_dead_letter(env.app, env.db, "acme", other)
    before = env.runs()
    result = env.cli("discard", "--all", "--script", "another", "-t", "acme")
    assert result.exit_code == 0 and "discarded 2 dead letters" in result.output
    assert env.open_count() == 1
    result = env.cli("discard", "--all", "-t", "acme")
    assert result.exit_code == 0 and "discarded 1 dead letter" in result.output
    assert env.open_count() == 0 and env.open_count("globex") == 1
    assert env.runs() == before  # discarding runs nothing


def test_one_or_all_usage(env):
    for args in (
        ("replay", "-t", "acme"),
        ("replay", env.first, "--all", "-t", "acme"),
        ("discard", "-t", "acme"),
        ("discard", env.first, "--all", "-t", "acme"),
    ):
        assert_clean_error(env.cli(*args), 2, "either a dead letter ID or --all")
    for command in ("replay", "discard"):
        result = env.cli(command, env.first, "--script", "listener", "-t", "acme")
        assert_clean_error(result, 2, "--script only goes with --all")
        result = env.cli(command, "--all", "--script", "nope", "-t", "acme")
        assert_clean_error(result, 2, "not found")
    assert env.open_count() == 2
