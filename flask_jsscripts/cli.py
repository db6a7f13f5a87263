"""``flask jsscripts ...``: list, run, export, import, prune and reap from a terminal.

Every command that touches data runs inside :func:`tenancy.tenant_scope` (or
:func:`tenancy.all_tenants` for the system jobs), exactly like a view or a task, so the CLI is
no back door around tenant isolation.

Exit codes, so shell scripts can rely on them: 0 success; 1 the script run did not complete
(or the database failed); 2 bad usage (unknown script, bad JSON, an invalid document, a refused
run). Errors are printed as one ``Error: ...`` line on stderr, never as a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import tenancy
from .models import SCRIPT_STATUSES, SCRIPT_TYPES, Execution, Script
from .services import executions, scripts, transfer
from .services.errors import NotFound, ServiceError, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .extension import JSScriptsState

CLI_ACTOR = "cli"  # recorded as author/created_by of what the CLI writes
TENANT_ENV = "JSSCRIPTS_TENANT"

jsscripts = AppGroup("jsscripts", help="Manage flask-jsscripts scripts.")

tenant_option = click.option(
    "--tenant",
    "-t",
    required=True,
    envvar=TENANT_ENV,
    help=f"Tenant key to work in (or set {TENANT_ENV}).",
)


class UsageFailure(click.ClickException):
    """Bad usage: shown as one ``Error:`` line on stderr, exit code 2."""

    exit_code = 2


class CommandFailure(click.ClickException):
    """The command ran but its work failed (e.g. the database): exit code 1."""

    exit_code = 1


# --- plumbing ------------------------------------------------------------------------------


def _state() -> JSScriptsState:
    return current_app.extensions["jsscripts"]


def _session() -> Session:
    return _state().db.session


@contextmanager
def _scope(tenant: str | None) -> Iterator[None]:
    """The tenant scope of a command, turning every expected failure into a clean exit.

    Service errors are the user's (exit 2); database errors are the system's (exit 1). The
    session is rolled back so that a failed command leaves nothing half-written.
    """
    try:
        # `is not None`: an empty --tenant must be refused, never mean "every tenant"
        with tenancy.tenant_scope(tenant) if tenant is not None else tenancy.all_tenants():
            yield
    except tenancy.TenantScopeError as exc:
        _session().rollback()
        raise UsageFailure(str(exc)) from None
    except ServiceError as exc:
        _session().rollback()
        raise UsageFailure(exc.message) from None
    except SQLAlchemyError as exc:
        _session().rollback()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandFailure(f"database error: {first_line}") from None


def _resolve(session: Session, name_or_id: str) -> Script:
    """A script by id, else by name (a name shaped like another script's id loses to the id)."""
    try:
        return scripts.get_script(session, name_or_id)
    except NotFound:
        pass
    try:
        return scripts.get_script_by_name(session, name_or_id)
    except NotFound:
        raise NotFound(f"script {name_or_id!r} not found") from None


def _dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


# --- list ----------------------------------------------------------------------------------


def _all_scripts(session: Session, **filters: str) -> list[Script]:
    """Every matching script (the service pages; a terminal wants them all)."""
    items: list[Script] = []
    page = 1
    while True:
        result = scripts.list_scripts(session, page=page, per_page=200, **filters)
        items.extend(result.items)
        if page >= result.pages:
            return items
        page += 1


def _last_runs(session: Session, script_ids: list[str]) -> dict[str, Execution]:
    """The newest execution of each script, in one query."""
    if not script_ids:
        return {}
    newest = (
        select(Execution.script_id, func.max(Execution.created_at).label("at"))
        .where(Execution.script_id.in_(script_ids))
        .group_by(Execution.script_id)
        .subquery()
    )
    rows = session.scalars(
        select(Execution).join(
            newest,
            and_(Execution.script_id == newest.c.script_id, Execution.created_at == newest.c.at),
        )
    )
    return {row.script_id: row for row in rows}


def _list_row(script: Script, last: Execution | None) -> dict[str, Any]:
    return {
        "id": script.id,
        "name": script.name,
        "type": script.type,
        "status": script.status,
        "version": script.current_version,
        "tags": list(script.tags or []),
        "last_run": None
        if last is None
        else {"status": last.status, "at": last.created_at.isoformat()},
    }


TABLE_HEADERS = ["NAME", "TYPE", "STATUS", "VERSION", "LAST RUN", "AT"]


def _table(rows: list[list[str]], headers: list[str] = TABLE_HEADERS) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )


@jsscripts.command("list")
@tenant_option
@click.option("--type", "type_", type=click.Choice(SCRIPT_TYPES), help="Only this type.")
@click.option("--status", type=click.Choice(SCRIPT_STATUSES), help="Only this status.")
@click.option("--search", default="", help="Text in the name or description.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(
    tenant: str, type_: str | None, status: str | None, search: str, as_json: bool
) -> None:
    """List the tenant's scripts with their last run."""
    with _scope(tenant):
        session = _session()
        items = _all_scripts(session, search=search, type=type_ or "", status=status or "")
        last = _last_runs(session, [s.id for s in items])
        rows = [_list_row(s, last.get(s.id)) for s in items]
    if as_json:
        click.echo(_dumps(rows, indent=2))
    elif not rows:
        click.echo("no scripts")
    else:
        click.echo(_table([_table_row(s, last.get(s.id)) for s in items]))


def _table_row(script: Script, last: Execution | None) -> list[str]:
    return [
        script.name,
        script.type,
        script.status,
        f"v{script.current_version}",
        last.status if last else "-",
        _when(last.created_at) if last else "-",
    ]


# --- run -----------------------------------------------------------------------------------


def _read_input(text: str | None, file: IO[str] | None) -> Any:
    """The run's input from ``--input`` or ``--input-file`` (not both); None when neither."""
    if text is not None and file is not None:
        raise UsageFailure("give either --input or --input-file, not both")
    raw = file.read() if file is not None else text
    if raw is None:
        return None
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise UsageFailure(f"the input is not valid JSON: {exc}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _execution_view(execution: Execution) -> dict[str, Any]:
    return {
        "id": execution.id,
        "status": execution.status,
        "end_reason": execution.end_reason,
        "version": execution.version,
        "output": execution.output,
        "error": execution.error,
        "console": execution.console,
        "logs": execution.logs,
        "metrics": execution.metrics,
    }


def _print_run(view: dict[str, Any]) -> None:
    reason = view["end_reason"]
    detail = f" ({reason})" if reason and reason != view["status"] else ""
    click.echo(f"status: {view['status']}{detail}")
    if view["status"] == "completed":
        click.echo(f"result: {_dumps(view['output'], indent=2)}")
    for entry in view["console"] or []:
        click.echo(f"console [{entry.get('level', 'log')}] {entry.get('message', '')}")
    error = view["error"]
    if error:
        click.echo(f"error: {error.get('name', 'Error')}: {error.get('message', '')}{_at(error)}")


def _at(error: dict[str, Any]) -> str:
    """`` (line L, column C)`` in the admin's source, as much of it as is known."""
    if not error.get("line"):
        return ""
    column = f", column {error['column']}" if error.get("column") else ""
    return f" (line {error['line']}{column})"


@jsscripts.command("run")
@click.argument("name_or_id")
@tenant_option
@click.option("--input", "input_text", help="Input as JSON text (ctx.input).")
@click.option(
    "--input-file",
    type=click.File("r", encoding="utf-8"),
    help="File with the input as JSON ('-' for stdin).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the execution as JSON.")
def run_command(
    name_or_id: str, tenant: str, input_text: str | None, input_file: IO[str] | None, as_json: bool
) -> None:
    """Run a script now (manual trigger) and print its outcome.

    Exit code 0 when the run completed, 1 when it failed or timed out, 2 for bad usage.
    """
    payload = _read_input(input_text, input_file)
    state = _state()
    try:
        with _scope(tenant):
            session = _session()
            script = _resolve(session, name_or_id)
            execution = executions.run_script(
                session, state.run_context(), script.id, "manual", payload
            )
            view = _execution_view(execution)
    finally:
        state.close_runtime()  # a pool this command started must not outlive it
    if as_json:
        click.echo(_dumps(view, indent=2))
    else:
        _print_run(view)
    if view["status"] != "completed":
        raise click.exceptions.Exit(1)


# --- export / import -----------------------------------------------------------------------


@jsscripts.command("export")
@tenant_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: stdout).",
)
@click.argument("names", nargs=-1)
def export_command(tenant: str, output: str | None, names: tuple[str, ...]) -> None:
    """Export scripts with all their versions as JSON (all scripts unless NAMEs are given)."""
    with _scope(tenant):
        session = _session()
        ids = [_resolve(session, n).id for n in names] if names else None
        document = transfer.export_scripts(session, ids)
    text = _dumps(document, indent=2)
    if output is None:
        click.echo(text)
        return
    with click.open_file(output, "w", encoding="utf-8", atomic=True) as fh:
        fh.write(text + "\n")
    click.echo(f"exported {len(document['scripts'])} scripts to {output}", err=True)


def _load_document(file: IO[bytes]) -> Any:
    """Parse the document, refusing oversized files, bad encodings and NaN/Infinity."""
    raw = file.read(transfer.MAX_DOCUMENT_BYTES + 1)
    if len(raw) > transfer.MAX_DOCUMENT_BYTES:
        raise UsageFailure(f"the file is larger than {transfer.MAX_DOCUMENT_BYTES} bytes")
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise UsageFailure("the file is not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise UsageFailure(f"the file is not valid JSON: {exc}") from None


def _invalid_document(exc: ValidationError) -> UsageFailure:
    """All problems of a rejected document, one per line (fixing them one by one is tedious)."""
    count = sum(len(m) for m in exc.errors.values())
    lines = [f"the document was not imported ({count} problem{'s' * (count != 1)}):"]
    lines += [f"  {where}: {message}" for where, msgs in exc.errors.items() for message in msgs]
    return UsageFailure("\n".join(lines))


def _print_report(report: transfer.ImportReport, tenant: str) -> None:
    click.echo(f"imported {len(report.created)} scripts ({report.versions} versions) into {tenant}")
    for old, new in report.renamed.items():
        click.echo(f"renamed: {old} -> {new}")
    for name in report.skipped:
        click.echo(f"skipped: {name} (already exists)")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)


@jsscripts.command("import")
@click.argument("file", type=click.File("rb"))
@tenant_option
@click.option(
    "--on-conflict",
    type=click.Choice(transfer.ON_CONFLICT_MODES),
    default="error",
    show_default=True,
    help="What to do with a script whose name already exists.",
)
def import_command(file: IO[bytes], tenant: str, on_conflict: str) -> None:
    """Import scripts (with their versions) from an export file ('-' for stdin)."""
    document = _load_document(file)
    state = _state()
    try:
        with _scope(tenant):
            try:
                report = transfer.import_scripts(
                    _session(),
                    document,
                    config=state.config,
                    runtime=state.runtime,
                    actor=CLI_ACTOR,
                    on_conflict=on_conflict,  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                _session().rollback()
                raise _invalid_document(exc) from None
    finally:
        state.close_runtime()
    _print_report(report, tenant)


# --- system jobs ---------------------------------------------------------------------------


@jsscripts.command("prune")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="Delete finished runs older than this (default JSSCRIPTS_RETENTION_DAYS).",
)
@click.option("--tenant", "-t", help="Only this tenant (default: every tenant).")
def prune_command(days: int | None, tenant: str | None) -> None:
    """Delete old finished executions (pending and running ones are kept)."""
    days = current_app.config["JSSCRIPTS_RETENTION_DAYS"] if days is None else days
    with _scope(tenant):
        deleted = executions.prune(_session(), retention_days=days)
    where = f"tenant {tenant}" if tenant else "all tenants"
    click.echo(f"deleted {deleted} executions older than {days} days ({where})")


@jsscripts.command("reap")
@click.option(
    "--grace",
    type=click.IntRange(min=0),
    help="Seconds past a run's deadline (default JSSCRIPTS_REAPER_GRACE_SECONDS).",
)
@click.option("--tenant", "-t", help="Only this tenant (default: every tenant).")
def reap_command(grace: int | None, tenant: str | None) -> None:
    """Mark runs whose process died (pending/running past their deadline) as failed."""
    grace = current_app.config["JSSCRIPTS_REAPER_GRACE_SECONDS"] if grace is None else grace
    with _scope(tenant):
        reaped = executions.reap_stale(_session(), grace_seconds=grace)
    where = f"tenant {tenant}" if tenant else "all tenants"
    click.echo(f"marked {reaped} abandoned executions as failed ({where})")
