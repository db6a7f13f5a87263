"""Compiled forms carry their compiler; forms another compiler made are compiled again before
they run (lazily) or by ``flask jsscripts recompile``, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from flask_jsscripts import tenancy
from flask_jsscripts.models import ScriptVersion
from flask_jsscripts.runtime.transpile import COMPILER
from flask_jsscripts.services import executions, scripts
from flask_jsscripts.services.validation import ScriptInput

MODERN = "function main(ctx) { return ctx.input?.n ?? 'none' }"


@pytest.fixture
def env(host_app):
    app, db, _ = host_app
    return _Env(app, db, app.extensions["jsscripts"])


class _Env:
    def __init__(self, app, db, state):
        self.app, self.db, self.state = app, db, state

    def create(self, name, source, tenant="acme"):
        with tenancy.tenant_scope(tenant):
            saved = scripts.create_script(
                self.db.session,
                ScriptInput(name=name, source=source),
                config=self.app.config,
                runtime=self.state.runtime,
                actor="alice",
            )
            return saved.script.id

    def make_stale(self, script_id, compiled, tenant="acme", number=1, source=None):
        """What an older release left: a form made by another compiler (or an unknown one)."""
        with tenancy.tenant_scope(tenant):
            version = self.version(script_id, number)
            version.compiled, version.compiler = compiled, None
            if source is not None:  # versions are immutable: only a raw UPDATE changes one
                self.db.session.execute(
                    ScriptVersion.__table__.update()
                    .where(ScriptVersion.__table__.c.id == version.id)
                    .values(source=source)
                )
            self.db.session.commit()
            self.db.session.expire_all()

    def version(self, script_id, number=1):
        return self.db.session.scalars(
            select(ScriptVersion).where(
                ScriptVersion.script_id == script_id, ScriptVersion.number == number
            )
        ).one()

    def run(self, script_id, input=None, tenant="acme"):
        with tenancy.tenant_scope(tenant):
            return executions.run_script(
                self.db.session, self.state.run_context(), script_id, "manual", input
            )

    def cli(self, *args):
        return self.app.test_cli_runner().invoke(args=["jsscripts", "recompile", *args])


def test_a_saved_version_records_its_compiler(env):
    script_id = env.create("modern", MODERN)
    with tenancy.tenant_scope("acme"):
        version = env.version(script_id)
        assert version.compiler == COMPILER == env.state.runtime.compiler
        assert "?." not in version.compiled and "??" not in version.compiled
    assert env.run(script_id, {"n": 0}).output == 0


def test_a_form_from_another_compiler_is_compiled_again_before_it_runs(env):
    script_id = env.create("stale", MODERN)
    env.make_stale(script_id, "function main() { return 'the old form ran' }")
    assert env.run(script_id, {"n": 5}).output == 5
    with tenancy.tenant_scope("acme"):
        version = env.version(script_id)
        assert version.compiler == COMPILER and "the old form" not in version.compiled


def test_rolling_back_to_a_stale_version_compiles_it_again(env):
    script_id = env.create("rolled", MODERN)
    with tenancy.tenant_scope("acme"):
        scripts.update_script(
            env.db.session,
            script_id,
            ScriptInput(name="rolled", source="function main() { return 2 }"),
            config=env.app.config,
            runtime=env.state.runtime,
        )
    env.make_stale(script_id, "function main() { return 'old' }")
    with tenancy.tenant_scope("acme"):
        back = scripts.rollback(env.db.session, script_id, 1, runtime=env.state.runtime)
        assert back.number == 3 and back.compiler == COMPILER
        assert "'old'" not in back.compiled
    assert env.run(script_id, {"n": 7}).output == 7


def test_recompile_command_compiles_stale_forms_and_names_what_fails(env):
    ok_id = env.create("fine", MODERN)
    broken_id = env.create("broken", "function main() { return 1 }")
    other_id = env.create("elsewhere", MODERN, tenant="globex")
    env.make_stale(ok_id, "old")
    env.make_stale(broken_id, "old", source="function main() { return 10n }")
    env.make_stale(other_id, "old", tenant="globex")

    result = env.cli("--tenant", "acme", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output.splitlines()[0])
    assert report["compiler"] == COMPILER and report["recompiled"] == 1
    assert report["failed"] == [
        {
            "script": "broken",
            "version": 1,
            "error": "BigInt literals are not supported (line 1, column 26)",
        }
    ]
    assert "Error: 1 versions no longer compile" in result.output
    with tenancy.tenant_scope("acme"):
        assert env.version(ok_id).compiler == COMPILER
        assert env.version(broken_id).compiled == "old"  # kept; its runs fail clearly
    with tenancy.tenant_scope("globex"):
        assert env.version(other_id).compiler is None  # another tenant: untouched

    everywhere = env.cli("--current-only")
    assert everywhere.exit_code == 1
    assert everywhere.output.startswith(f"recompiled 1 versions with {COMPILER}")
    assert "broken version 1: BigInt literals are not supported" in everywhere.output
    with tenancy.tenant_scope("globex"):
        assert env.version(other_id).compiler == COMPILER
    failed = env.run(broken_id)
    assert failed.status == "failed" and failed.error["name"] == "SyntaxError"
    assert "BigInt" in failed.error["message"]
