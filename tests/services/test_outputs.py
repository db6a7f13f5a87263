"""Big run outputs cost what is shown, not what is stored: pages, fragments and the CLI show a
pretty head of the stored JSON text and never read the whole output; a download streams all of
it, byte for byte. Manual runs, HTTP endpoint answers and event runs alike, on SQLite and
PostgreSQL. The element cap (``JSSCRIPTS_MAX_OUTPUT_ELEMENTS``) through the services."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from endpoint_fixtures import add_http_script
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text
from web_fixtures import make_web

from flask_jsscripts import tenancy
from flask_jsscripts.models import Execution
from flask_jsscripts.services import executions, outputs, scripts
from flask_jsscripts.services.errors import NotFound
from flask_jsscripts.services.validation import ScriptInput

ROWS = 8000  # 24,001 JSON elements, ~2.7 MB stored
ROWS_JS = (
    "(function () { var x = new Array(301).join('x'), a = [];"
    f" for (var i = 0; i < {ROWS}; i++) a.push({{i: i, text: 'row ' + i + ' \\u0436 ' + x}});"
    " return a })()"
)
BIG_LIMITS = {"output_bytes": 10 * 1024 * 1024}
PAGE_BOUND = 400_000  # bytes of a page or fragment, whatever the output's size


def big_rows() -> list[dict[str, Any]]:
    return [{"i": i, "text": f"row {i} ж " + "x" * 300} for i in range(ROWS)]


@pytest.fixture
def web(app_factory, rt):
    return make_web(app_factory, rt)


def _create(web, name: str, source: str, **fields: Any) -> str:
    state = web.app.extensions["jsscripts"]
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        saved = scripts.create_script(
            web.db.session,
            ScriptInput(name=name, source=source, status="active", **fields),
            config=web.app.config,
            runtime=state.runtime,
            actor="test",
        )
        return saved.script.id


def _stored_text(web, execution_id: str) -> str:
    """The output column's text as the database holds it (read past the extension)."""
    with web.app.app_context(), web.db.engine.connect() as conn:
        return conn.execute(
            text("SELECT CAST(output AS TEXT) FROM jsscripts_executions WHERE id = :id"),
            {"id": execution_id},
        ).scalar_one()


@contextmanager
def statements(web) -> Iterator[list[str]]:
    """The SQL sent to the database inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with web.app.app_context():
        engine = web.db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def assert_output_never_read_whole(seen: list[str]) -> None:
    """Every statement reading the output column reads a slice or the length of its text."""
    for statement in seen:
        flat = " ".join(statement.split())
        # CAST(... AS TEXT) only in a slice or length; typeof() reads no content
        whole = re.findall(r"(?<!CAST\()(?<!typeof\()\bjsscripts_executions\.output\b", flat)
        assert not whole, f"the whole output was read: {flat[:300]}"


def run_manual(web, script_id: str) -> tuple[str, Any, bytes]:
    """Run with the Run button (htmx): the execution id, the stored value, the fragment."""
    response = web.client.post(f"/scripts/{script_id}/run", {"input": ""}, htmx=True)
    assert response.status_code == 200
    fragment = response.get_data()
    match = re.search(rb"/executions/([0-9a-f-]{36})/output", fragment)
    assert match, fragment[:2000]
    return match.group(1).decode(), big_rows(), fragment


def run_http(web, _script_id: str) -> tuple[str, Any, bytes]:
    response = web.client.get("/api/scripts/big-rows")
    assert response.status_code == 200, response.get_data()[:500]
    assert response.get_json() == big_rows()  # the caller gets the whole answer
    return response.headers["X-Execution-Id"], {"status": 200, "body": big_rows()}, b""


def run_event(web, script_id: str) -> tuple[str, Any, bytes]:
    state = web.app.extensions["jsscripts"]
    envelope = {"id": str(uuid.uuid4()), "type": "rows.wanted", "data": {}, "timestamp": 0}
    with web.app.test_request_context(), tenancy.tenant_scope("acme"):
        rc = state.run_context()
        pending = executions.start._start_run(web.db.session, rc, script_id, "event", envelope)
        done = executions.batch._execute(web.db.session, rc, pending.id)
        assert done.status == "completed"
        return pending.id, big_rows(), b""


TRIGGERS = {
    "manual": (run_manual, {}),
    "http": (run_http, {"type": "http", "http_path": "/big-rows", "http_methods": ["GET"]}),
    "event": (run_event, {"type": "event", "event_types": ["rows.wanted"]}),
}


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_a_big_output_shows_a_head_and_downloads_whole(web, trigger):
    run, fields = TRIGGERS[trigger]
    if trigger == "http":
        script_id = add_http_script(
            web.app,
            web.db,
            "acme",
            "big-rows",
            source=f"function main(ctx) {{ return {{status: 200, body: {ROWS_JS}}} }}",
            path="/big-rows",
            methods=("GET",),
            auth="public",
            limits=BIG_LIMITS,
        )
    else:
        source = f"function main(ctx) {{ return {ROWS_JS} }}"
        script_id = _create(web, "big-rows", source, limits=BIG_LIMITS, **fields)
    execution_id, value, fragment = run(web, script_id)
    stored = _stored_text(web, execution_id)
    size = len(stored.encode("utf-8"))
    assert size > 2_500_000 and json.loads(stored) == value
    if fragment:  # the Run button's answer: a head, not the output
        assert len(fragment) < PAGE_BOUND
        assert b"more bytes not shown" in fragment

    url = f"/scripts/{script_id}/executions/{execution_id}"
    with statements(web) as seen:
        page = web.client.get(url)
    assert page.status_code == 200
    body = page.get_data()
    assert len(body) < PAGE_BOUND, len(body)
    assert_output_never_read_whole(seen)
    markup = page.get_data(as_text=True)
    head = html.unescape(
        re.search(r'class="jsscripts-code jsscripts-output">(.*?)</pre>', markup, re.S)[1]
    )
    pretty = json.dumps(value, indent=2, ensure_ascii=False)
    assert len(head) > 20_000 and head.endswith("…")
    assert pretty.startswith(head[:-1])  # the beginning of what the old page showed in full
    more = int(re.search(r"(\d+) more bytes not shown", markup)[1])
    assert size - outputs.PREVIEW_BYTES <= more < size

    with statements(web) as seen:
        download = web.client.get(url + "/output")
        data = download.get_data()
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/json"
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="big-rows-{execution_id}-output.json"'
    )
    assert int(download.headers["Content-Length"]) == size == len(data)
    assert download.headers["Cache-Control"] == "private, no-store"
    assert data == stored.encode("utf-8")  # byte for byte what the database holds
    assert_output_never_read_whole(seen)
    reads = [s for s in seen if "jsscripts_executions.output" in s]  # the size, then pieces
    assert len(reads) - 1 in (-(-size // outputs.CHUNK_BYTES), size // outputs.CHUNK_BYTES + 1)


def test_small_outputs_look_as_before_with_a_download_link(web):
    script_id = web.acme.script_id  # returns {n: 2}
    execution_id = web.acme.execution_id
    markup = web.client.get(f"/scripts/{script_id}/executions/{execution_id}").get_data(
        as_text=True
    )
    head = re.search(r'class="jsscripts-code jsscripts-output">(.*?)</pre>', markup, re.S)[1]
    assert html.unescape(head) == json.dumps({"n": 2}, indent=2)
    assert "more bytes not shown" not in markup
    assert f"/executions/{execution_id}/output" in markup
    download = web.client.get(f"/scripts/{script_id}/executions/{execution_id}/output")
    assert download.status_code == 200 and download.get_json() == {"n": 2}


def test_a_run_without_output_has_no_download(web):
    script_id = _create(web, "fails", "function main() { throw new Error('no') }")
    response = web.client.post(f"/scripts/{script_id}/run", {"input": ""}, htmx=True)
    assert response.status_code == 200 and b"/output" not in response.get_data()
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        (run,) = executions.list_executions(web.db.session, script_id)
        run_id = run.id
    url = f"/scripts/{script_id}/executions/{run_id}/output"
    page = web.client.get(url)
    assert page.status_code == 404 and "This execution has no output." in page.get_data(True)
    htmx = web.client.get(url, htmx=True)
    assert htmx.status_code == 404 and htmx.get_data(True) == "This execution has no output."


def test_lists_and_pages_of_a_script_never_read_outputs(web):
    script_id = _create(
        web, "big-rows", f"function main() {{ return {ROWS_JS} }}", limits=BIG_LIMITS
    )
    for _ in range(3):
        run_manual(web, script_id)
    for url, htmx in (
        (f"/scripts/{script_id}", False),
        (f"/scripts/{script_id}/executions", False),
        (f"/scripts/{script_id}/executions", True),
        ("/scripts/", False),
    ):
        with statements(web) as seen:
            response = web.client.get(url, htmx=htmx)
        assert response.status_code == 200, url
        assert len(response.get_data()) < PAGE_BOUND, url
        assert_output_never_read_whole(seen)
        assert not any("jsscripts_executions.output" in s for s in seen), url


def test_output_readers_are_tenant_scoped_and_refuse_unknown_ids(web):
    with web.app.app_context():
        session = web.db.session
        with tenancy.tenant_scope("acme"):
            own = outputs.output_head(session, web.acme.execution_id)
            assert own.text == '{\n  "n": 2\n}' and own.complete and own.size == len('{"n": 2}')
            assert outputs.read_output_bytes(session, web.acme.execution_id, 1, 3) == b'"n"'
            for foreign in (web.globex.execution_id, str(uuid.uuid4()), "x\x00", ""):
                for read in (
                    lambda i: outputs.output_head(session, i),
                    lambda i: outputs.output_size(session, i),
                    lambda i: outputs.read_output_bytes(session, i, 0, 10),
                ):
                    with pytest.raises(NotFound):
                        read(foreign)


def test_the_execution_attribute_loads_the_output_only_when_read(web):
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        with statements(web) as seen:
            found = executions.get_execution(web.db.session, web.acme.execution_id)
            assert found.status == "completed"
        assert_output_never_read_whole(seen)
        assert found.output == {"n": 2}  # the Python API still has it, on demand


# -- the element cap through the services ------------------------------------------------


def test_the_configured_element_cap_ends_runs_as_output_limit(app_factory, rt):
    from flask_jsscripts.extension import JSScripts

    ext = JSScripts(runtime=rt)
    ext.permission_checker(lambda user, perm: True)
    app, db, _ = app_factory(ext=ext, config={"JSSCRIPTS_MAX_OUTPUT_ELEMENTS": 1000})
    with app.app_context():
        db.create_all()
        state = app.extensions["jsscripts"]
        with tenancy.tenant_scope("acme"):
            made = scripts.create_script(
                db.session,
                ScriptInput(
                    name="counted",
                    source="function main(ctx) {"
                    " var a = []; while (a.length < ctx.input) a.push(0); return a }",
                ),
                config=app.config,
                runtime=state.runtime,
            )
            run = executions.run_script(db.session, state.run_context(), made.script.id, "api", 999)
            assert run.status == "completed" and run.output == [0] * 999
            over = executions.run_script(
                db.session, state.run_context(), made.script.id, "api", 1000
            )
            assert (over.status, over.end_reason) == ("failed", "output_limit")
            assert over.error["message"] == (
                "the result has more than 1000 JSON elements (the output element limit)"
            )
            assert over.error["code"] == "output_limit"
            assert db.session.get(Execution, over.id).output is None


def test_an_invalid_element_cap_is_a_configuration_error(app_factory, rt):
    from flask_jsscripts.config import ConfigError
    from flask_jsscripts.extension import JSScripts

    for bad in (0, "100", 10**9):
        with pytest.raises(ConfigError, match="JSSCRIPTS_MAX_OUTPUT_ELEMENTS"):
            app_factory(ext=JSScripts(runtime=rt), config={"JSSCRIPTS_MAX_OUTPUT_ELEMENTS": bad})


# -- the CLI -------------------------------------------------------------------------------


def test_cli_run_prints_a_head_and_writes_the_whole_output_to_a_file(host_app, tmp_path):
    app, db, _ = host_app
    state = app.extensions["jsscripts"]
    with tenancy.tenant_scope("acme"):
        scripts.create_script(
            db.session,
            ScriptInput(
                name="big-rows", source=f"function main() {{ return {ROWS_JS} }}", limits=BIG_LIMITS
            ),
            config=app.config,
            runtime=state.runtime,
        )
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["jsscripts", "run", "big-rows", "-t", "acme"])
    assert shown.exit_code == 0, shown.output
    assert len(shown.stdout) < PAGE_BOUND
    assert shown.stdout.startswith('status: completed\nresult: [\n  {\n    "i": 0,')
    assert re.search(r"\.\.\. \d+ more bytes not shown \(--output-file FILE", shown.stdout)

    target = tmp_path / "rows.json"
    as_json = runner.invoke(
        args=["jsscripts", "run", "big-rows", "-t", "acme", "--json", "--output-file", str(target)]
    )
    assert as_json.exit_code == 0, as_json.output
    view = json.loads(as_json.stdout)
    assert view["output"] is None and view["output_truncated"] is True
    written = target.read_bytes()
    assert view["output_bytes"] == len(written) > outputs.INLINE_BYTES
    assert f"wrote the output ({len(written)} bytes)" in as_json.stderr
    assert json.loads(written) == big_rows()
    assert written == _stored_text_of(db, view["id"]).encode("utf-8")

    unwritable = runner.invoke(
        args=[
            "jsscripts",
            "run",
            "big-rows",
            "-t",
            "acme",
            "--output-file",
            str(tmp_path / "no" / "x"),
        ]
    )
    assert unwritable.exit_code == 1 and "cannot write" in unwritable.stderr
    assert "Traceback" not in unwritable.output


def _stored_text_of(db, execution_id: str) -> str:
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT CAST(output AS TEXT) FROM jsscripts_executions WHERE id = :id"),
            {"id": execution_id},
        ).scalar_one()


def test_cli_json_keeps_outputs_up_to_a_mebibyte_inline(host_app):
    app, db, _ = host_app
    state = app.extensions["jsscripts"]
    with tenancy.tenant_scope("acme"):
        scripts.create_script(
            db.session,
            ScriptInput(name="rows", source="function main() { return [1, 'ж', {a: null}] }"),
            config=app.config,
            runtime=state.runtime,
        )
    result = app.test_cli_runner().invoke(args=["jsscripts", "run", "rows", "-t", "acme", "--json"])
    view = json.loads(result.stdout)
    assert view["output"] == [1, "ж", {"a": None}] and view["output_truncated"] is False
    assert view["output_bytes"] == len(json.dumps([1, "ж", {"a": None}]))


# -- the pretty head -----------------------------------------------------------------------

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.text(alphabet='\\"\U00010000ж\x7fa,[]{}'),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=30,
)


@settings(max_examples=300)
@given(value=VALUES, budget=st.integers(0, 300), cut=st.integers(0, 400))
def test_the_head_is_the_beginning_of_the_pretty_json(value, budget, cut):
    stored = json.dumps(value)  # as the JSON column stores it: non-ASCII \u-escaped
    pretty = json.dumps(value, indent=2, ensure_ascii=False)  # what pages showed before
    assert outputs.pretty_json_head(stored, 10**9) == (pretty, len(stored))
    head, used = outputs.pretty_json_head(stored, budget)
    assert len(head) <= budget and 0 <= used <= len(stored)
    assert pretty.startswith(head)
    # the stored text cut anywhere (a page reads its first characters): never a wrong
    # character, never half of an escape or of a surrogate pair
    head, used = outputs.pretty_json_head(stored[:cut], 10**9)
    assert pretty.startswith(head) and used <= cut
    head.encode("utf-8")


def test_deep_nesting_cannot_grow_the_head_past_its_budget():
    head, used = outputs.pretty_json_head("[" * 60_000, 1000)
    assert len(head) <= 1000 and used < 100


@pytest.mark.parametrize(
    ("source", "stored"),
    [
        ("function main() { return 42 }", "42"),
        ("function main() { return 1.5e300 }", "1.5e+300"),
        ("function main() { return 'ж' }", '"\\u0436"'),
        ("function main() { }", "null"),
    ],
)
def test_scalar_outputs_read_like_documents(web, source, stored):
    # SQLite stores a JSON number in the JSON column as a number (numeric affinity)
    script_id = _create(web, "scalar", source)
    response = web.client.post(f"/scripts/{script_id}/run", {"input": ""}, htmx=True)
    run_id = re.search(rb"/executions/([0-9a-f-]{36})/output", response.get_data())[1].decode()
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        head = outputs.output_head(web.db.session, run_id)
        assert head.text == json.dumps(json.loads(stored), ensure_ascii=False)
        assert head.size == len(stored) and head.complete
    download = web.client.get(f"/scripts/{script_id}/executions/{run_id}/output")
    assert json.loads(download.get_data()) == json.loads(stored)
    assert int(download.headers["Content-Length"]) == len(download.get_data())
