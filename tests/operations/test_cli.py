"""``flask jsscripts ...`` and the export/import document, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from flask_jsscripts import tenancy
from flask_jsscripts.models import Execution, Script, ScriptVersion, utcnow
from flask_jsscripts.services import scripts, transfer
from flask_jsscripts.services.errors import ValidationError
from flask_jsscripts.services.validation import ScriptInput

ES5 = "function main(ctx) { console.log('hi ' + (ctx.input && ctx.input.who)); return 1 }"


@pytest.fixture
def env(host_app):
    app, db, _ = host_app
    return _Env(app, db, app.extensions["jsscripts"])


class _Env:
    def __init__(self, app, db, state):
        self.app, self.db, self.state = app, db, state
        self.runner = app.test_cli_runner()

    def cli(self, *args, input=None):
        return self.runner.invoke(args=["jsscripts", *args], input=input)

    def create(self, tenant="acme", **fields):
        fields.setdefault("name", "hello")
        fields.setdefault("source", ES5)
        with tenancy.tenant_scope(tenant):
            saved = scripts.create_script(
                self.db.session,
                ScriptInput(**fields),
                config=self.app.config,
                runtime=self.state.runtime,
                actor="alice",
            )
            return saved.script.id

    def update_source(self, script_id, source, note, tenant="acme"):
        with tenancy.tenant_scope(tenant):
            script = scripts.get_script(self.db.session, script_id)
            fields = ("name", "type", "status", "description", "tags", "limits")
            data = {f: getattr(script, f) for f in fields}
            scripts.update_script(
                self.db.session,
                script_id,
                ScriptInput(**data, source=source, note=note),
                config=self.app.config,
                runtime=self.state.runtime,
                actor="bob",
            )

    def count(self, model, tenant="acme"):
        with tenancy.tenant_scope(tenant):
            return self.db.session.scalar(select(func.count()).select_from(model))

    def export(self, tenant="acme"):
        with tenancy.tenant_scope(tenant):
            return transfer.export_scripts(self.db.session)

    def add_execution(self, script_id, tenant="acme", *, age_days=0, status="completed", **kw):
        with tenancy.tenant_scope(tenant):
            created = utcnow() - timedelta(days=age_days)
            row = Execution(
                script_id=script_id,
                trigger="manual",
                status=status,
                version=1,
                created_at=created,
                **kw,
            )
            self.db.session.add(row)
            self.db.session.commit()
            return row.id


def _without_time(document):
    return {k: v for k, v in document.items() if k != "exported_at"}


def test_group_is_registered(env):
    assert "jsscripts" in env.app.cli.commands
    result = env.cli("--help")
    assert result.exit_code == 0
    for command in ("list", "run", "export", "import", "prune", "reap"):
        assert command in result.output


# --- list ----------------------------------------------------------------------------------


def test_list_table_filters_and_json(env):
    assert env.cli("list", "--tenant", "acme").output.strip() == "no scripts"
    hello = env.create()
    env.create(name="nightly", type="scheduled", cron="0 3 * * *", status="active")
    env.create(name="other-tenant", tenant="globex")
    assert env.cli("run", "hello", "--tenant", "acme").exit_code == 0

    result = env.cli("list", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "STATUS", "VERSION", "LAST", "RUN", "AT"]
    row = next(line for line in lines if line.startswith("hello"))
    assert row.split()[:5] == ["hello", "manual", "draft", "v1", "completed"]
    assert "other-tenant" not in result.output

    only = env.cli("list", "--tenant", "acme", "--type", "scheduled").output
    assert "nightly" in only and "hello" not in only
    assert "nightly" not in env.cli("list", "--tenant", "acme", "--status", "draft").output
    assert "nightly" not in env.cli("list", "--tenant", "acme", "--search", "hel").output

    rows = json.loads(env.cli("list", "--tenant", "acme", "--json").output)
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"hello", "nightly"}
    assert by_name["hello"]["id"] == hello and by_name["hello"]["version"] == 1
    assert by_name["hello"]["last_run"]["status"] == "completed"
    assert by_name["nightly"]["last_run"] is None


def test_list_rejects_bad_choices_and_tenants(env):
    assert env.cli("list", "--tenant", "acme", "--type", "weird").exit_code == 2
    assert env.cli("list").exit_code == 2  # --tenant is required
    empty = env.cli("list", "--tenant", "")
    assert empty.exit_code == 2 and "invalid tenant id" in empty.stderr
    assert "Traceback" not in empty.output


# --- run -----------------------------------------------------------------------------------


def test_run_completed_prints_result_and_console(env):
    script_id = env.create()
    result = env.cli("run", "hello", "--tenant", "acme", "--input", '{"who": "cli"}')
    assert result.exit_code == 0, result.output
    assert "status: completed" in result.output
    assert "result: 1" in result.output
    assert "console [info] hi cli" in result.output

    by_id = env.cli("run", script_id, "--tenant", "acme", "--json")
    view = json.loads(by_id.stdout)
    assert by_id.exit_code == 0 and view["status"] == "completed" and view["output"] == 1
    assert view["version"] == 1 and isinstance(view["console"], list)


def test_run_input_file_and_stdin(env, tmp_path):
    env.create(source="function main(ctx) { return ctx.input.n * 2 }")
    path = tmp_path / "input.json"
    path.write_text('{"n": 21}')
    from_file = env.cli("run", "hello", "--tenant", "acme", "--input-file", str(path), "--json")
    assert json.loads(from_file.stdout)["output"] == 42
    stdin = env.cli("run", "hello", "-t", "acme", "--input-file", "-", "--json", input='{"n": 5}')
    assert stdin.exit_code == 0 and json.loads(stdin.stdout)["output"] == 10


def test_run_failure_exits_1_with_error_line(env):
    env.create(source="function main(ctx) {\n  var x = null;\n  return x.boom;\n}")
    result = env.cli("run", "hello", "--tenant", "acme")
    assert result.exit_code == 1
    assert "status: failed" in result.output
    assert "error: TypeError" in result.output and "(line 3" in result.output
    assert "Traceback" not in result.output


BAD_RUNS = [
    (["nope"], "script 'nope' not found"),
    (["hello", "--input", "{bad"], "the input is not valid JSON"),
    (["hello", "--input", "NaN"], "the input is not valid JSON"),
    (["hello", "--input", "1", "--input-file", "-"], "not both"),
]


def test_run_bad_usage_exits_2(env):
    env.create()
    for args, message in BAD_RUNS:  # one database for all cases: PostgreSQL setup is slow
        result = env.cli("run", *args, "--tenant", "acme")
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1, args
        assert "Traceback" not in result.output
    assert env.count(Execution) == 0


def test_run_cannot_reach_another_tenant_and_refused_runs_exit_2(env):
    script_id = env.create(tenant="globex")
    for ref in (script_id, "hello"):
        result = env.cli("run", ref, "--tenant", "acme")
        assert result.exit_code == 2 and "not found" in result.stderr
    env.create(name="old", status="archived")
    refused = env.cli("run", "old", "--tenant", "acme")
    assert refused.exit_code == 2 and "archived" in refused.stderr
    assert env.count(Execution, "globex") == 0


def test_run_refused_when_manual_runs_are_off(env):
    env.create()
    env.app.config["JSSCRIPTS_ENABLE_MANUAL"] = False
    result = env.cli("run", "hello", "--tenant", "acme")
    assert result.exit_code == 2 and "switched off" in result.stderr


# --- export --------------------------------------------------------------------------------


def test_export_document_shape(env, tmp_path):
    script_id = env.create(tags=["b", "a"], limits={"timeout": 5})
    env.update_source(script_id, "function main() { return 2 }", "second")
    env.create(name="hook", type="http", http_path="/orders/{id}", http_methods=["post", "GET"])
    result = env.cli("export", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["format"] == "flask-jsscripts/1" and document["exported_at"]
    assert [s["name"] for s in document["scripts"]] == ["hello", "hook"]
    hello, hook = document["scripts"]
    assert hello["tags"] == ["a", "b"] and hello["limits"] == {"timeout": 5}
    assert [(v["number"], v["author"], v["note"]) for v in hello["versions"]] == [
        (1, "alice", "created"),
        (2, "bob", "second"),
    ]
    assert "cron" not in hello and "http_path" not in hello
    assert hook["http_path"] == "/orders/{id}" and hook["http_methods"] == ["GET", "POST"]
    text = result.stdout
    for secret in (script_id, "acme", "tenant", "compiled", '"id"', "token"):
        assert secret not in text

    out = tmp_path / "one.json"
    one = env.cli("export", "--tenant", "acme", "--output", str(out), "hook")
    assert one.exit_code == 0 and "exported 1 scripts" in one.stderr
    assert [s["name"] for s in json.loads(out.read_text())["scripts"]] == ["hook"]


def test_export_unknown_name_and_empty_tenant(env):
    env.create(tenant="globex")
    missing = env.cli("export", "--tenant", "acme", "hello")
    assert missing.exit_code == 2 and "not found" in missing.stderr
    empty = json.loads(env.cli("export", "--tenant", "acme").stdout)
    assert empty["scripts"] == []


# --- import --------------------------------------------------------------------------------


def _write(tmp_path, document, name="doc.json"):
    path = tmp_path / name
    if isinstance(document, bytes):
        path.write_bytes(document)
    else:
        path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_round_trip_across_tenants_keeps_every_version(env, tmp_path):
    first = env.create(description="says hi", tags=["x"], limits={"memory_mb": 32})
    env.update_source(first, "const f = (x) => x + 1;\nfunction main() { return f(1) }", "arrow")
    env.update_source(first, "function main() { return 3 }", "third")
    env.create(
        name="nightly", type="scheduled", cron="0  3 * * *", timezone="Europe/Riga", status="active"
    )
    env.create(name="hook", type="http", http_path="/h/{id}", http_auth="token")
    env.create(
        name="on-order",
        type="event",
        event_types=["order.created", "order.*"],
        event_filter={"all": [{"path": "total", "op": "gt", "value": 10}]},
    )
    original = env.export("acme")
    path = _write(tmp_path, original)

    result = env.cli("import", path, "--tenant", "globex")
    assert result.exit_code == 0, result.output
    assert "imported 4 scripts (6 versions) into globex" in result.output
    again = env.export("globex")
    assert _without_time(again) == _without_time(original)

    with tenancy.tenant_scope("globex"):
        copy = scripts.get_script_by_name(env.db.session, "hello")
        assert copy.current_version == 3 and copy.created_by == "cli"
        versions = scripts.list_versions(env.db.session, copy.id)
        assert [v.number for v in versions] == [3, 2, 1]
        assert all(v.compiled and v.compile_hash for v in versions)
        assert "=>" not in versions[1].compiled  # the modern version was transpiled
        nightly = scripts.get_script_by_name(env.db.session, "nightly")
        assert nightly.schedule.next_run_at is not None
    run = env.cli("run", "hello", "--tenant", "globex", "--json")
    assert json.loads(run.stdout)["output"] == 3
    with tenancy.tenant_scope("globex"):
        rolled = scripts.rollback(env.db.session, copy.id, 2, runtime=env.state.runtime)
    assert rolled.number == 4
    assert json.loads(env.cli("run", "hello", "-t", "globex", "--json").stdout)["output"] == 2


def test_import_from_stdin(env):
    env.create()
    document = json.dumps(env.export("acme"))
    result = env.cli("import", "-", "--tenant", "globex", input=document)
    assert result.exit_code == 0 and env.count(Script, "globex") == 1


def _doc(*scripts_):
    return {"format": "flask-jsscripts/1", "scripts": list(scripts_)}


def _entry(name="hello", source=ES5, **fields):
    return {"name": name, "versions": [{"number": 1, "source": source}], **fields}


BROKEN_DOCUMENTS = [
    ("{not json", "not valid JSON"),
    (b"\xff\xfe\x00", "not valid JSON"),
    ('{"format": NaN}', "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ([], "document: must be a JSON object"),
    ({"format": "other/9", "scripts": []}, "unknown format 'other/9'"),
    ({"format": "flask-jsscripts/1", "scripts": {}}, "scripts: must be a list"),
    (_doc("x"), "scripts[0]: must be an object"),
    (_doc({"name": "a"}), "scripts[0] (a).versions: must be a non-empty list"),
    (_doc(_entry(source="function (")), "scripts[0] (hello).versions[0].source"),
    (_doc(_entry(type="weird")), "scripts[0] (hello).type"),
    (_doc(_entry(name="bad/name")), "scripts[0] (bad/name).name"),
    (_doc(_entry(tenant_id="globex")), "unknown field 'tenant_id'"),
    (_doc(_entry(id="x")), "unknown field 'id'"),
    (_doc(_entry(limits={"timeout": 10_000})), "limits.timeout"),
    (_doc(_entry(), _entry()), "scripts[1] (hello).name: also used by scripts[0]"),
    (_doc(_entry(versions=[{"number": 1, "source": "1", "compiled": "x"}])), "'compiled'"),
    (
        _doc(_entry(versions=[{"number": 2, "source": "1"}, {"number": 1, "source": "2"}])),
        "versions[1].number: version numbers must increase",
    ),
    (
        _doc(_entry(versions=[{"number": 1, "source": "1", "created_at": "yesterday"}])),
        "versions[0].created_at",
    ),
    (
        _doc(_entry(versions=[{"number": True, "source": "1", "author": "a" * 65}])),
        "versions[0].author",
    ),
]


def test_import_rejects_broken_documents(env, tmp_path):
    for document, expected in BROKEN_DOCUMENTS:  # one database for all: PG setup is slow
        path = _write(tmp_path, document)
        result = env.cli("import", path, "--tenant", "acme")
        assert result.exit_code == 2, (expected, result.output)
        assert expected in result.stderr, (expected, result.stderr)
        assert "Traceback" not in result.output
    assert env.count(Script) == 0 and env.count(ScriptVersion) == 0


def test_import_is_all_or_nothing_and_lists_every_problem(env, tmp_path):
    document = _doc(
        _entry("good"),
        _entry(
            "broken-old",
            versions=[{"number": 1, "source": "function ("}, {"number": 2, "source": ES5}],
        ),
        _entry("bad-cron", type="scheduled", cron="61 * * * *"),
    )
    result = env.cli("import", _write(tmp_path, document), "--tenant", "acme")
    assert result.exit_code == 2
    assert "not imported (2 problems)" in result.stderr
    assert "scripts[1] (broken-old).versions[0].source" in result.stderr
    assert "(line 1" in result.stderr
    assert "scripts[2] (bad-cron).cron" in result.stderr
    assert env.count(Script) == 0


def test_import_rejects_oversized_sources_and_documents(env, tmp_path, monkeypatch):
    big = "//" + "x" * env.app.config["JSSCRIPTS_MAX_SOURCE_BYTES"]
    result = env.cli("import", _write(tmp_path, _doc(_entry(source=big))), "--tenant", "acme")
    assert result.exit_code == 2 and "versions[0].source" in result.stderr
    monkeypatch.setattr(transfer, "MAX_DOCUMENT_BYTES", 100)
    huge = env.cli("import", _write(tmp_path, _doc(_entry())), "--tenant", "acme")
    assert huge.exit_code == 2 and "larger than 100 bytes" in huge.stderr


def test_import_conflicts_in_each_mode(env, tmp_path):
    env.create()
    env.create(name="hook", type="http", http_path="/hook")
    document = _doc(_entry("hello"), _entry("fresh"))
    path = _write(tmp_path, document)

    error = env.cli("import", path, "--tenant", "acme")
    assert error.exit_code == 2
    assert "scripts[0] (hello).name: a script with this name already exists" in error.stderr
    assert env.count(Script) == 2

    skip = env.cli("import", path, "--tenant", "acme", "--on-conflict", "skip")
    assert skip.exit_code == 0, skip.output
    assert "imported 1 scripts" in skip.output and "skipped: hello" in skip.output

    rename = env.cli("import", path, "--tenant", "acme", "--on-conflict", "rename")
    assert rename.exit_code == 0, rename.output
    assert "renamed: hello -> hello-2" in rename.output
    assert "renamed: fresh -> fresh-2" in rename.output
    names = {r["name"] for r in json.loads(env.cli("list", "-t", "acme", "--json").stdout)}
    assert names == {"hello", "hook", "fresh", "hello-2", "fresh-2"}

    path_clash = _write(tmp_path, _doc(_entry("hook2", type="http", http_path="/hook")), "p.json")
    refused = env.cli("import", path_clash, "--tenant", "acme", "--on-conflict", "rename")
    assert refused.exit_code == 2 and "http_path: /hook is already answered" in refused.stderr
    skipped = env.cli("import", path_clash, "--tenant", "acme", "--on-conflict", "skip")
    assert skipped.exit_code == 0 and "skipped: hook2" in skipped.output
    assert env.cli("import", path, "-t", "acme", "--on-conflict", "merge").exit_code == 2


def test_import_service_validates_mode_and_keeps_version_metadata(env):
    with tenancy.tenant_scope("acme"):
        with pytest.raises(ValidationError, match="on_conflict"):
            transfer.import_scripts(
                env.db.session, _doc(), config=env.app.config, runtime=None, on_conflict="x"
            )
        document = _doc(
            _entry(
                versions=[
                    {
                        "number": 3,
                        "source": "1",
                        "author": "zoe",
                        "note": "n3",
                        "created_at": "2020-01-02T03:04:05.123456+02:00",
                    },
                    {"number": 7, "source": "2", "author": None, "note": ""},
                ]
            )
        )
        report = transfer.import_scripts(
            env.db.session, document, config=env.app.config, runtime=None, actor="me"
        )
        assert report.created == ["hello"] and report.versions == 2
        script = scripts.get_script_by_name(env.db.session, "hello")
        assert script.current_version == 7 and script.source == "2"
        old = scripts.get_version(env.db.session, script.id, 3)
        assert old.author == "zoe" and old.note == "n3"
        assert old.created_at.isoformat() == "2020-01-02T01:04:05.123456+00:00"
        assert old.compiled is None  # no runtime given: compiled on first use


# --- prune / reap --------------------------------------------------------------------------


def test_prune_default_days_per_tenant_and_all(env):
    acme = env.create()
    globex = env.create(tenant="globex")
    old = env.add_execution(acme, age_days=100)
    env.add_execution(acme, age_days=100, status="running")  # unfinished: never pruned
    env.add_execution(acme, age_days=1)
    env.add_execution(globex, "globex", age_days=100)

    result = env.cli("prune", "--tenant", "acme")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deleted 1 executions older than 90 days (tenant acme)"
    with tenancy.tenant_scope("acme"):
        assert env.db.session.get(Execution, old) is None
    assert env.count(Execution, "globex") == 1

    everywhere = env.cli("prune", "--days", "0")
    assert "deleted 2 executions older than 0 days (all tenants)" in everywhere.output
    assert env.count(Execution, "acme") == 1 and env.count(Execution, "globex") == 0
    assert env.cli("prune", "--days", "-1").exit_code == 2
    assert env.cli("prune", "--tenant", "").exit_code == 2


def test_reap_marks_abandoned_runs_failed(env):
    script_id = env.create()
    past = utcnow() - timedelta(hours=1)
    stale = env.add_execution(script_id, status="running", deadline_at=past)
    fresh = env.add_execution(script_id, status="running", deadline_at=utcnow() + timedelta(1))
    other = env.add_execution(
        env.create(tenant="globex"), "globex", status="running", deadline_at=past
    )

    only_acme = env.cli("reap", "--tenant", "acme")
    assert only_acme.exit_code == 0
    assert "marked 1 abandoned executions as failed (tenant acme)" in only_acme.output
    everywhere = env.cli("reap", "--grace", "0")
    assert "marked 1 abandoned executions as failed (all tenants)" in everywhere.output
    env.db.session.expire_all()
    with tenancy.all_tenants():
        rows = {i: env.db.session.get(Execution, i) for i in (stale, fresh, other)}
    assert rows[stale].status == "failed" and rows[stale].end_reason == "crashed"
    assert rows[fresh].status == "running" and rows[other].status == "failed"
