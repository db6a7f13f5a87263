"""Tenant isolation at every service entry point, on SQLite and PostgreSQL.

Two tenants, acme and globex, each with one script of every type (two versions each), a
completed and a pending execution per script, and KV state. From inside acme's scope, every
public service function that takes an id is called with globex's ids: each must fail exactly
like an unknown id (same exception type and message) and leave the database untouched.

The entry points are discovered from the ``flask_jsscripts.services`` modules, so a new public
function that takes a session and an id fails :func:`test_every_entry_point_has_an_isolation_case`
until a case for it is added to :data:`CASES`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

import flask_jsscripts.services as services_pkg
from flask_jsscripts import tenancy
from flask_jsscripts.models import ALL_MODELS, DeadLetter, Execution, OutboxEvent, Script
from flask_jsscripts.services import (
    dead_letters,
    endpoints,
    events,
    executions,
    outputs,
    scripts,
    transfer,
)
from flask_jsscripts.services.broker import ScriptBroker
from flask_jsscripts.services.errors import NotFound
from flask_jsscripts.services.validation import ScriptInput

TENANTS = ("acme", "globex")
TYPES = {
    "manual": {},
    "scheduled": {"cron": "*/5 * * * *", "timezone": "Europe/Berlin"},
    "http": {"http_path": "/{tenant}/orders/{{id}}", "http_methods": ["GET", "POST"]},
    "event": {"event_types": ["order.created", "user.*"]},
}
# Every run increments a counter and can write a tenant-marked secret: a run that should not
# have happened (a globex row executed from acme) changes globex's KV and shows in the snapshot.
SOURCE = (
    "function main(ctx) {\n"
    "  if (ctx.input && ctx.input.op === 'secret')\n"
    "    sdk.kv.set('shared', ctx.tenant.id + '-secret');\n"
    "  return {n: sdk.kv.incr('n'), tenant: ctx.tenant.id};\n"
    "}\n"
)


@dataclass
class Target:
    """The ids an attacker in acme could hold: globex's real ones, or random unknown ones."""

    script_id: str
    script: Script  # an object carrying the id (compiled_version takes the row itself)
    name: str
    execution_id: str  # a completed execution
    pending_execution_id: str  # a pending execution (execute() would run it)
    dead_letter_id: str  # an open dead letter

    def placeholders(self, message: str) -> str:
        for value, label in (
            (self.script_id, "<script_id>"),
            (self.execution_id, "<execution_id>"),
            (self.pending_execution_id, "<execution_id>"),
            (self.dead_letter_id, "<dead_letter_id>"),
            (self.name, "<name>"),
        ):
            message = message.replace(value, label)
        return message


def trigger_fields(tenant: str, type_: str) -> dict[str, Any]:
    fields = dict(TYPES[type_])
    if "http_path" in fields:
        fields["http_path"] = fields["http_path"].format(tenant=tenant)
    return fields


class _Env:
    def __init__(self, app, db, ext):
        self.app, self.db, self.ext = app, db, ext
        self.state = app.extensions["jsscripts"]
        self.rc = self.state.run_context()
        self.runtime = self.state.runtime
        self.config = app.config
        self.data: dict[str, dict[str, dict[str, Any]]] = {}

    @property
    def session(self):
        return self.db.session

    def create(self, tenant: str, type_: str) -> dict[str, Any]:
        with tenancy.tenant_scope(tenant):
            saved = scripts.create_script(
                self.session,
                ScriptInput(
                    name=f"{tenant} {type_}",
                    source=SOURCE,
                    type=type_,
                    description=f"{tenant}'s {type_} script",
                    tags=[tenant, type_],
                    **trigger_fields(tenant, type_),
                ),
                config=self.config,
                runtime=self.runtime,
                actor=f"{tenant}-admin",
            )
            script = saved.script
            data = {k: getattr(script, k) for k in ("name", "type", "status", "description")}
            scripts.update_script(
                self.session,
                script.id,
                ScriptInput(source=SOURCE + "// v2\n", **data, **trigger_fields(tenant, type_)),
                config=self.config,
                runtime=self.runtime,
                actor=f"{tenant}-admin",
            )
            done = executions.run_script(
                self.session, self.rc, script.id, "manual", {"op": "secret"}
            )
            assert done.status == "completed", done.error
            pending = executions.start._start_run(
                self.session, self.rc, script.id, "manual", {"x": 1}
            )
            letter = DeadLetter(
                script_id=script.id,
                event_id=str(uuid.uuid4()),
                event_type="order.created",
                payload={"secret": tenant},
                attempts=[done.id],
            )
            self.session.add(letter)
            self.session.commit()
            return {
                "id": script.id,
                "name": script.name,
                "execution_id": done.id,
                "pending_execution_id": pending.id,
                "dead_letter_id": letter.id,
            }

    def target(self, tenant: str, type_: str) -> Target:
        row = self.data[tenant][type_]
        with Session(self.db.engine, expire_on_commit=False) as s, tenancy.all_tenants():
            script = s.get(Script, row["id"])  # loaded elsewhere, detached: only carries the id
        return Target(
            row["id"],
            script,
            row["name"],
            row["execution_id"],
            row["pending_execution_id"],
            row["dead_letter_id"],
        )


def unknown_target() -> Target:
    script = Script(id=str(uuid.uuid4()), tenant_id="acme", name="ghost", current_version=1)
    return Target(
        str(uuid.uuid4()),
        script,
        f"no such script {uuid.uuid4().hex}",
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        str(uuid.uuid4()),
    )


def snapshot(engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every extension table, all tenants, read fresh from the database."""
    out: dict[str, list[dict[str, Any]]] = {}
    with Session(engine) as s, tenancy.all_tenants():
        for model in ALL_MODELS:
            keys = [attr.key for attr in sa_inspect(model).column_attrs]
            rows = s.scalars(select(model).order_by(model.id)).all()
            out[model.__tablename__] = [{k: getattr(r, k) for k in keys} for r in rows]
    return out


@pytest.fixture
def env(host_app):
    e = _Env(*host_app)
    for tenant in TENANTS:
        e.data[tenant] = {type_: e.create(tenant, type_) for type_ in TYPES}
    e.db.session.remove()
    with tenancy.tenant_scope("acme"):
        yield e


# --- the cases: every public service function that takes an id --------------------------------

# name -> call(env, target). Each call passes the target's ids where the function takes ids.
CASES: dict[str, Any] = {
    "scripts.get_script": lambda e, t: scripts.get_script(e.session, t.script_id),
    "scripts.get_script_by_name": lambda e, t: scripts.get_script_by_name(e.session, t.name),
    "scripts.update_script": lambda e, t: scripts.update_script(
        e.session,
        t.script_id,
        ScriptInput(name="taken over", source="function main() { return 666 }"),
        config=e.config,
        runtime=e.runtime,
        actor="mallory",
    ),
    "scripts.set_status": lambda e, t: scripts.set_status(e.session, t.script_id, "disabled"),
    "scripts.delete_script": lambda e, t: scripts.delete_script(e.session, t.script_id),
    "scripts.get_version": lambda e, t: scripts.get_version(e.session, t.script_id, 1),
    "scripts.list_versions": lambda e, t: scripts.list_versions(e.session, t.script_id),
    "scripts.rollback": lambda e, t: scripts.rollback(
        e.session, t.script_id, 1, runtime=e.runtime, actor="mallory"
    ),
    "scripts.diff_versions": lambda e, t: scripts.diff_versions(e.session, t.script_id, 1, 2),
    # the signature moved between (session, script, runtime, number) and
    # (session, script_id, number, runtime): call whichever is current
    "scripts.compiled_version": lambda e, t: (
        scripts.compiled_version(e.session, t.script_id, 2, e.runtime)
        if "script_id" in inspect.signature(scripts.compiled_version).parameters
        else scripts.compiled_version(e.session, t.script, e.runtime, 2)
    ),
    "executions.run_batch": lambda e, t: _must_run_nothing(
        executions.run_batch(e.session, e.rc, [t.pending_execution_id])
    ),
    "executions.run_script": lambda e, t: executions.run_script(
        e.session, e.rc, t.script_id, "manual", {"op": "secret"}
    ),
    "executions.run_for_outcome": lambda e, t: executions.run_for_outcome(
        e.session, e.rc, t.script_id, "manual", {"op": "secret"}
    ),
    "executions.run_then_record": lambda e, t: executions.run_then_record(
        e.session, e.rc, _script_ref(t.script), "manual", {"op": "secret"}
    ),
    "endpoints.issue_token": lambda e, t: endpoints.issue_token(e.session, t.script_id),
    "endpoints.revoke_token": lambda e, t: endpoints.revoke_token(e.session, t.script_id),
    "executions.get_execution": lambda e, t: executions.get_execution(e.session, t.execution_id),
    "executions.list_executions": lambda e, t: executions.list_executions(e.session, t.script_id),
    "outputs.output_head": lambda e, t: outputs.output_head(e.session, t.execution_id),
    "outputs.output_size": lambda e, t: outputs.output_size(e.session, t.execution_id),
    "outputs.read_output_bytes": lambda e, t: outputs.read_output_bytes(
        e.session, t.execution_id, 0, 100
    ),
    "transfer.export_scripts": lambda e, t: transfer.export_scripts(e.session, [t.script_id]),
    "dead_letters.get_dead_letter": lambda e, t: dead_letters.get_dead_letter(
        e.session, t.dead_letter_id
    ),
    "dead_letters.replay": lambda e, t: dead_letters.replay(e.session, e.rc, t.dead_letter_id),
    "dead_letters.discard": lambda e, t: dead_letters.discard(e.session, t.dead_letter_id),
    # a foreign script id filters to nothing: an empty page, exactly like an unknown id
    "dead_letters.list_dead_letters": lambda e, t: _must_be_empty(
        dead_letters.list_dead_letters(e.session, script_id=t.script_id, state="all")
    ),
    "dead_letters.replay_all": lambda e, t: _must_be_empty(
        dead_letters.replay_all(e.session, e.rc, script_id=t.script_id)
    ),
}


def _script_ref(script: Script) -> executions.ScriptRef:
    """What a route of the HTTP endpoints hands to run_then_record, for this script row."""
    return executions.ScriptRef(
        script.id,
        script.tenant_id,
        script.name,
        script.status or "active",
        script.limits or {},
        script.current_version,
    )


def _must_run_nothing(batch: executions.Batch) -> None:
    if batch.finished or batch.waiting or batch.not_started:  # pragma: no cover - a failure
        raise AssertionError(f"an execution of another tenant was claimed: {batch}")
    raise NotFound("nothing found")


def _must_be_empty(result: tuple[Any, Any]) -> None:
    if any(result):  # pragma: no cover - a failure
        raise AssertionError("rows of another tenant were listed")
    raise NotFound("nothing found")


# Public functions that take a session but no id, each with the test that covers it.
NO_ID = {
    "scripts.list_scripts": "test_lists_never_return_the_other_tenants_rows",
    "scripts.create_script": "test_create_in_acme_cannot_touch_globex",
    "transfer.import_scripts": "test_import_in_acme_cannot_touch_globex",
    "scripts.commit_unique": "commits the caller's session: no lookup of its own",
    "executions.reap_stale": (
        "system job (all_tenants); test_system_jobs_in_a_tenant_scope_stay_in_it"
    ),
    "executions.prune": "system job (all_tenants); test_system_jobs_in_a_tenant_scope_stay_in_it",
    "executions.redrive_pending": (
        "system job (all_tenants); test_system_jobs_in_a_tenant_scope_stay_in_it"
    ),
    "outbox.prune_outbox": "system job: tasks.prune_once calls it inside all_tenants()",
    "sql.commit_without_flush_wait": "commits what its caller wrote; reads nothing",
    "sql.take_overdue": "helper of redrive_pending and redrive_outbox (system jobs)",
    "outbox.redrive_outbox": (
        "system job (all_tenants); test_system_jobs_in_a_tenant_scope_stay_in_it"
    ),
    "schedules.claim_due": "system job; test_schedules.py::test_claim_is_a_system_job",
    "endpoints.load_routes": "test_route_tables_hold_only_the_tenants_endpoints",
    "quotas.take": "tests/services/test_events_limits.py::test_quota_windows_limits_and_tenants",
    "scripts.recompile_stale": (
        "system job (all_tenants, or one tenant's scope); test_compiler_versions.py::"
        "test_recompile_command_compiles_stale_forms_and_names_what_fails"
    ),
}
# Public classes built with ids by the services themselves (never from request data).
SEPARATE = {
    "broker.ScriptBroker": "test_broker_for_acme_cannot_reach_globex_kv",
    # takes a Script row its caller already fetched through get_script (no lookup of its own);
    # the before_flush guard refuses writing a row of another tenant anyway
    "scripts.apply_fields": "callers: create_script, update_script, transfer.import_scripts",
    # event ids come from claimed outbox rows, whose tenant the claim itself scopes
    "events.dispatch": "system job; test_dispatch_in_a_tenant_scope_claims_only_its_events",
    "executions.tenants_of": "system job; test_system_jobs_in_a_tenant_scope_stay_in_it",
    "events.dead_letter": "called by EventFollowUp with the plan of a run of this tenant",
    "dead_letters.attempts_of": "takes a row its caller fetched through get_dead_letter",
    "dead_letters.discard_all": "test_dead_letter_lists_and_bulk_actions_stay_in_the_tenant",
    "dead_letters.runs_of": "takes a row its caller fetched through get_dead_letter",
    # read queries whose rows the tenant scope filters (a foreign id simply matches nothing)
    "dead_letters.count_open": "scoped query (test_lists_never_return_the_other_tenants_rows)",
    "dead_letters.script_names": "scoped query (test_lists_never_return_the_other_tenants_rows)",
    "executions.last_runs": "scoped query (test_lists_never_return_the_other_tenants_rows)",
    # values the services build and hand back, never looked up from request data
    "executions.RunOutcome": "the outcome of a run, built by run_for_outcome / run_then_record",
    "executions.ScriptRef": "built by load_routes from the tenant rows; run_then_record checks it",
    "executions.ExecutionSnapshot": "built by the execution service from rows it read itself",
    "sql.find": "helper of the get_* functions, each with its case above",
    "endpoints.Route": "built by load_routes (test_route_tables_hold_only_the_tenants_endpoints)",
    "endpoints.Reply": "the HTTP answer the endpoint service builds from a run",
}
ID_PARAMS = {"script", "execution", "name", "number"}


def _is_id_param(name: str) -> bool:
    return name.endswith(("_id", "_ids")) or name in ID_PARAMS


def discover_entry_points() -> dict[str, list[str]]:
    """``module.function`` -> parameter names, for every public function of every services
    module whose first parameter is ``session``, and every public class taking an id."""
    found: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = importlib.import_module(f"{services_pkg.__name__}.{info.name}")
        for name, obj in vars(module).items():
            defined_in = str(getattr(obj, "__module__", ""))  # a package's: in its modules
            if name.startswith("_") or not defined_in.startswith(module.__name__):
                continue
            if inspect.isfunction(obj):
                params = list(inspect.signature(obj).parameters)
                if params and params[0] == "session":
                    found[f"{info.name}.{name}"] = params
            elif inspect.isclass(obj) and not issubclass(obj, BaseException):
                try:
                    params = list(inspect.signature(obj.__init__).parameters)[1:]
                except (TypeError, ValueError):
                    continue
                if any(p.endswith("_id") for p in params):
                    found[f"{info.name}.{name}"] = params
    return found


def test_every_entry_point_has_an_isolation_case():
    found = discover_entry_points()
    covered = set(CASES) | set(NO_ID) | set(SEPARATE)
    missing = sorted(set(found) - covered)
    assert not missing, f"service entry points without an isolation case: {missing}"
    stale = sorted(covered - set(found))
    assert not stale, f"isolation cases for entry points that no longer exist: {stale}"
    for name in NO_ID:
        ids = [p for p in found[name] if _is_id_param(p)]
        assert not ids, f"{name} now takes {ids}: move it to CASES"
    for name in CASES:
        assert any(_is_id_param(p) for p in found[name]), name


# Steps the public entry points go through, called on their own as well.
INTERNAL_CASES: dict[str, Any] = {
    "executions.start._start_run": lambda e, t: executions.start._start_run(
        e.session, e.rc, t.script_id, "manual", {"op": "secret"}
    ),
    "executions.batch._execute": lambda e, t: executions.batch._execute(
        e.session, e.rc, t.pending_execution_id
    ),
}


@pytest.mark.parametrize("case", sorted(CASES) + sorted(INTERNAL_CASES))
def test_globex_ids_look_unknown_from_acme(env, case):
    call = CASES.get(case) or INTERNAL_CASES[case]
    before = snapshot(env.db.engine)
    outcomes = []
    for target in [unknown_target()] + [env.target("globex", t) for t in TYPES]:
        with pytest.raises(NotFound) as info:
            call(env, target)
        # Whatever a failing call left in the session must not be written by a later commit.
        env.session.commit()
        outcomes.append((type(info.value), target.placeholders(info.value.message)))
        assert info.value.message, case
    unknown, *foreign = outcomes
    assert all(o == unknown for o in foreign), (case, outcomes)
    assert snapshot(env.db.engine) == before
    # acme itself still works: the same call with acme's ids does not raise NotFound
    own = env.target("acme", "manual")
    if case not in ("scripts.delete_script",):
        try:
            call(env, own)
        except NotFound as exc:  # pragma: no cover - a failure message
            pytest.fail(f"{case} refused acme's own ids: {exc}")
        except Exception:
            pass  # other refusals (rollback to the current version...) are not the point here
        finally:
            env.session.rollback()


# --- the no-id entry points and everything else -----------------------------------------------


def test_lists_never_return_the_other_tenants_rows(env):
    acme_ids = {row["id"] for row in env.data["acme"].values()}
    for kwargs in ({}, {"search": "globex"}, {"search": "e"}, {"type": "http"}, {"per_page": 200}):
        page = scripts.list_scripts(env.session, **kwargs)
        assert {s.id for s in page.items} <= acme_ids, kwargs
        assert all(s.tenant_id == "acme" for s in page.items)
    assert scripts.list_scripts(env.session, search="globex").total == 0
    assert scripts.list_scripts(env.session).total == len(TYPES)
    for row in env.data["acme"].values():
        assert {v.tenant_id for v in scripts.list_versions(env.session, row["id"])} == {"acme"}
        runs = executions.list_executions(env.session, row["id"])
        assert len(runs) == 2 and {r.tenant_id for r in runs} == {"acme"}
    # raw ORM queries are scoped too (the services rely on it)
    for model in ALL_MODELS:
        assert {r.tenant_id for r in env.session.scalars(select(model))} <= {"acme"}


def test_create_in_acme_cannot_touch_globex(env):
    before = snapshot(env.db.engine)
    globex_before = {k: v for k, v in before.items()}
    saved = scripts.create_script(
        env.session,
        ScriptInput(
            name="globex manual", source=SOURCE, type="http", http_path="/globex/orders/{id}"
        ),
        config=env.config,
        runtime=env.runtime,
    )
    # same name and path as globex's scripts: allowed, they are per tenant
    assert saved.script.tenant_id == "acme" and saved.version.tenant_id == "acme"
    after = snapshot(env.db.engine)
    for table, rows in globex_before.items():
        assert [r for r in after[table] if r["tenant_id"] == "globex"] == [
            r for r in rows if r["tenant_id"] == "globex"
        ], table


def test_import_in_acme_cannot_touch_globex(env):
    """globex's own export (same names and paths) imported into acme lands in acme only."""
    with tenancy.tenant_scope("globex"):
        document = transfer.export_scripts(env.session)
        assert {s["name"] for s in document["scripts"]} == {f"globex {t}" for t in TYPES}
    assert transfer.export_scripts(env.session)["scripts"] != document["scripts"]
    before = snapshot(env.db.engine)
    report = transfer.import_scripts(
        env.session, document, config=env.config, runtime=env.runtime, actor="acme-admin"
    )
    assert sorted(report.created) == sorted(f"globex {t}" for t in TYPES)
    after = snapshot(env.db.engine)
    for table in before:
        assert [r for r in after[table] if r["tenant_id"] == "globex"] == [
            r for r in before[table] if r["tenant_id"] == "globex"
        ], table
    copies = scripts.list_scripts(env.session, search="globex").items
    assert len(copies) == len(TYPES) and {s.tenant_id for s in copies} == {"acme"}


def test_system_jobs_in_a_tenant_scope_stay_in_it(env):
    """reap_stale, redrive_pending, redrive_outbox, prune and tenants_of are meant for
    all_tenants(); called in a tenant scope they must only ever touch that tenant's rows."""
    from datetime import timedelta

    from flask_jsscripts.models import utcnow

    with tenancy.tenant_scope("globex"):
        env.ext.publish("order.created", {"secret": "globex"})
        env.session.commit()
    before = snapshot(env.db.engine)
    globex_runs = [env.target("globex", t).pending_execution_id for t in TYPES]
    assert executions.tenants_of(env.session, globex_runs) == {}
    own = env.target("acme", "manual").pending_execution_id
    assert executions.tenants_of(env.session, globex_runs + [own]) == {"acme": [own]}
    future = utcnow() + timedelta(days=3650)
    env.session.execute(
        Execution.__table__.update()
        .where(Execution.tenant_id == "acme", Execution.status == "pending")
        .values(status="running")
    )
    env.session.commit()
    assert executions.reap_stale(env.session, now=future, grace_seconds=0) == len(TYPES)
    assert executions.redrive_pending(env.session, env.config, now=future) == []
    assert events.redrive_outbox(env.session, env.config, now=future) == []
    assert executions.prune(env.session, retention_days=0, now=future) == 2 * len(TYPES)
    after = snapshot(env.db.engine)
    for table in before:
        assert [r for r in after[table] if r["tenant_id"] == "globex"] == [
            r for r in before[table] if r["tenant_id"] == "globex"
        ], table


def test_globex_kv_is_not_reachable_from_an_acme_script(env):
    probe = scripts.create_script(
        env.session,
        ScriptInput(
            name="probe",
            source=(
                "function main() {\n"
                "  var seen = [sdk.kv.get('shared'), sdk.kv.get('n')];\n"
                "  sdk.kv.set('shared', 'acme-overwrite'); sdk.kv.delete('n');\n"
                "  return seen }"
            ),
        ),
        config=env.config,
        runtime=env.runtime,
    ).script
    before = snapshot(env.db.engine)
    run = executions.run_script(env.session, env.rc, probe.id)
    assert run.status == "completed" and run.output == [None, None]
    # acme's own manual script still sees its own secret, never globex's
    own = executions.run_script(
        env.session,
        env.rc,
        env.data["acme"]["manual"]["id"],
        "manual",
        None,
    )
    assert own.output == {"n": 2, "tenant": "acme"}
    after = snapshot(env.db.engine)
    globex_kv = lambda snap: [r for r in snap["jsscripts_kv"] if r["tenant_id"] == "globex"]  # noqa: E731
    assert globex_kv(after) == globex_kv(before)
    assert {r["value"] for r in globex_kv(after) if r["key"] == "shared"} == {"globex-secret"}


def test_broker_for_acme_cannot_reach_globex_kv(env):
    """Even a broker built with a mismatched (acme tenant, globex script) pair, which the
    services never build, neither reads nor writes globex's KV."""
    before = snapshot(env.db.engine)
    broker = ScriptBroker(
        engine=env.db.engine,
        config=env.config,
        exposed={},
        tenant_id="acme",
        script_id=env.data["globex"]["manual"]["id"],
        user=None,
    )
    assert broker("kv.get", ["shared"]) is None
    assert broker("kv.get", ["n"]) is None
    assert broker("kv.delete", ["n"]) is False
    from flask_jsscripts.runtime import HostCallError

    # the composite foreign key (tenant_id, script_id) refuses the row outright
    with pytest.raises(HostCallError):
        broker("kv.set", ["shared", "stolen"])
    with pytest.raises(HostCallError):
        broker("kv.incr", ["n"])
    assert snapshot(env.db.engine) == before


def test_host_functions_run_in_the_scripts_tenant_scope(env):
    seen = []

    def whoami():
        # a host function that uses the services sees only the calling script's tenant
        names = [s.name for s in scripts.list_scripts(env.session, per_page=200).items]
        seen.append((tenancy.current_tenant(), sorted(names)))
        return tenancy.current_tenant()

    env.ext.expose("whoami", whoami)
    source = "function main() { return sdk.host.whoami() }"
    mine = scripts.create_script(
        env.session, ScriptInput(name="who", source=source), config=env.config, runtime=env.runtime
    ).script
    assert executions.run_script(env.session, env.rc, mine.id).output == "acme"
    with tenancy.tenant_scope("globex"):
        theirs = scripts.create_script(
            env.session,
            ScriptInput(name="who", source=source),
            config=env.config,
            runtime=env.runtime,
        ).script
        assert executions.run_script(env.session, env.rc, theirs.id).output == "globex"
    acme_names = sorted([r["name"] for r in env.data["acme"].values()] + ["who"])
    globex_names = sorted([r["name"] for r in env.data["globex"].values()] + ["who"])
    assert seen == [("acme", acme_names), ("globex", globex_names)]


def test_a_globex_execution_cannot_be_run_from_acme(env):
    pending_id = env.data["globex"]["manual"]["pending_execution_id"]
    with pytest.raises(NotFound, match="execution not found"):
        executions.batch._execute(env.session, env.rc, pending_id)
    env.session.rollback()
    with tenancy.tenant_scope("globex"):
        row = executions.get_execution(env.session, pending_id)
        assert row.status == "pending" and row.started_at is None
        # and globex itself still can: the row was neither claimed nor spoiled
        done = executions.batch._execute(env.session, env.rc, pending_id)
        assert done.status == "completed" and done.output == {"n": 2, "tenant": "globex"}


def test_dispatch_in_a_tenant_scope_claims_only_its_events(env):
    for tenant in TENANTS:
        with tenancy.tenant_scope(tenant):
            scripts.set_status(env.session, env.data[tenant]["event"]["id"], "active")
    with tenancy.tenant_scope("globex"):
        globex_event = env.ext.publish("order.created", {"n": 1}).id
        env.session.commit()
    acme_event = env.ext.publish("order.created", {"n": 2}).id
    env.session.commit()
    queued = events.dispatch(env.session, env.config, [globex_event, acme_event])
    assert list(queued) == ["acme"] and len(queued["acme"]) == 1  # acme's event script only
    with tenancy.all_tenants():
        statuses = {e.id: e.status for e in env.session.scalars(select(OutboxEvent))}
        run = env.session.get(Execution, queued["acme"][0])
        assert run.tenant_id == "acme" and run.event_id == acme_event
    assert statuses == {globex_event: "pending", acme_event: "dispatched"}


def test_dead_letter_lists_and_bulk_actions_stay_in_the_tenant(env):
    letters, total = dead_letters.list_dead_letters(env.session, state="all")
    assert total == len(TYPES) and {d.tenant_id for d in letters} == {"acme"}
    scripts.set_status(env.session, env.data["acme"]["event"]["id"], "active")
    before = snapshot(env.db.engine)
    queued, refused = dead_letters.replay_all(env.session, env.rc)
    assert [e.script_id for e in queued] == [env.data["acme"]["event"]["id"]]
    assert {letter.tenant_id for letter, _ in refused} == {"acme"} and len(refused) == 3
    assert dead_letters.discard_all(env.session) == len(TYPES) - len(queued)
    after = snapshot(env.db.engine)
    for table in before:
        assert [r for r in after[table] if r["tenant_id"] == "globex"] == [
            r for r in before[table] if r["tenant_id"] == "globex"
        ], table


def test_route_tables_hold_only_the_tenants_endpoints(env):
    """Both tenants have an active endpoint script on a path of the same shape: each tenant's
    route table (what the endpoint blueprint matches requests against) holds its own only."""
    for tenant in TENANTS:
        with tenancy.tenant_scope(tenant):
            scripts.set_status(env.session, env.data[tenant]["http"]["id"], "active")
    table = endpoints.load_routes(env.session)
    assert len(table) == 1
    route, params = table.match("/acme/orders/7")
    assert route.script.id == env.data["acme"]["http"]["id"] and params == {"id": "7"}
    assert route.script.tenant_id == "acme"
    assert table.match("/globex/orders/7") is None
    with tenancy.tenant_scope("globex"):
        theirs = endpoints.load_routes(env.session)
        assert theirs.match("/acme/orders/7") is None
        assert theirs.match("/globex/orders/7")[0].script.tenant_id == "globex"
    # a route of globex handed to acme's run is refused like an unknown script
    foreign = theirs.match("/globex/orders/7")[0].script
    before = snapshot(env.db.engine)
    with pytest.raises(NotFound, match="script not found"):
        executions.run_then_record(env.session, env.rc, foreign, "http", {"body": None})
    assert snapshot(env.db.engine) == before
