"""Deeply nested JSON from every entry point (issue 15, item 9): one limit,
``jsonvalues.MAX_DEPTH``, and a clear refusal wherever JSON comes in (the run form, the script
form's event filter, the filter tester, an endpoint body, ``flask jsscripts run --input`` and
``import``), never a 500 or a traceback. The run form and the event filter answered 5,000 nested
brackets with a 500 (RecursionError).

Web cases on SQLite and PostgreSQL through the real blueprint; the CLI through Click's runner.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from web_fixtures import make_web  # noqa: F401

from flask_jsscripts import tenancy
from flask_jsscripts.models import Execution, Script
from flask_jsscripts.runtime import jsonvalues
from flask_jsscripts.services import transfer
from flask_jsscripts.services.errors import ValidationError

MAX = jsonvalues.MAX_DEPTH


def nested_text(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def html(response) -> str:
    return response.get_data(as_text=True)


# --- the one limit --------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, MAX - 1, MAX])
def test_json_at_the_limit_parses(depth):
    assert jsonvalues.parse(nested_text(depth)) is not None
    assert jsonvalues.parse(nested_objects(depth)) is not None
    jsonvalues.check(jsonvalues.parse(nested_text(depth)))


@pytest.mark.parametrize("depth", [MAX + 1, 999, 5_000, 100_000])
def test_json_past_the_limit_is_too_deep_and_nothing_recurses(depth):
    for text in (nested_text(depth), nested_objects(depth), nested_text(depth).encode()):
        with pytest.raises(jsonvalues.JSONValueError) as info:
            jsonvalues.parse(text)
        assert info.value.reason == "too_deep"
    value: Any = 1
    for _ in range(depth):
        value = {"a": value} if depth % 2 else [value]
    with pytest.raises(jsonvalues.JSONValueError) as info:
        jsonvalues.check(value)
    assert info.value.reason == "too_deep"


def test_brackets_inside_strings_do_not_count():
    text = json.dumps(["[" * 5_000, "{" * 5_000])
    assert jsonvalues.parse(text) == ["[" * 5_000, "{" * 5_000]


@pytest.mark.parametrize(
    ("text", "reason"),
    [("NaN", "invalid"), ('{"a": -Infinity}', "invalid"), ("[1,", "invalid"), ("", "invalid")],
)
def test_other_bad_json_is_invalid(text, reason):
    with pytest.raises(jsonvalues.JSONValueError) as info:
        jsonvalues.parse(text)
    assert info.value.reason == reason


# --- the admin UI -----------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False])
def test_run_form_answers_deep_input_with_422(web, htmx):
    s = web.acme.script_id
    before = web.count(Execution, "acme")
    for text in (nested_text(5_000), nested_objects(MAX + 1)):
        response = web.client.post(
            f"/scripts/{s}/run", {"input": text}, htmx=htmx, csrf="header" if htmx else "form"
        )
        assert response.status_code == 422, html(response)[:500]
        assert f"nested too deeply (at most {MAX} levels)" in html(response)
    assert web.count(Execution, "acme") == before


def test_script_form_answers_a_deep_filter_next_to_the_field(web):
    for text in (nested_objects(5_000), nested_text(5_000), nested_objects(MAX + 1)):
        response = web.client.post(
            "/scripts/new",
            {
                "name": "deep-filter",
                "type": "event",
                "status": "draft",
                "timezone": "UTC",
                "http_auth": "session",
                "event_types": "order.created",
                "event_filter": text,
                "source": "function main(ctx) { return 1 }",
            },
        )
        assert response.status_code == 422, html(response)[:500]
        body = html(response)
        assert 'id="event_filter-errors"' in body
        assert "nested too deeply" in body
    assert web.count(Script, "acme") == 1  # only the seeded script


def test_filter_tester_answers_deep_json_with_422(web):
    response = web.client.post(
        "/scripts/filter-test",
        {"event_filter": "{}", "filter_sample": nested_text(MAX + 1)},
        htmx=True,
        csrf="header",
    )
    assert response.status_code == 422
    assert "nested too deeply" in html(response)


# --- an endpoint body -------------------------------------------------------------------------


def test_an_endpoint_body_nested_past_the_limit_is_400(web):
    from endpoint_fixtures import add_http_script

    add_http_script(web.app, web.db, "acme", "hook", path="/hook", methods=("POST",))
    for raw in (nested_text(MAX + 1), nested_text(100_000)):
        response = web.app.test_client().post(
            "/api/scripts/hook",
            data=raw,
            headers={"X-Tenant": "acme", "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert json.loads(html(response)) == {
            "error": f"the request body is nested deeper than {MAX} levels"
        }
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        hook_runs = web.db.session.scalars(
            select(Execution).where(Execution.trigger == "http")
        ).all()
    assert hook_runs == []


# --- the command line -------------------------------------------------------------------------


def test_cli_run_and_import_refuse_deep_json_and_bad_encodings(web, tmp_path):
    runner = web.app.test_cli_runner()
    for text in (nested_text(5_000), nested_text(MAX + 1)):
        result = runner.invoke(
            args=["jsscripts", "run", web.acme.name, "--tenant", "acme", "--input", text]
        )
        assert result.exit_code == 2, result.output
        assert f"nested deeper than {MAX} levels" in result.output
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"a": "café"}'.encode("latin-1"))  # was a UnicodeDecodeError, exit 1
    result = runner.invoke(
        args=["jsscripts", "run", web.acme.name, "--tenant", "acme", "--input-file", str(latin)]
    )
    assert result.exit_code == 2 and "not UTF-8" in result.output, result.output
    deep_value = json.loads(nested_text(MAX))
    document = {
        "format": "flask-jsscripts/1",
        "scripts": [
            {
                "name": "deep",
                "type": "event",
                "event_types": ["a.b"],
                "event_filter": {"path": "a", "op": "eq", "value": deep_value},
                "versions": [{"number": 1, "source": "1"}],
            }
        ],
    }
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(document))
    result = runner.invoke(args=["jsscripts", "import", str(path), "--tenant", "acme"])
    assert result.exit_code == 2, result.output
    assert "nested" in result.output
    assert web.count(Script, "acme") == 1


def test_the_import_service_refuses_a_filter_nested_past_the_limit(web):
    """A document built in Python (not read from a file) meets the same limit."""
    value = json.loads(nested_text(MAX))
    document = {
        "format": transfer.FORMAT,
        "scripts": [
            {
                "name": "deep",
                "type": "event",
                "event_types": ["a.b"],
                "event_filter": {"path": "a", "op": "eq", "value": value},
                "versions": [{"number": 1, "source": "1"}],
            }
        ],
    }
    state = web.app.extensions["jsscripts"]
    with (
        web.app.app_context(),
        tenancy.tenant_scope("acme"),
        pytest.raises(ValidationError) as info,
    ):
        transfer.import_scripts(
            web.db.session, document, config=web.app.config, runtime=state.runtime
        )
    messages = [m for msgs in info.value.errors.values() for m in msgs]
    assert any(f"nested at most {MAX} levels" in m for m in messages), messages
    assert web.count(Script, "acme") == 1


def test_numbers_beyond_a_double_are_refused_at_every_entry_point(web):
    """The other ways a non-finite or too-large number could reach the database (besides
    sdk.kv, tests/services/test_kv_numbers.py): an endpoint body, a run's input, an event filter."""
    from endpoint_fixtures import add_http_script

    from flask_jsscripts.services import executions, scripts
    from flask_jsscripts.services.validation import ScriptInput

    add_http_script(web.app, web.db, "acme", "hook", path="/hook", methods=("POST",))
    for raw in (b'{"n": 1e999}', b'{"n": -1e400}', b'{"n": ' + b"9" * 400 + b"}"):
        response = web.app.test_client().post(
            "/api/scripts/hook",
            data=raw,
            headers={"X-Tenant": "acme", "Content-Type": "application/json"},
        )
        assert response.status_code == 400, raw
    state = web.app.extensions["jsscripts"]
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        for value in (float("inf"), float("nan"), 10**400):
            with pytest.raises(ValidationError):
                executions.run_script(
                    web.db.session, state.run_context(), web.acme.script_id, "manual", [value]
                )
            web.db.session.rollback()
            with pytest.raises(ValidationError) as info:
                scripts.create_script(
                    web.db.session,
                    ScriptInput(
                        name="f",
                        source="1",
                        type="event",
                        event_types=["a.b"],
                        event_filter={"path": "a", "op": "eq", "value": value},
                    ),
                    config=web.app.config,
                    runtime=state.runtime,
                )
            web.db.session.rollback()
            assert "event_filter" in info.value.errors
        runs = web.db.session.scalars(select(Execution)).all()
    assert [r for r in runs if r.trigger == "http"] == []
    assert web.count(Script, "acme") == 2  # the seeded script and the endpoint


def test_an_event_payload_nested_past_the_limit_is_refused_at_publish(web):
    """Accepted, such a payload failed every run it reached (INPUT_REFUSED) instead of being
    refused where it came in: by host code, or by a script's sdk.events.publish."""
    deep = json.loads(nested_objects(MAX + 1))
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        with pytest.raises(ValueError, match=f"nested deeper than {MAX} levels"):
            web.ext.publish("order.created", deep)
        with pytest.raises(ValueError, match="event payload"):
            web.ext.publish("order.created", {"n": float("inf")})
    from flask_jsscripts.services import executions, scripts
    from flask_jsscripts.services.validation import ScriptInput

    state = web.app.extensions["jsscripts"]
    publisher = (
        "function main(ctx) { var v = {}; for (var i = 0; i < 300; i++) { v = {a: v}; }"
        " try { sdk.events.publish('order.created', v); return 'published'; }"
        " catch (e) { return e.code + ': ' + e.message; } }"
    )
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        saved = scripts.create_script(
            web.db.session,
            ScriptInput(name="deep-publisher", source=publisher),
            config=web.app.config,
            runtime=state.runtime,
        )
        run = executions.run_script(web.db.session, state.run_context(), saved.script.id, "manual")
        assert run.status == "completed", run.error
        assert run.output == f"BAD_REQUEST: event payload: nested deeper than {MAX} levels"
